"""Rate limits on what shoppers write, with the ``limits`` library.

``limits`` is the engine under Flask-Limiter, with the same storage backends
(memory, Redis, memcached).  JourneyKit uses it directly so that its limits
neither read nor disturb a shop's own Flask-Limiter set-up (its ``RATELIMIT_*``
keys and default limits apply app-wide).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from weakref import WeakKeyDictionary

from flask import Flask, current_app, request
from limits import parse_many, storage, strategies

from .errors import APIError

log = logging.getLogger("journeykit")


class TooManyRequests(APIError):
    code = 429
    error_code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def get_headers(self, environ=None, scope=None):  # type: ignore[override]
        return [*super().get_headers(environ, scope), ("Retry-After", str(self.retry_after))]


#: One limiter per app: ``memory://`` counters belong to one shop, not to every app in the process.
_limiters: WeakKeyDictionary[Flask, strategies.MovingWindowRateLimiter] = WeakKeyDictionary()
_making = threading.Lock()


def _limiter() -> strategies.MovingWindowRateLimiter:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _making:  # a threaded worker's first requests arrive together; limits' lazy imports are not thread-safe
        return _limiters.get(app) or _make_limiter(app)


def _make_limiter(app: Flask) -> strategies.MovingWindowRateLimiter:
    uri = app.config["JOURNEYKIT_RATELIMIT_STORAGE_URI"]
    limiter = _limiters[app] = strategies.MovingWindowRateLimiter(storage.storage_from_string(uri))
    if uri.startswith("memory://") and request.environ.get("wsgi.multiprocess"):
        log.warning(
            "journeykit: rate limits are counted in each worker's memory (JOURNEYKIT_RATELIMIT_STORAGE_URI "
            "is %s) but this server runs several worker processes, so every limit is multiplied by their "
            "number; point it at Redis or memcached, e.g. redis://localhost:6379/0", uri)
    return limiter


def client_address() -> str:
    """The caller's address as the shop's WSGI stack reports it (use ProxyFix behind a proxy)."""
    return request.remote_addr or "unknown"


def hit(scope: str, limit_setting: str, *keys: str) -> None:
    """Count one action against each key (e.g. the shopper and the address); 429 when one is spent.

    Every key is checked before any is counted, so a refused attempt costs nothing.
    """
    config = current_app.config
    limiter = _limiter()
    limits = parse_many(config[limit_setting])
    namespace = f"journeykit:{config['JOURNEYKIT_URL_PREFIX']}:{scope}"
    for key in keys:
        for limit in limits:
            if not limiter.test(limit, namespace, key):
                reset = limiter.get_window_stats(limit, namespace, key).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                raise TooManyRequests(f"Too many attempts; try again in {wait} seconds.", wait)
    for key in keys:
        for limit in limits:
            limiter.hit(limit, namespace, key)
