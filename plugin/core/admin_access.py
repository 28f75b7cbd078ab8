"""Who may use the admin API and pages: bearer keys or the shop's own guard.

``Authorization: Bearer <key>`` is checked against ``JOURNEYKIT_ADMIN_API_KEYS``
in constant time; without a bearer key, the shop's ``@journey.admin_guard``
decides (and may name the owner, for the audit log, by returning a name
instead of ``True``).  Nothing else gets in.

The owner's pages are reached with the shop's own login cookie, which another
site could ride on: their forms carry a token kept in the shop's session
(:func:`csrf_token`, checked by :func:`csrf_ok`), one check for every
capability's pages.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from typing import Any, Callable, TypeVar

from flask import current_app, request, session

from . import config
from .audit import ACTOR_KEY
from .errors import Forbidden, Unauthorized

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
    """Decorate a view so that only the shop owner reaches it."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        check_admin(current_app.extensions["journeykit"].journey._admin_guard)
        return view(*args, **kwargs)

    wrapper.journeykit_admin = True  # type: ignore[attr-defined] # read by the OpenAPI description
    return wrapper  # type: ignore[return-value]


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
