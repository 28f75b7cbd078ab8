"""The embeddable widgets: server-rendered fragments, the Jinja global and ``embed.js``.

Each widget kind renders ``journeykit/widgets/<kind>.html`` (override it in the
shop's own ``templates/`` folder).  The same fragment is served at
``{prefix}/widgets/<kind>`` for the embed script and other sites; the reviews
widget's form posts back to ``{prefix}/widgets/reviews``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    request,
    send_from_directory,
    url_for,
)
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from journeykit.core import migrate, read_cache, read_versions
from journeykit.core.errors import NotFound
from journeykit.core.identity import TOKEN_HEADER, VISITOR_HEADER, is_visitor_id

from . import assets
from . import loyalty as loyalty_widget
from . import referral as referral_widget
from . import reviews as reviews_widget
from . import testimonials as testimonials_widget
from .review_words import Words

log = logging.getLogger("journeykit")

#: The widget kinds, as INTERFACE.md names them.
KINDS = ("reviews", "rating", "testimonials", "referral", "loyalty")
#: Parts only the shop's own pages show (no fragment URL): the friend's banner, the thank-you page's review prompt.
PAGE_ONLY = ("referral_banner", "review_prompt")
#: Fragments of one shopper's own data: never kept by a shared cache.
PRIVATE = ("referral", "loyalty")
#: The loader script, in the static folder; it and widgets.css are versioned by content (see :mod:`.assets`).
EMBED_JS = "journeykit/embed.js"
#: The other static files (photos' placeholders and such): a day, then revalidated by their ETag.
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
    "reviews": lambda product, **options: reviews_widget.reviews_context(product, **options),
    "rating": lambda product, lang=None: reviews_widget.rating_context(product, lang),
    "review_prompt": lambda product, checkout_session, lang=None: reviews_widget.prompt_context(checkout_session, lang),
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

    def reviews(self, product: str, name: str | None = None, lang: str | None = None) -> Markup:
        """Published reviews with their summary and schema.org JSON-LD (pass the product's ``name``).

        The signed-in shopper also finds their own review (a pending one shown
        to them alone) and the form to write or edit it; a buyer who has not
        reviewed the product finds it open under "How was …?".  ``lang="fr"``
        speaks French (English by default).
        """
        return _on_shop_page("reviews", str(product), name=name, lang=lang, back=request.url)

    def rating(self, product: str, lang: str | None = None) -> Markup:
        """The star-rating badge: average and count."""
        return _on_shop_page("rating", str(product), lang=lang)

    def review_prompt(self, checkout_session_id: str, lang: str | None = None) -> Markup:
        """For an order's thank-you page: "How was …? Write a review" for each product its buyer has not reviewed.

        Pass the order's Stripe Checkout Session id (``cs_…``, the
        ``{CHECKOUT_SESSION_ID}`` of the success URL).  Each link is the order's
        signed review link, which needs no sign-in (guests too): show the page
        to its buyer only.  Nothing shows until JourneyKit has the paid order
        from Stripe's webhook, nor for a signed-in shopper who is not its buyer.
        """
        return _on_shop_page("review_prompt", checkout_session=checkout_session_id, lang=lang)

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
        src = url_for("journeykit.widgets.embed_js", v=assets.version(_static_folder(), EMBED_JS))
        attrs = Markup(' data-customer-token="{}"').format(customer_token) if customer_token else Markup("")
        visitor = visitor_id or request.cookies.get(current_app.config["JOURNEYKIT_VISITOR_COOKIE"])
        if visitor and is_visitor_id(visitor):
            attrs += Markup(' data-visitor-id="{}"').format(visitor)
        return Markup('<script src="{}" async{}></script>').format(src, attrs)


def _signed_in_token() -> str | None:
    """A customer token for the shopper the shop's ``customer_loader`` names on this request, if any."""
    shopper = current_app.extensions["journeykit"].journey.current_shopper()
    return reviews_widget.customer_token(shopper) if shopper is not None else None


def widget_fragment(kind: str) -> Response:
    """A widget's fragment; the public ones (anything but one shopper's own) served through the read cache."""
    if kind in PAGE_ONLY:  # it reads the shop page's own query and cookie: no fragment of its own
        raise _unknown(kind)
    product = request.args.get("product")
    if kind in ("reviews", "rating") and not product:
        raise NotFound("Name the product: ?product=<your product id>.", error_code="product_required")
    # The first reviews page holds a signed-in shopper's own review and form; later pages are anyone's.
    own = kind in PRIVATE or (kind == "reviews" and not request.args.get("cursor")
                              and reviews_widget.current_shopper() is not None)

    def render() -> Response:
        return _fragment_response(_fragment_html(kind, product), kind, private=own)

    if own:
        return render()
    keyed = [read_versions.scope(_SCOPES[kind], product if kind != "testimonials" else None)] if kind in _SCOPES else []
    return read_cache.serve(render, scopes=[*keyed, read_versions.SETTINGS], freshness=read_cache.LIVELY)


#: The read cache's scope of each public fragment (:mod:`journeykit.core.read_cache`); the reviews' is per product.
_SCOPES = {"reviews": read_versions.REVIEWS, "rating": read_versions.REVIEWS, "testimonials": read_versions.TESTIMONIALS}


def _fragment_html(kind: str, product: str | None) -> str:
    """The fragment the query asks for: ``?product=…&lang=…`` (reviews, rating), ``&name=…&cursor=…`` (reviews),
    ``?tag=…&layout=…`` (testimonials)."""
    options: dict[str, Any] = {}
    if kind in ("reviews", "rating"):
        options["lang"] = request.args.get("lang")
    if kind == "reviews" and request.args.get("cursor"):  # a later page, for embed.js's "More reviews"
        context = reviews_widget.reviews_context(product, cursor=request.args["cursor"], **options)  # type: ignore[arg-type]
        return current_app.jinja_env.get_template("journeykit/widgets/reviews_page.html").render(**context)
    if kind == "reviews":
        options["name"] = request.args.get("name")
    elif kind == "testimonials":
        options.update(tag=request.args.get("tag"), layout=request.args.get("layout", "grid"))
    return render_widget(kind, product, **options)


def _fragment_response(html: str, kind: str, status: int = 200, *, private: bool = False) -> Response:
    """The fragment as HTML; ``private`` (one shopper's own review and form, points, codes) is never cached.

    Fragments that differ by shopper vary by the customer token, and the
    reviews fragment by the shop's cookies too when its customer loader
    names the shopper from them.
    """
    response = Response(html, status, mimetype="text/html")
    if private or kind in PRIVATE:
        read_cache.mark_private(response)
    if kind == "reviews" or kind in PRIVATE:
        response.vary.add(TOKEN_HEADER)
        if current_app.extensions["journeykit"].journey._customer_loader is not None:
            response.vary.add("Cookie")
    return response


def send_review() -> BaseResponse:
    """The review form, sent (``POST {prefix}/widgets/reviews?product=…``): saved, and the widget answered again.

    From embed.js (which names the visitor, ``X-JourneyKit-Visitor``): the
    reviews fragment with the shopper's review in place, 201 for a new
    review, 200 for an edit, or the form with what to correct and a 4xx.
    From a page without JavaScript: a 303 back to the page it came from, at
    the review, or a page with the widget and what to correct.
    """
    product = request.args.get("product")
    if not product:
        raise NotFound("Name the product: ?product=<your product id>.", error_code="product_required")
    sent = reviews_widget.send(product, request.form)
    back = reviews_widget.same_site(request.form.get("next"))
    from_script = VISITOR_HEADER in request.headers
    if sent.review is not None and not from_script:
        return redirect(reviews_widget.back_to(back, product, sent.review.id), 303)
    options = {"name": request.args.get("name"), "lang": request.args.get("lang")}
    html = render_widget("reviews", product, sent=sent, back=back, **options)
    if not from_script:
        page = current_app.jinja_env.get_template("journeykit/widgets/reviews_sent.html")
        html = Markup(page.render(widget=html, back=back, t=Words(options["lang"])))
    return _fragment_response(html, "reviews", sent.status, private=True)


send_review.journeykit_own_csrf = True  # type: ignore[attr-defined]  # the customer token in the form is its proof


def embed_js() -> Response:
    """The loader script (the app's own route: the shortcut below answers first)."""
    return _embed_answer(request.environ).response()


def _embed_answer(environ: dict[str, Any]) -> assets.Answer:
    """The loader script: any site may load it (``Access-Control-Allow-Origin: *``); see :mod:`.assets` for caching."""
    found = assets.answer(environ, _static_folder(), EMBED_JS)
    found.headers.append(("Access-Control-Allow-Origin", "*"))
    return found


def install_embed_shortcut(app: Flask) -> None:
    """Answer ``{prefix}/embed.js`` in front of the shop's app, as its own route would (see :mod:`.assets`)."""
    path = app.config["JOURNEYKIT_URL_PREFIX"].rstrip("/") + "/embed.js"
    app.wsgi_app = assets.Shortcut(app.wsgi_app, path, _embed_answer)  # type: ignore[method-assign]


def send_static(filename: str) -> BaseResponse:
    """The widgets' static files: embed.js and widgets.css versioned and precompressed, the others as Flask sends them."""
    if filename in assets.UNVERSIONED_CACHE_CONTROL:
        return assets.send(_static_folder(), filename)
    return send_from_directory(_static_folder(), filename, max_age=STATIC_MAX_AGE)


def _static_folder() -> str:
    return assets.FOLDER


def _versioned_static_url(endpoint: str, values: dict[str, Any]) -> None:
    """``url_for`` of widgets.css (the widgets' stylesheet link) adds ``?v=<content hash>``: an immutable URL."""
    filename = values.get("filename")
    if endpoint.rpartition(".")[2] == "static" and filename in assets.UNVERSIONED_CACHE_CONTROL:
        values.setdefault("v", assets.version(_static_folder(), filename))



def create_blueprint() -> Blueprint:
    bp = Blueprint(
        "widgets",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    bp.send_static_file = send_static  # type: ignore[method-assign]  # the static route Flask adds calls it
    bp.url_defaults(_versioned_static_url)
    bp.add_url_rule("/embed.js", view_func=embed_js, endpoint="embed_js")
    bp.add_url_rule("/widgets/<kind>", view_func=widget_fragment, endpoint="fragment")
    bp.add_url_rule("/widgets/reviews", view_func=send_review, endpoint="send_review", methods=["POST"])
    bp.add_app_template_global(TemplateGlobal(), "journeykit")
    return bp
