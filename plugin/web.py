"""The blueprint tree under ``JOURNEYKIT_URL_PREFIX``, put together from every capability, and its request hooks.

``journeykit`` (pages: admin, widgets, embed script, feeds, photos) holds
``journeykit.api`` (the JSON API at ``/api/v1``), ``journeykit.stripe`` and
``journeykit.prometheus``, whose every error answers in the JSON shape.
Each capability adds its own routes to these with a ``register`` function;
this module is the one place that knows them all.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, appcontext_pushed, current_app, request
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.routing import RequestRedirect

from . import widgets
from .core import (
    audit_admin,
    config,
    cors,
    dialects,
    errors,
    inputs,
    migrate,
    openapi,
    products,
    prometheus,
    shop_cookies,
    shop_settings,
)
from .core.money import format_money
from .hooks.outbound import admin as outbound_admin
from .hooks.stripe import admin as stripe_admin
from .hooks.stripe import webhook as stripe_webhook
from .journey import api as journey_api
from .loyalty import admin as loyalty_admin
from .loyalty import admin_api as loyalty_admin_api
from .loyalty import api as loyalty_api
from .loyalty import birthdays as loyalty_birthdays
from .loyalty import codes_admin_api as loyalty_codes_admin_api
from .loyalty import rules_admin as loyalty_rules_admin
from .loyalty import transfer as loyalty_transfer
from .metrics import api as metrics_api
from .metrics import dashboard, holdout
from .privacy import api as privacy_api
from .referrals import admin as referrals_admin
from .referrals import admin_api as referrals_admin_api
from .referrals import api as referrals_api
from .referrals import export as referrals_export
from .referrals import links as referral_links
from .referrals import settings_admin as referral_settings_admin
from .reviews import admin as reviews_admin
from .reviews import api as reviews_api
from .reviews import exchange as reviews_exchange
from .reviews import feed, notice, photos_api, requests
from .testimonials import admin as testimonials_admin
from .testimonials import api as testimonials_api

#: Paths under the prefix whose answers, errors included, are always JSON.
JSON_PATHS = ("/api/", "/stripe/")
#: The packages with a ``templates/`` folder beside their modules.
TEMPLATE_PACKAGES = ("core", "reviews", "testimonials", "loyalty", "referrals", "metrics", "hooks.stripe", "hooks.outbound")


def create_blueprint() -> Blueprint:
    """A fresh blueprint tree (one per app, since blueprints keep per-registration state)."""
    root = Blueprint("journeykit", __name__)
    for package in TEMPLATE_PACKAGES:  # Flask looks for a template in every blueprint's folder
        name = "templates_" + package.replace(".", "_")
        root.register_blueprint(Blueprint(name, f"journeykit.{package}", template_folder="templates"))
    api_bp = _api_blueprint()
    install_json_errors(api_bp)
    root.register_blueprint(api_bp, url_prefix="/api/v1")
    stripe_bp = stripe_webhook.create_blueprint()
    install_json_errors(stripe_bp)
    root.register_blueprint(stripe_bp, url_prefix="/stripe")
    root.register_blueprint(widgets.create_blueprint())
    root.register_blueprint(_admin_blueprint(), url_prefix="/admin")
    metrics_bp = prometheus.create_blueprint()
    install_json_errors(metrics_bp)
    root.register_blueprint(metrics_bp)
    feed.register(root)
    referral_links.register(root)
    photos_api.register_public(root)
    root.register_blueprint(notice.create_blueprint())
    root.register_blueprint(requests.create_blueprint())
    root.add_app_template_global(format_money, "journeykit_money")
    root.add_app_template_global(products.name, "journeykit_product_name")
    root.before_request(_guard_request)
    api_bp.before_request(_refuse_foreign_origins)
    root.after_request(_add_cors_headers)
    return root


def _api_blueprint() -> Blueprint:
    """``journeykit.api``: every capability's JSON endpoints, shopper's and owner's."""
    bp = Blueprint("api", __name__)
    loyalty_api.register(bp)
    loyalty_admin_api.register(bp)
    loyalty_transfer.register(bp)
    loyalty_birthdays.register(bp)
    loyalty_codes_admin_api.register(bp)
    loyalty_rules_admin.register(bp)
    referrals_api.register(bp)
    referrals_admin_api.register(bp)
    referrals_export.register(bp)
    referral_settings_admin.register(bp)
    shop_settings.register(bp)
    journey_api.register(bp)
    stripe_admin.register_api(bp)
    outbound_admin.register_api(bp)
    reviews_api.register(bp)
    photos_api.register(bp)
    holdout.register(bp)
    openapi.register(bp)
    reviews_exchange.register(bp)
    testimonials_api.register(bp)
    metrics_api.register(bp)
    audit_admin.register_api(bp)
    privacy_api.register(bp)
    return bp


def _admin_blueprint() -> Blueprint:
    """``journeykit.admin``: the owner's pages under ``{prefix}/admin/``."""
    bp = Blueprint("admin", __name__)
    bp.add_url_rule("/", view_func=dashboard.overview, endpoint="overview")
    reviews_admin.register_pages(bp)
    testimonials_admin.register_pages(bp)
    loyalty_admin.register_pages(bp)
    loyalty_rules_admin.register_pages(bp)
    referrals_admin.register_pages(bp)
    referral_settings_admin.register_pages(bp)
    shop_settings.register_pages(bp)
    stripe_admin.register_pages(bp)
    outbound_admin.register_pages(bp)
    audit_admin.register_pages(bp)
    bp.after_request(_refuse_framing)
    return bp


def _refuse_framing(response: Response) -> Response:
    """The owner's pages are never shown inside another site's frame (clickjacking their buttons)."""
    response.headers["X-Frame-Options"] = "DENY"
    policy = response.headers.get("Content-Security-Policy")
    response.headers["Content-Security-Policy"] = f"{policy}; frame-ancestors 'none'" if policy else "frame-ancestors 'none'"
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def install_json_errors(bp: Blueprint) -> None:
    """Answer every error raised in ``bp``'s views with the JSON error shape.

    Handlers are registered per status code as well as per class: Flask looks
    up code-specific handlers first, so a shop's own ``@app.errorhandler(404)``
    would otherwise answer our API's 404s with its HTML page.
    """
    for status in default_exceptions:
        bp.register_error_handler(status, errors.http_error_response)
    bp.register_error_handler(HTTPException, errors.http_error_response)
    bp.register_error_handler(Exception, errors.unexpected_error_response)


def register_app_hooks(app: Flask) -> None:
    """Answer routing errors (404, 405) under the JSON paths in JSON too.

    Routing fails before any blueprint is chosen, so blueprint error handlers
    never see it; an app-wide ``before_request`` runs first and answers only
    for JourneyKit's own JSON paths, leaving the shop's pages alone.
    """

    @app.before_request
    def _json_routing_errors() -> Response | None:
        exc = request.routing_exception
        if exc is None or isinstance(exc, RequestRedirect) or not _is_json_path(request.path):
            return None
        shop_cookies.keep_for_this_request()
        return errors.http_error_response(exc)  # type: ignore[arg-type]


def retry_writes_after_deadlocks(app: Flask) -> None:
    """Run JourneyKit's writing views again when the database breaks a deadlock with them (see ``dialects``).

    Each such view is a whole unit of work (it commits what it does), so a
    second run from a clean session is exactly the request again.
    """
    prefix = "journeykit."
    for endpoint in {rule.endpoint for rule in app.url_map.iter_rules()
                     if rule.endpoint.startswith(prefix) and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}}:
        app.view_functions[endpoint] = dialects.retry_deadlocks(app.view_functions[endpoint])


def _is_json_path(path: str) -> bool:
    prefix = current_app.config["JOURNEYKIT_URL_PREFIX"].rstrip("/")
    return any(path.startswith(prefix + sub) for sub in JSON_PATHS)


def _guard_request() -> None:
    """Every request to JourneyKit, before its view (one hook: each costs a little on every read)."""
    shop_cookies.keep_for_this_request()
    migrate.ensure_current()  # first: a missing upgrade says so, not a database error
    _limit_body_size()
    inputs.refuse_nul_in_url()  # every route: pages and widgets query the database too
    inputs.refuse_out_of_range_ids()


def _limit_body_size() -> None:
    """Cap request bodies (``JOURNEYKIT_MAX_CONTENT_LENGTH``): larger ones answer 413.

    Set per request, so the shop's own ``MAX_CONTENT_LENGTH`` stays its own.  A
    view that takes larger bodies says so: ``journeykit_max_body``, its own
    limit in bytes (Stripe's webhook, a review import), or
    ``journeykit_extra_body``, the config key of how many more bytes it
    accepts (the photo upload).
    """
    if not inputs.may_have_body(request.environ):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "journeykit_max_body", None) or int(current_app.config["JOURNEYKIT_MAX_CONTENT_LENGTH"])
    extra = getattr(view, "journeykit_extra_body", None)
    if extra is not None:
        limit += int(current_app.config[extra])
    inputs.limit_body(limit)


def _refuse_foreign_origins() -> None:
    """JourneyKit's own CSRF defence for the JSON API.

    A browser names the page's origin on every cross-site POST: one that is
    neither the shop itself nor in ``JOURNEYKIT_ALLOWED_ORIGINS`` may be a
    forged request riding on the shopper's cookies (the customer loader), so
    it is refused.  This is why the API can be exempt from a shop's
    Flask-WTF CSRF protection, which would refuse the embed script's calls.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    origin = request.headers.get("Origin")
    if origin is None or origin == request.host_url.rstrip("/"):
        return
    if origin not in config.as_list(current_app.config["JOURNEYKIT_ALLOWED_ORIGINS"]):
        raise errors.Forbidden(f"Requests from {origin} are not allowed.", error_code="origin_not_allowed")


def exempt_from_shop_csrf(app: Flask) -> None:
    """Exempt JourneyKit's JSON endpoints from a shop's Flask-WTF ``CSRFProtect``.

    Stripe cannot send a CSRF token, and the API has its own defence (above);
    so do the owner's pages whose forms carry JourneyKit's own token
    (``journeykit_own_csrf``).
    CSRFProtect may be set up after JourneyKit, so this runs when the first
    app context is pushed, before any request's ``before_request``.
    """

    def exempt(sender: Flask, **extra: object) -> None:
        csrf = sender.extensions.get("csrf")
        if csrf is None or getattr(csrf, "_journeykit_exempt", False):
            return
        for endpoint, view in sender.view_functions.items():
            if endpoint.startswith(("journeykit.api.", "journeykit.stripe.")) or getattr(view, "journeykit_own_csrf", False):
                csrf.exempt(f"{view.__module__}.{view.__name__}")
        csrf._journeykit_exempt = True

    appcontext_pushed.connect(exempt, app, weak=False)


def _add_cors_headers(response: Response) -> Response:
    """Let the storefront origins of ``JOURNEYKIT_ALLOWED_ORIGINS``, and only them, call us."""
    # ``Vary`` set as a string: ``response.vary`` would parse and rebuild it, and every read pays
    response.headers["Vary"] = cors.vary(response.headers.get("Vary"))
    for name, value in cors.headers(request.headers.get("Origin"), current_app.config["JOURNEYKIT_ALLOWED_ORIGINS"]):
        response.headers[name] = value
    return response
