"""``embed.js`` and ``widgets.css`` as browsers and CDNs like them: versioned, validated, precompressed.

Every page of a shop loads these two files, so they must cost it nothing after
the first visit.  Their URLs carry ``?v=<content hash>`` (the script tag and
the stylesheet link add it), and a URL with the file's own hash is cached for a
year as ``immutable``: a new release changes the hash, hence the URL.  A URL
without it (the one shops paste into other sites) or with a stale hash still
answers with the current file, but only for a short while before the browser
asks again (``stale-while-revalidate`` hides that revalidation from the page).
Each answer carries a strong ETag, so a revalidation is a bodiless 304.  The
gzip body is made once per process (and again only if the file changes on
disk), never per request, and sent to clients whose ``Accept-Encoding`` allows it.

``embed.js`` is answered by :class:`Shortcut`, a WSGI middleware in front of
the shop's app, as WhiteNoise serves static files: every page view of the
shop may ask for it, and Flask's dispatch with the shop's own request hooks
and session would cost several times the answer.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable
from urllib.parse import parse_qsl

from flask import Response, request
from werkzeug.http import parse_accept_header, parse_etags
from werkzeug.utils import get_content_type

from journeykit.core.wsgi_answer import Answer

#: The widgets' static folder (the blueprint's).
FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
#: The files served this way, relative to :data:`FOLDER`, each with the
#: ``Cache-Control`` of its unversioned URL.  embed.js is pasted into other sites by URL,
#: so a new release must reach them within minutes; widgets.css is linked (versioned) by
#: the widgets themselves, so its bare URL may be kept for a day.
UNVERSIONED_CACHE_CONTROL = {
    "journeykit/embed.js": "public, max-age=300, stale-while-revalidate=86400",
    "journeykit/widgets.css": "public, max-age=86400, stale-while-revalidate=604800",
}
#: A URL that names the file's own content: the same bytes forever.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Hex digits of the content's SHA-256 kept in the version and the ETag (64 bits: no collision between releases).
HASH_DIGITS = 16


@dataclass(frozen=True)
class Asset:
    """One file's bytes, identity and gzip, with the content hash that versions its URL."""

    identity: bytes
    gzipped: bytes
    version: str
    mimetype: str
    #: The ``Content-Type`` header: the mimetype, with the charset of a text type (as werkzeug writes it).
    content_type: str

    def etag(self, gzipped: bool) -> str:
        """A strong validator per representation: the gzip body is other bytes than the file, so another tag."""
        return f"{self.version}-gzip" if gzipped else self.version


_loaded: dict[str, tuple[tuple[int, int], Asset]] = {}
_lock = threading.Lock()


def load(static_folder: str, filename: str) -> Asset:
    """The asset, read and compressed on first use and whenever the file on disk changes (a ``stat`` per call)."""
    path = os.path.join(static_folder, filename)
    stat = os.stat(path)
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _loaded.get(path)
    if cached is None or cached[0] != key:
        with _lock:  # one thread compresses; the others wait for its result
            cached = _loaded.get(path)
            if cached is None or cached[0] != key:
                cached = (key, _read(path))
                _loaded[path] = cached
    return cached[1]


def _read(path: str) -> Asset:
    with open(path, "rb") as file:
        data = file.read()
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return Asset(
        identity=data,
        gzipped=gzip.compress(data, compresslevel=9, mtime=0),  # mtime=0: the same bytes on every worker and host
        version=hashlib.sha256(data).hexdigest()[:HASH_DIGITS],
        mimetype=mimetype,
        content_type=get_content_type(mimetype, "utf-8"),
    )


def version(static_folder: str, filename: str) -> str:
    """The ``v`` query value of the file's versioned URL."""
    return load(static_folder, filename).version


def send(static_folder: str, filename: str) -> Response:
    """The file for the current request, as a response of the app: see :func:`answer`."""
    return answer(request.environ, static_folder, filename).response()


def answer(environ: dict[str, Any], static_folder: str, filename: str) -> Answer:
    """The file (gzip when accepted), a 304 when the client's copy is current, cached as its URL deserves.

    Read from the WSGI environ and written as a plain list of headers: every
    page view of the shop may ask for this file, and werkzeug's request and
    response objects would cost more than the rest.
    """
    asset = load(static_folder, filename)
    gzipped = (parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING"))["gzip"] > 0
               and len(asset.gzipped) < len(asset.identity))
    etag = asset.etag(gzipped)
    asked_version = next((value for name, value in parse_qsl(environ.get("QUERY_STRING", "")) if name == "v"), None)
    cache_control = IMMUTABLE if asked_version == asset.version else UNVERSIONED_CACHE_CONTROL[filename]
    headers = [("ETag", f'"{etag}"'), ("Vary", "Accept-Encoding"), ("Cache-Control", cache_control)]
    if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(etag):  # weak, as If-None-Match asks; ``*`` too
        return Answer(304, headers)
    body = asset.gzipped if gzipped else asset.identity
    if gzipped:
        headers.append(("Content-Encoding", "gzip"))
    headers += [("Content-Type", asset.content_type), ("Content-Length", str(len(body)))]
    return Answer(200, headers, body)


class Shortcut:
    """WSGI middleware: ``GET`` and ``HEAD`` of one path answered by ``respond`` before the app is called.

    Nothing of the app runs for it (no request hooks, no session): only for
    a static file whose answer depends on the request's headers alone.  Any
    other path, and any other method on this one, goes to the app unchanged.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], path: str,
                 respond: Callable[[dict[str, Any]], Answer]) -> None:
        self.app, self.path, self.respond = app, path, respond

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != self.path or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        return self.respond(environ)(environ, start_response)
