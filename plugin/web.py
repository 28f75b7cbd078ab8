"""The blueprint tree under ``JOURNEYKIT_URL_PREFIX`` and its request hooks.

``journeykit`` (pages: admin, widgets, embed script) holds ``journeykit.api``
(the JSON API at ``/api/v1``), whose every error answers in the JSON shape.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, appcontext_pushed, current_app, request
from werkzeug.exceptions import HTTPException, default_exceptions
from werkzeug.routing import RequestRedirect

from . import api, config, errors, inputs
from .identity import TOKEN_HEADER, VISITOR_HEADER
from .money import format_money

#: Paths under the prefix whose answers, errors included, are always JSON.
JSON_PATHS = ("/api/", "/stripe/")
_CORS_HEADERS = ", ".join(["Content-Type", "Authorization", TOKEN_HEADER, VISITOR_HEADER])


def create_blueprint() -> Blueprint:
    """A fresh blueprint tree (one per app, since blueprints keep per-registration state)."""
    from journeykit.hooks.stripe_webhook import create_blueprint as create_stripe_blueprint  # noqa: PLC0415
    from journeykit.widgets import create_blueprint as create_widgets_blueprint  # noqa: PLC0415

    from . import admin_pages, prometheus, review_feed, review_notice, review_photos_api, review_requests  # noqa: PLC0415

    root = Blueprint("journeykit", __name__, template_folder="templates")
    api_bp = api.create_blueprint()
    install_json_errors(api_bp)
    root.register_blueprint(api_bp, url_prefix="/api/v1")
    stripe_bp = create_stripe_blueprint()
    install_json_errors(stripe_bp)
    root.register_blueprint(stripe_bp, url_prefix="/stripe")
    root.register_blueprint(create_widgets_blueprint())
    root.register_blueprint(admin_pages.create_blueprint(), url_prefix="/admin")
    metrics_bp = prometheus.create_blueprint()
    install_json_errors(metrics_bp)
    root.register_blueprint(metrics_bp)
    review_feed.register(root)
    review_photos_api.register_public(root)
    root.register_blueprint(review_notice.create_blueprint())
    root.register_blueprint(review_requests.create_blueprint())
    root.add_app_template_global(format_money, "journeykit_money")
    root.before_request(_limit_body_size)
    api_bp.before_request(_refuse_foreign_origins)
    root.before_request(inputs.refuse_nul_in_url)  # every route: pages and widgets query the database too
    root.before_request(inputs.refuse_out_of_range_ids)
    root.after_request(_add_cors_headers)
    return root


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
        return errors.http_error_response(exc)  # type: ignore[arg-type]


def _is_json_path(path: str) -> bool:
    prefix = current_app.config["JOURNEYKIT_URL_PREFIX"].rstrip("/")
    return any(path.startswith(prefix + sub) for sub in JSON_PATHS)


def _limit_body_size() -> None:
    """Cap request bodies (``JOURNEYKIT_MAX_CONTENT_LENGTH``): larger ones answer 413.

    Set per request, so the shop's own ``MAX_CONTENT_LENGTH`` stays its own.  A
    view that receives files names, as ``journeykit_extra_body``, the config
    key of how many more bytes it accepts (the photo upload).
    """
    limit = int(current_app.config["JOURNEYKIT_MAX_CONTENT_LENGTH"])
    extra = getattr(current_app.view_functions.get(request.endpoint or ""), "journeykit_extra_body", None)
    if extra is not None:
        limit += int(current_app.config[extra])
    request.max_content_length = limit


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

    Stripe cannot send a CSRF token, and the API has its own defence (above).
    CSRFProtect may be set up after JourneyKit, so this runs when the first
    app context is pushed, before any request's ``before_request``.
    """

    def exempt(sender: Flask, **extra: object) -> None:
        csrf = sender.extensions.get("csrf")
        if csrf is None or getattr(csrf, "_journeykit_exempt", False):
            return
        for endpoint, view in sender.view_functions.items():
            if endpoint.startswith(("journeykit.api.", "journeykit.stripe.")):
                csrf.exempt(f"{view.__module__}.{view.__name__}")
        csrf._journeykit_exempt = True

    appcontext_pushed.connect(exempt, app, weak=False)


def _add_cors_headers(response: Response) -> Response:
    """Let the storefront origins of ``JOURNEYKIT_ALLOWED_ORIGINS``, and only them, call us."""
    origin = request.headers.get("Origin")
    response.vary.add("Origin")
    if origin and origin in config.as_list(current_app.config["JOURNEYKIT_ALLOWED_ORIGINS"]):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Headers"] = _CORS_HEADERS
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
        response.headers["Access-Control-Max-Age"] = "600"
    return response
