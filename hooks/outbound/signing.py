"""Signing and sending outbound webhooks, and the check receivers run on them.

The signature is Stripe's scheme, so receivers already know it: header
``JourneyKit-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``.
A receiver verifies the raw bytes it got with :func:`verify_signature` (or
the same few lines in any language) before it parses them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3
from flask import Flask, current_app

from journeykit.core import config, limits
from journeykit.core.version import __version__

SIGNATURE_HEADER = "JourneyKit-Signature"
EVENT_ID_HEADER = "JourneyKit-Event-Id"
EVENT_TYPE_HEADER = "JourneyKit-Event-Type"
#: Seconds to wait for an endpoint (connecting, then each read).
TIMEOUT = 10
#: How much of a response body is kept in the delivery log, in bytes.
EXCERPT_BYTES = 300
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``JourneyKit-Signature`` header value for ``payload``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(payload: bytes, header: str, secret: str, tolerance: int = 300) -> bool:
    """Whether ``header`` (``JourneyKit-Signature``) signs the raw ``payload`` with ``secret``.

    For receivers: pass the body's bytes exactly as received (re-serialised
    JSON will not match).  A timestamp more than ``tolerance`` seconds from
    now is refused, so a captured request cannot be replayed later; dedupe on
    ``JourneyKit-Event-Id`` for the retries JourneyKit itself makes.
    """
    timestamp, candidates = None, []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates or abs(time.time() - timestamp) > tolerance:
        return False
    expected = sign(payload, secret, timestamp).partition(",v1=")[2].encode()
    matches = [hmac.compare_digest(expected, candidate.encode("utf-8", "replace")) for candidate in candidates]
    return any(matches)


def new_secret_seed() -> str:
    """A fresh random seed for an endpoint's signing secret (a new one rotates the secret)."""
    return secrets.token_hex(32)


def endpoint_secret(seed: str, app: Flask | None = None) -> str:
    """An endpoint's signing secret: HMAC of its random seed under ``JOURNEYKIT_SECRET_KEY``.

    Only the seed is stored, so a copy of the database alone cannot forge
    hooks; changing ``JOURNEYKIT_SECRET_KEY`` (or ``SECRET_KEY``) changes
    every endpoint's secret, which receivers must then be given again.
    """
    key = config.secret_key(app or current_app._get_current_object())  # type: ignore[attr-defined]
    digest = hmac.new(key.encode(), f"journeykit.webhook-secret:{seed}".encode(), hashlib.sha256).hexdigest()
    return f"jkwh_{digest}"


def url_problem(url: str, *, allow_plain_http: bool) -> str | None:
    """Why ``url`` cannot be an endpoint, or ``None`` if it can.

    http(s) only, with a host and no credentials (they would sit in logs and
    the admin page); plain http only for localhost, or when the app runs in
    debug or testing mode.
    """
    if len(url) > limits.length("journeykit_webhook_endpoints.url"):
        return f"A URL may be at most {limits.length('journeykit_webhook_endpoints.url')} characters long."
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return "A URL may not contain spaces or control characters."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return "This is not a valid URL."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Use an http:// or https:// URL with a host name."
    if parts.username is not None or parts.password is not None:
        return "Do not put credentials in the URL; verify the signature instead."
    local = parts.hostname in _LOCAL_HOSTS or parts.hostname.endswith(".localhost")
    if parts.scheme == "http" and not (allow_plain_http or local):
        return "Use https:// (plain http is allowed for localhost only)."
    return None


@dataclass
class Attempt:
    """What one POST to an endpoint came to."""

    status_code: int | None
    error: str | None
    duration_ms: int
    excerpt: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(http: requests.Session, url: str, body: bytes, *, secret: str, event_id: str, event_type: str, attempt: int) -> Attempt:
    """POST a signed body once; never raises for the endpoint's failures, reports them.

    Redirects are not followed (a moved endpoint should be edited, and a
    redirect must not carry the signed body elsewhere); only the start of
    the response body is read.
    """
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"JourneyKit-Webhooks/{__version__}",
        SIGNATURE_HEADER: sign(body, secret),
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
        "JourneyKit-Delivery-Attempt": str(attempt),
    }
    started = time.monotonic()
    try:
        with http.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False, stream=True) as response:
            excerpt = response.raw.read(EXCERPT_BYTES, decode_content=True) or b""
            status = response.status_code
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        return Attempt(None, f"{type(exc).__name__}: {exc}"[:500], _since(started), None)
    error = None if 200 <= status < 300 else f"HTTP {status}"
    return Attempt(status, error, _since(started), excerpt.decode("utf-8", "replace") or None)


def _since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
