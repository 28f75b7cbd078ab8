"""Who may use the admin API and pages: bearer keys or the shop's own guard.

``Authorization: Bearer <key>`` is checked against ``JOURNEYKIT_ADMIN_API_KEYS``
in constant time; without a bearer key, the shop's ``@journey.admin_guard``
decides (and may name the owner, for the audit log, by returning a name
instead of ``True``).  Nothing else gets in.

The owner's pages are reached with the shop's own login cookie, which another
site could ride on: their forms carry a token kept in the shop's session
(:func:`csrf_token`, checked by :func:`csrf_ok`), one check for every
capability's pages.

A browser refused at an owner's page gets a page, not the API's JSON: a
visitor who is not signed in is sent to the shop's login
(``JOURNEYKIT_ADMIN_LOGIN_URL``, else Flask-Login's ``login_view``) with
``next=`` this page, always a path on this site; anyone else sees a page that
says who may use it (or the shop's own error page for that status, if it has
one).  The JSON API keeps its 401 and 403.
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
from typing import Any, Callable, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import current_app, redirect, render_template, request, session, url_for
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from . import config
from .audit import ACTOR_KEY
from .errors import APIError, Forbidden, Unauthorized

log = logging.getLogger("journeykit")

#: The blueprint of the owner's HTML pages (``{prefix}/admin/…``): refused with a page or a login, never JSON.
PAGES_BLUEPRINT = "journeykit.admin"
#: Where the owner's CSRF token lives in the shop's session.
CSRF_KEY = "journeykit_csrf"
STALE_FORM = "This form expired or came from elsewhere: reload the page and send it again."

AdminGuard = Callable[[], "bool | str"]
F = TypeVar("F", bound=Callable[..., Any])


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _is_admin_key(token: str) -> bool:
    """Compare with every configured key, always all of them, in constant time each."""
    keys = config.as_list(current_app.config["JOURNEYKIT_ADMIN_API_KEYS"])
    given = token.encode()
    matches = [hmac.compare_digest(given, key.encode()) for key in keys]
    return any(matches)


def check_admin(guard: AdminGuard | None) -> None:
    """Raise 401 or 403 unless this request is the shop owner's."""
    token = _bearer_token()
    if token is not None:
        if not _is_admin_key(token):
            raise Unauthorized("The admin API key is not valid.", error_code="invalid_api_key")
        request.environ[ACTOR_KEY] = f"API key …{token[-4:]}"
        return
    if guard is None:
        raise Unauthorized(
            "Admin access needs an API key (Authorization: Bearer …) or the shop's admin_guard.",
            error_code="admin_required",
        )
    allowed = guard()
    if not allowed:
        raise Forbidden("This account may not use JourneyKit's admin.", error_code="admin_forbidden")
    request.environ[ACTOR_KEY] = allowed if isinstance(allowed, str) else "the shop's admin"


def admin_required(view: F) -> F:
    """Decorate a view so that only the shop owner reaches it.

    The API answers a refusal with its JSON error; an owner's page answers a
    browser (:func:`_refuse_page`).
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            check_admin(current_app.extensions["journeykit"].journey._admin_guard)
        except (Unauthorized, Forbidden) as refusal:
            if request.blueprint != PAGES_BLUEPRINT:
                raise
            return _refuse_page(refusal)
        return view(*args, **kwargs)

    wrapper.journeykit_admin = True  # type: ignore[attr-defined] # read by the OpenAPI description
    return wrapper  # type: ignore[return-value]


class _RefusedPage(APIError):
    """An owner's page refused, answered with a page that says who may use it.

    Still the status's exception, so a shop's own error handler for 401 or
    403 (its branded page, its own login redirect) answers it instead.
    """

    #: Whether the visitor is signed in to the shop (``None``: the shop gives JourneyKit no way to tell).
    signed_in: bool | None = None
    #: The shop's login, with ``next=`` this page (``None``: none is known).
    login_url: str | None = None

    def get_body(self, environ: Any = None, scope: Any = None) -> str:
        return render_template("journeykit/admin/refused.html", status=self.code, message=self.description,
                               error_code=self.error_code, signed_in=self.signed_in, login_url=self.login_url,
                               shop_url=request.script_root + "/")


class PageUnauthorized(_RefusedPage, Unauthorized):
    code = 401


class PageForbidden(_RefusedPage, Forbidden):
    code = 403


def _refuse_page(refusal: Unauthorized | Forbidden) -> Response:
    """Send a visitor who is not signed in to the shop's login; show anyone else why they may not come in.

    Only the guard's refusal (403) sends to the login: without a guard (or
    with a wrong API key) signing in would change nothing.
    """
    signed_in, login = _signed_in(), _login_url()
    if refusal.code == 403 and signed_in is not True and login is not None:
        return redirect(login, code=302 if request.method in ("GET", "HEAD") else 303)  # type: ignore[return-value]
    page = (PageForbidden if refusal.code == 403 else PageUnauthorized)(refusal.description,
                                                                        error_code=refusal.error_code)
    page.signed_in, page.login_url = signed_in, login
    raise page


def _signed_in() -> bool | None:
    """Whether this visitor is signed in to the shop: by Flask-Login if the shop uses it, else by its customer loader.

    ``None``: the shop has neither, so JourneyKit cannot tell.
    """
    if getattr(current_app, "login_manager", None) is not None:
        from flask_login import current_user  # only a shop with Flask-Login gets here

        return bool(current_user.is_authenticated)
    loader = current_app.extensions["journeykit"].journey._customer_loader
    return None if loader is None else bool(loader())


def _login_url() -> str | None:
    """The shop's login page with ``next=`` the owner's page refused, or ``None`` if none is known.

    ``JOURNEYKIT_ADMIN_LOGIN_URL`` (a URL or path, or an endpoint name such as
    ``auth.login``), else Flask-Login's ``login_view``.  ``next`` is always a
    path on this site (a whole URL of it when the login lives on another
    host), never a place a visitor's link could choose.
    """
    view = current_app.config.get("JOURNEYKIT_ADMIN_LOGIN_URL") or getattr(
        getattr(current_app, "login_manager", None), "login_view", None)
    if not isinstance(view, str) or not view:
        return None
    if view.startswith(("/", "http://", "https://")):
        base = view
    else:
        try:
            base = url_for(view)
        except BuildError:
            log.warning("journeykit: the admin login %r is not an endpoint of this app; refusing with a page", view)
            return None
    parts = urlsplit(base)
    back = _back_here()
    if parts.netloc and parts.netloc != request.host:  # the login lives elsewhere (single sign-on): a whole URL back
        back = request.host_url.rstrip("/") + back
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "next"]
    return parts._replace(query=urlencode([*query, ("next", back)], safe="/")).geturl()


def _back_here() -> str:
    """This page as a path and query on this site; for a form sent after the session ended, the page it came from."""
    here = urlsplit(request.url)
    if request.method not in ("GET", "HEAD"):  # a form's URL answers POST only: go back to its page
        came_from = urlsplit(request.referrer or "")
        here = came_from if came_from.netloc == request.host else urlsplit(url_for(f"{PAGES_BLUEPRINT}.overview"))
    back = here.path + (f"?{here.query}" if here.query else "")
    return back if _plainly_local(back) else url_for(f"{PAGES_BLUEPRINT}.overview")


def _plainly_local(path: str) -> bool:
    """A path no browser reads as another site: one leading ``/``, no backslash, space or control character."""
    return (path.startswith("/") and not path.startswith("//")
            and not any(ch == "\\" or ord(ch) < 0x21 or ord(ch) == 0x7F for ch in path))


def csrf_token() -> str:
    """The token the owner's forms carry (one per session, made on first use)."""
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(32)
    return session[CSRF_KEY]


def csrf_ok() -> bool:
    """Whether a form came from the owner's pages: its token is the session's, and no other origin sent it."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != request.host_url.rstrip("/"):
        return False
    expected, given = session.get(CSRF_KEY), request.form.get("csrf_token", "")
    return isinstance(expected, str) and hmac.compare_digest(expected.encode(), given.encode())
