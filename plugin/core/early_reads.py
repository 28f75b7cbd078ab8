"""The public reads the worker keeps, answered in front of the shop's app: no Flask dispatch, hooks or session.

:class:`EarlyReads`, a WSGI middleware, answers a ``GET`` or ``HEAD`` under
JourneyKit's prefix from the read cache (:mod:`.read_cache`) when the same URL
was last served from a body its scopes' tokens still hold: known without a
query by the engine's watcher (:mod:`.version_watch`: SQLite files and
PostgreSQL; MariaDB's reads always go to the app, which asks the tokens). Only
an answer that is the same for everyone is answered here (nothing but
``Origin`` varies it: not the reviews fragment, which may be a signed-in
shopper's own); the app renders anything else, notes it, and its next request
is answered here.

The trade is the one a CDN makes for these ``Cache-Control: public`` answers:
the shop's own request hooks do not run for them. ``JOURNEYKIT_EARLY_READS =
False`` sends every read through the app.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from flask import Flask

from . import cors, read_cache
from .wsgi_answer import Answer

#: What makes two requests the same read: the URL as sent and the site's address, proxies' headers included
#: (the bodies hold absolute URLs, and a ``ProxyFix`` inside this middleware reads those headers).
_URL_PARTS = ("PATH_INFO", "QUERY_STRING", *read_cache.SITE_PARTS, "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
              "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")


def install(app: Flask) -> None:
    """Put :class:`EarlyReads` in front of the shop's app, unless ``JOURNEYKIT_EARLY_READS`` is off."""
    if app.config["JOURNEYKIT_EARLY_READS"]:
        app.wsgi_app = EarlyReads(app.wsgi_app, app)  # type: ignore[method-assign]


class EarlyReads:
    """WSGI middleware: a kept public read answered before the app; any other request passes to it unchanged."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], app: Flask) -> None:
        self.wsgi_app, self.app = wsgi_app, app
        self.prefix = app.config["JOURNEYKIT_URL_PREFIX"].rstrip("/") + "/"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or not environ.get("PATH_INFO", "").startswith(self.prefix):
            return self.wsgi_app(environ, start_response)
        url = tuple(environ.get(part) for part in _URL_PARTS)
        found = read_cache.early(self.app, url, environ)
        if found is None:
            environ[read_cache.EARLY_URL] = url  # the app notes the read it serves under this URL
            return self.wsgi_app(environ, start_response)
        entry, freshness = found
        status, headers = read_cache.answer_headers(entry, freshness, environ)
        headers.append(("Vary", cors.vary(", ".join(entry.vary))))
        headers += cors.headers(environ.get("HTTP_ORIGIN"), self.app.config["JOURNEYKIT_ALLOWED_ORIGINS"])
        if status == 304:
            return Answer(304, headers)(environ, start_response)
        headers += [("Content-Type", entry.content_type), ("Content-Length", str(len(entry.body)))]
        return Answer(200, headers, entry.body)(environ, start_response)
