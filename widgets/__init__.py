"""The embeddable widgets: server-rendered fragments, the Jinja global and ``embed.js``.

Each widget kind renders ``journeykit/widgets/<kind>.html`` (override it in the
shop's own ``templates/`` folder).  The same fragment is served at
``{prefix}/widgets/<kind>`` for the embed script and other sites.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    request,
    send_from_directory,
    url_for,
)
from markupsafe import Markup

from journeykit.core import migrate
from journeykit.core.errors import NotFound
from journeykit.core.identity import is_visitor_id
from journeykit.core.version import __version__

from . import loyalty as loyalty_widget
from . import referral as referral_widget
from . import reviews as reviews_widget
from . import testimonials as testimonials_widget

log = logging.getLogger("journeykit")

#: The widget kinds, as INTERFACE.md names them.
KINDS = ("reviews", "rating", "testimonials", "referral", "loyalty")
#: Parts only the shop's own pages show (no fragment URL): the friend's banner.
PAGE_ONLY = ("referral_banner",)
#: Fragments of one shopper's own data: never kept by a shared cache.
PRIVATE = ("referral", "loyalty")
#: ``embed.js`` is served with long-lived caching under a versioned URL.
EMBED_MAX_AGE = 365 * 24 * 3600
#: widgets.css and the other static files: a day, then revalidated by their ETag (their URL has no version).
STATIC_MAX_AGE = 24 * 3600


def render_widget(kind: str, product: str | None = None, **options: Any) -> Markup:
    """One widget's HTML fragment (``product`` for reviews and rating)."""
    if kind not in KINDS + PAGE_ONLY:
        raise _unknown(kind)
    context = _CONTEXTS[kind](product, **options) if kind in _CONTEXTS else {}
    if context is None:  # nothing to show (a visitor nobody referred): not even the stylesheet's link
        return Markup("")
    # Straight from the Jinja environment: render_template would run every context processor of
    # the shop again for each widget (its own queries included), and the widgets need none of them.
    template = current_app.jinja_env.get_template(f"journeykit/widgets/{kind}.html")
    return Markup(template.render(kind=kind, product=product, stylesheet=_first_on_the_page(), **context))


def _unknown(kind: str) -> NotFound:
    return NotFound(f"No widget called {kind!r}; try one of {', '.join(KINDS)}.", error_code="unknown_widget")


def _first_on_the_page() -> bool:
    """Whether this is the page's first widget, which links widgets.css (one link per page is enough)."""
    if g.get("journeykit_stylesheet_linked"):
        return False
    g.journeykit_stylesheet_linked = True
    return True


#: Data for the widgets that show some; ``None`` shows nothing.
_CONTEXTS: dict[str, Any] = {
    "reviews": lambda product, name=None: reviews_widget.reviews_context(product, name),
    "rating": lambda product, name=None: reviews_widget.rating_context(product),
    "testimonials": lambda product, **options: testimonials_widget.testimonials_context(**options),
    "loyalty": lambda product: loyalty_widget.loyalty_context(),
    "referral": lambda product: referral_widget.referral_context(),
    "referral_banner": lambda product: referral_widget.banner_context(),
}


def _on_shop_page(kind: str, product: str | None = None, **options: Any) -> Markup:
    """A widget in the shop's own page; with JourneyKit's tables not ready, a comment instead, and an error logged.

    The shop's page stays up (a deployment that forgot ``flask journeykit db
    upgrade``, a test database without ``journey.create_all()``) and the log
    says what to run.
    """
    try:
        migrate.ensure_current()
    except migrate.SchemaBehind as exc:
        log.error("journeykit: %s", exc.description)
        return Markup("<!-- JourneyKit: {} -->").format(exc.description)
    return render_widget(kind, product, **options)


class TemplateGlobal:
    """The ``journeykit`` object in the shop's Jinja templates.

    ``{{ journeykit.reviews("sku-1") }}`` and friends render the widgets on the
    server; ``{{ journeykit.embed_script() }}`` adds the script that enhances them.
    """

    def reviews(self, product: str, name: str | None = None) -> Markup:
        """Published reviews with their summary and schema.org JSON-LD (pass the product's ``name``)."""
        return _on_shop_page("reviews", str(product), name=name)

    def rating(self, product: str) -> Markup:
        """The star-rating badge: average and count."""
        return _on_shop_page("rating", str(product))

    def testimonials(
        self, tag: str | None = None, limit: int = 6, layout: str = "grid", autoplay: int | None = None
    ) -> Markup:
        """Published testimonials, pinned first (only ``tag``'s, if given).

        ``layout="carousel"`` shows one at a time with previous/next buttons
        once embed.js is on the page; ``autoplay=<seconds>`` rotates it (paused
        on hover and focus, never for visitors who ask for reduced motion).
        """
        return _on_shop_page("testimonials", tag=tag, limit=limit, layout=layout, autoplay=autoplay)

    def referral(self) -> Markup:
        """The signed-in shopper's link with a Copy button, share links, figures and rewards; the offer and a call to join for anyone else.

        A signed-in shopper JourneyKit has not met is recorded, and their code
        made on first use (the shared session committed, as ``journey.track`` does).
        """
        return _on_shop_page("referral")

    def referral_banner(self) -> Markup:
        """The friend's offer for a visitor who came through a referral link (``?ref=CODE``, or a live attribution).

        Nothing for anyone else, so it can sit in the shop's base layout.
        """
        return _on_shop_page("referral_banner")

    def loyalty(self) -> Markup:
        """The signed-in shopper's points, tier, rewards to redeem, codes and history; the program and a call to join for anyone else.

        A signed-in shopper JourneyKit has not met is recorded (and the shared session committed, as ``journey.track`` does).
        """
        return _on_shop_page("loyalty")

    def embed_script(self, customer_token: str | None = None, visitor_id: str | None = None) -> Markup:
        """The ``<script>`` tag that loads ``embed.js``, with the shopper's customer token.

        Without ``customer_token``, the signed-in shopper of this request (the
        shop's ``customer_loader``) gets one made here, so a same-site page
        shows them the review form with no token plumbing.  The script uses
        the shop's visitor id (``visitor_id``, else the visitor cookie of this
        request), so the widget views it reports belong to the same person as
        the shop's own ``journey.track`` calls and the checkout.
        """
        customer_token = customer_token or _signed_in_token()
        src = url_for("journeykit.widgets.embed_js", v=__version__)
        attrs = Markup(' data-customer-token="{}"').format(customer_token) if customer_token else Markup("")
        visitor = visitor_id or request.cookies.get(current_app.config["JOURNEYKIT_VISITOR_COOKIE"])
        if visitor and is_visitor_id(visitor):
            attrs += Markup(' data-visitor-id="{}"').format(visitor)
        return Markup('<script src="{}" async{}></script>').format(src, attrs)


def _signed_in_token() -> str | None:
    """A customer token for the shopper the shop's ``customer_loader`` names on this request, if any."""
    journey = current_app.extensions["journeykit"].journey
    shopper = journey.current_shopper()
    if shopper is None:
        return None
    try:
        return journey.customer_token(shopper.customer_id, shopper.email, shopper.name)
    except ValueError as exc:  # an id longer than JourneyKit stores: the page still works, without the form
        log.error("journeykit: no customer token for the signed-in shopper: %s", exc)
        return None


def widget_fragment(kind: str) -> Response:
    if kind in PAGE_ONLY:  # it reads the shop page's own query and cookie: no fragment of its own
        raise _unknown(kind)
    product = request.args.get("product")
    if kind in ("reviews", "rating") and not product:
        raise NotFound("Name the product: ?product=<your product id>.", error_code="product_required")
    options: dict[str, Any] = {}
    if kind == "reviews":
        options["name"] = request.args.get("name")
    elif kind == "testimonials":
        options.update(tag=request.args.get("tag"), layout=request.args.get("layout", "grid"))
    response = Response(render_widget(kind, product, **options), mimetype="text/html")
    if kind in PRIVATE:  # one shopper's own points, codes and link
        response.headers["Cache-Control"] = "private, no-store"
    return response


def embed_js() -> Response:
    static = current_app.blueprints["journeykit.widgets"].static_folder
    response = send_from_directory(static, "journeykit/embed.js", max_age=EMBED_MAX_AGE)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response



def create_blueprint() -> Blueprint:
    bp = Blueprint(
        "widgets",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    bp.get_send_file_max_age = lambda filename: STATIC_MAX_AGE  # type: ignore[method-assign]
    bp.add_url_rule("/embed.js", view_func=embed_js, endpoint="embed_js")
    bp.add_url_rule("/widgets/<kind>", view_func=widget_fragment, endpoint="fragment")
    bp.add_app_template_global(TemplateGlobal(), "journeykit")
    return bp
