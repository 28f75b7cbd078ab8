"""Who is on the page: signed customer tokens, the shop's customer loader, visitor ids.

Two ways to name a shopper:

* same origin: the shop's ``@journey.customer_loader`` reads its own login;
* cross origin: the shop renders ``journey.customer_token(...)`` into the page
  and the embed script sends it back as the ``X-JourneyKit-Customer`` header.

A token that is present but tampered with or expired is an error (401), never
silently ignored: the shopper would otherwise see someone else's nothing.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from flask import Flask, current_app, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from . import config
from .errors import BadRequest, Unauthorized

TOKEN_HEADER = "X-JourneyKit-Customer"
VISITOR_HEADER = "X-JourneyKit-Visitor"
_TOKEN_SALT = "journeykit.customer-token"
#: What a visitor id looks like (the embed script makes 22 characters; shops may use their own).
VISITOR_ID_PATTERN = r"^[A-Za-z0-9_-]{16,64}$"
_VISITOR_ID = re.compile(VISITOR_ID_PATTERN)

#: What a customer loader returns: ``(customer_id, email)``, ``(customer_id, email, name)`` or ``None``.
LoaderResult = Optional[Union[tuple[Any, Optional[str]], tuple[Any, Optional[str], Optional[str]]]]
CustomerLoader = Callable[[], LoaderResult]


@dataclass(frozen=True)
class Shopper:
    """The identified shopper of the current request."""

    customer_id: str
    email: str | None = None
    name: str | None = None


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config.secret_key(app), salt=_TOKEN_SALT)


def make_token(app: Flask, customer_id: Any, email: str | None = None, name: str | None = None) -> str:
    """Sign a customer token; it expires after ``JOURNEYKIT_CUSTOMER_TOKEN_MAX_AGE`` seconds."""
    payload = {"c": str(customer_id)}
    if email:
        payload["e"] = email
    if name:
        payload["n"] = name
    return _serializer(app).dumps(payload)


def read_token(app: Flask, token: str) -> Shopper:
    """Verify a customer token; raises :class:`Unauthorized` when tampered with or expired."""
    max_age = int(app.config["JOURNEYKIT_CUSTOMER_TOKEN_MAX_AGE"])
    try:
        payload = _serializer(app).loads(token, max_age=max_age)
    except SignatureExpired:
        raise Unauthorized("The customer token has expired; reload the page.", error_code="token_expired")
    except BadSignature:
        raise Unauthorized("The customer token is not valid.", error_code="token_invalid")
    if not isinstance(payload, dict) or not isinstance(payload.get("c"), str):
        raise Unauthorized("The customer token is not valid.", error_code="token_invalid")
    return Shopper(payload["c"], payload.get("e"), payload.get("n"))


def current_shopper(loader: CustomerLoader | None) -> Shopper | None:
    """The shopper of this request: from the token header, else from the shop's loader.

    Cached for the rest of the request (in its WSGI environ: ``g`` lives as
    long as the app context, which several requests may share in tests).
    """
    key = "journeykit.shopper"
    if key not in request.environ:
        request.environ[key] = _find_shopper(loader)
    return request.environ[key]


def _find_shopper(loader: CustomerLoader | None) -> Shopper | None:
    token = request.headers.get(TOKEN_HEADER)
    if token:
        return read_token(current_app._get_current_object(), token)  # type: ignore[attr-defined]
    if loader is None:
        return None
    found = loader()
    if not found:
        return None
    customer_id, email, *name = found
    return Shopper(str(customer_id), email, name[0] if name else None)


def new_visitor_id() -> str:
    """A fresh random visitor id (22 URL-safe characters, 128 bits)."""
    return secrets.token_urlsafe(16)


def is_visitor_id(value: str) -> bool:
    """Whether ``value`` has the shape of a visitor id (16 to 64 URL-safe characters)."""
    return bool(_VISITOR_ID.match(value))


def current_visitor_id() -> str | None:
    """The visitor id sent with this request (header first, then cookie), if any.

    A malformed header is the caller's mistake (400); a malformed cookie is
    treated as absent, since a browser cannot repair it.
    """
    header = request.headers.get(VISITOR_HEADER)
    if header is not None:
        if not is_visitor_id(header):
            raise BadRequest(
                f"{VISITOR_HEADER} must be 16 to 64 URL-safe characters.", error_code="invalid_visitor_id"
            )
        return header
    cookie = request.cookies.get(current_app.config["JOURNEYKIT_VISITOR_COOKIE"])
    return cookie if cookie and is_visitor_id(cookie) else None
