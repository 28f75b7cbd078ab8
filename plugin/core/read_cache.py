"""The public reads (reviews, ratings, testimonials, the programs) served from memory, and their HTTP caching.

A read (:func:`serve`) looks up its scopes' version tokens
(:mod:`~journeykit.core.read_versions`: no query where a watcher knows them)
and serves the body rendered under the same tokens from a bounded in-process
LRU, so the next read under the same tokens renders nothing; a write gives
the scopes new tokens, so every worker and instance renders again.

HTTP: every public read carries a strong ``ETag`` (a digest of the body, so it
changes exactly when the bytes do), answers ``If-None-Match`` with a 304, and
``Cache-Control: public, max-age=…, stale-while-revalidate=…``.  A response
that is one shopper's own (``private``/``no-store``) is never kept.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Sequence, TypeVar

import sqlalchemy as sa
from flask import Flask, Response, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.http import parse_etags

from . import version_watch
from .db import engine
from .read_versions import (
    bump as bump,  # docs/caching.md names it here, for writes made outside the session
)
from .read_versions import session_connection, versions, versions_on, writing

#: How many rendered bodies each app keeps, and how many bytes at most.
MAX_ENTRIES = 2048
MAX_BYTES = 32 * 1024 * 1024
#: Seconds a kept body is served without rendering it again: it bounds how long data JourneyKit does not own
#: (the shop's product loader: names, images) can lag; JourneyKit's own writes take effect at once.
FRESH_SECONDS = 60


# -- the cache -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """A rendered public read: its bytes, their type, its ``Vary`` and strong ETag."""

    body: bytes
    content_type: str
    vary: tuple[str, ...]
    etag: str
    made: float


class LRU:
    """A thread-safe least-recently-used map, bounded by entries and by bytes; entries expire after ``ttl`` seconds."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES, ttl: float = FRESH_SECONDS) -> None:
        self.max_entries, self.max_bytes, self.ttl = max_entries, max_bytes, ttl
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry.made > self.ttl:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: Entry) -> None:
        if len(entry.body) > self.max_bytes // 8:  # one huge body would push out everything else
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        self._bytes -= len(self._entries.pop(key).body)

    def __len__(self) -> int:
        return len(self._entries)


_caches: weakref.WeakKeyDictionary[Flask, LRU] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(app: Flask) -> LRU:
    """The app's cache of rendered public reads (one per app and process)."""
    cache = _caches.get(app)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(app, LRU())
    return cache


# -- serving -------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """How long browsers and shared caches may use a public read: ``max_age`` seconds, then ``stale`` more while
    they revalidate it in the background (a 304 costs one version query)."""

    max_age: int
    stale: int

    @property
    def header(self) -> str:
        return f"public, max-age={self.max_age}, stale-while-revalidate={self.stale}"


#: Reads that change with every shopper's review or the owner's curation: reviews, ratings, testimonials, fragments.
LIVELY = Freshness(max_age=30, stale=300)
#: Reads that change only with the owner's settings: the loyalty and referral programs.
SETTLED = Freshness(max_age=300, stale=3600)


def serve(render: Callable[[], ResponseReturnValue], *, scopes: Sequence[str], freshness: Freshness) -> Response:
    """A public read: from the cache when its scopes' tokens are unchanged, else ``render()``ed and kept.

    The cache key is the endpoint, its URL arguments, the query string as
    sent (the same arguments in another order are kept apart: parsing them
    would cost every read more than a second entry costs once), the site's
    address (bodies hold absolute URLs) and the scopes' tokens;
    ``reviews:sku-1`` also depends on ``reviews``.
    What ``render`` answers other than a plain 200, or marks ``private`` or
    ``no-store`` (one shopper's own), is returned as it is and never kept.
    The request and app are looked up once: each look-up through Flask's
    proxies costs a microsecond, and a cached read is made of few more.
    """
    app, asked = current_app._get_current_object(), request._get_current_object()  # type: ignore[attr-defined]
    db_session = _current_session(app)
    if db_session is not None and writing(db_session):
        return _fresh(render, freshness)
    names = _with_whole_scopes(scopes)
    environ = asked.environ
    read = (asked.endpoint, tuple(sorted((asked.view_args or {}).items())), environ.get("QUERY_STRING", ""),
            _site(environ), names)
    cache = cache_for(app)
    tokens = versions(names, db_session)
    entry = cache.get((*read, tokens))
    if entry is not None:
        _note(app, environ, entry, Noted((*read, tokens), names, tokens, freshness))
        return _answer(entry, freshness, environ)
    if db_session is not None and db_session.in_transaction() and version_watch.watching(engine()):
        # the body renders in the session's transaction, whose snapshot (SQLite's, or any at REPEATABLE READ) may be
        # older than the watcher's tokens: it is kept under the tokens that snapshot sees
        tokens = versions_on(session_connection(db_session), names)
    return _fresh(render, freshness, Noted((*read, tokens), names, tokens, freshness))


#: What the site's address (``request.url_root``, in the bodies' absolute URLs) is made of, unparsed.
SITE_PARTS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")


def _site(environ: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(environ.get(name) for name in SITE_PARTS)


def _current_session(app: Flask) -> Session | None:
    """The request's session if it has one yet (a cached read never makes one)."""
    scoped = app.extensions["journeykit"].db.session
    return scoped() if scoped.registry.has() else None


def _with_whole_scopes(scopes: Sequence[str]) -> tuple[str, ...]:
    names = dict.fromkeys(scopes)
    for scope in scopes:
        whole, keyed, _ = scope.partition(":")
        if keyed:
            names[whole] = None
    return tuple(names)


def _fresh(render: Callable[[], ResponseReturnValue], freshness: Freshness, keep: Noted | None = None) -> Response:
    """``render()``'s answer, kept under ``keep``'s key unless it is one shopper's own or rendering wrote."""
    response = current_app.make_response(render())
    if response.status_code != 200 or response.direct_passthrough or _is_private(response):
        return response
    body = response.get_data()
    entry = Entry(body, response.content_type or "", tuple(response.vary), _etag(body), time.monotonic())
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    db_session = _current_session(app)
    if keep is not None and not (db_session is not None and writing(db_session)):  # rendering wrote nothing
        cache_for(app).put(keep.key, entry)
        _note(app, request.environ, entry, keep)
    return _answer(entry, freshness, request.environ)


def _is_private(response: Response) -> bool:
    control = response.cache_control
    return bool(control.private or control.no_store)


def _etag(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def _answer(entry: Entry, freshness: Freshness, environ: dict[str, Any]) -> Response:
    """The entry as a 200, or a 304 when the client's ``If-None-Match`` names it (``*`` too)."""
    status, headers = answer_headers(entry, freshness, environ)
    if entry.vary:
        headers.append(("Vary", ", ".join(entry.vary)))
    if status == 304:
        return Response(status=304, headers=headers)
    return Response(entry.body, headers=headers, content_type=entry.content_type)


def answer_headers(entry: Entry, freshness: Freshness, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]]]:
    """The status (200, or 304 when ``If-None-Match`` names the entry) and caching headers of a kept read, but
    its ``Vary``."""
    headers = [("ETag", f'"{entry.etag}"'), ("Cache-Control", freshness.header)]
    asked = environ.get("HTTP_IF_NONE_MATCH")
    return (304 if asked is not None and parse_etags(asked).contains_weak(entry.etag) else 200), headers


# -- noted for an early answer ---------------------------------------------------


#: The WSGI environ key under which :mod:`.early_reads` names a request's URL as it saw it (absent: not installed).
EARLY_URL = "journeykit.early_url"


@dataclass(frozen=True)
class Noted:
    """Where a read's body is kept (the cache's key, its tokens last) and what tells that it is still current."""

    key: Hashable
    names: tuple[str, ...]
    tokens: tuple[int, ...]
    freshness: Freshness
    #: The WSGI names of the request headers the body varies by: a request with any of them goes to the app.
    varies: tuple[str, ...] = ()


class Notes:
    """The reads served lately, by the URL :mod:`.early_reads` saw; bounded, the oldest noted forgotten first."""

    def __init__(self, engine: sa.Engine, max_entries: int = MAX_ENTRIES) -> None:
        self.engine = weakref.ref(engine)  # the notes never keep the shop's engine alive
        self.max_entries = max_entries
        self._noted: dict[Hashable, Noted] = {}
        self._lock = threading.Lock()

    def get(self, url: Hashable) -> Noted | None:
        return self._noted.get(url)

    def put(self, url: Hashable, noted: Noted) -> None:
        with self._lock:
            self._noted.pop(url, None)
            self._noted[url] = noted
            if len(self._noted) > self.max_entries:
                del self._noted[next(iter(self._noted))]


_notes: weakref.WeakKeyDictionary[Flask, Notes] = weakref.WeakKeyDictionary()


def _note(app: Flask, environ: dict[str, Any], entry: Entry, noted: Noted) -> None:
    """Note a read for :func:`early`, with the headers its body varies by (the reviews fragment's: whose they are)."""
    url = environ.get(EARLY_URL)
    if url is None:
        return
    notes = _notes.get(app)
    if notes is None:
        with _caches_lock:
            notes = _notes.setdefault(app, Notes(engine()))
    if entry.vary:  # and cookies, which may name a shopper to a customer loader registered since it was rendered
        names = {"HTTP_" + name.upper().replace("-", "_") for name in entry.vary} | {"HTTP_COOKIE"}
        noted = dataclasses.replace(noted, varies=tuple(sorted(names)))
    notes.put(url, noted)


def early(app: Flask, url: Hashable, environ: dict[str, Any]) -> tuple[Entry, Freshness] | None:
    """The kept body of the read last served at ``url``, if its tokens are known current without a query and the
    request has none of the headers it varies by (the reviews fragment's public body is anyone's who sends no
    customer token and no cookie)."""
    notes = _notes.get(app)
    noted = notes.get(url) if notes is not None else None
    if noted is None or any(environ.get(name) for name in noted.varies):
        return None
    db_engine = notes.engine()  # type: ignore[union-attr]
    if db_engine is None or version_watch.known(db_engine, noted.names, start=False) != noted.tokens:
        return None
    entry = cache_for(app).get(noted.key)
    return None if entry is None else (entry, noted.freshness)


def mark_private(response: Response) -> Response:
    """One shopper's own answer: never kept by any cache, ours included."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


View = TypeVar("View", bound=Callable[..., Any])


def public(scopes: Callable[..., Sequence[str]], freshness: Freshness) -> Callable[[View], View]:
    """Serve a view through :func:`serve`; ``scopes`` takes the view's URL arguments (``product_id``)."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def cached(**kwargs: Any) -> Response:
            return serve(lambda: view(**kwargs), scopes=scopes(**kwargs), freshness=freshness)

        return cached  # type: ignore[return-value]

    return decorate
