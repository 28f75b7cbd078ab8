"""Kept public reads answered in front of the shop's app (``journeykit.core.early_reads``).

What a shopper's browser gets must not change: the same status, body and
headers as the app's own answer, for every origin, conditional request and
``HEAD``.  What changes is that the shop's request hooks no longer run for a
read the worker already holds, on SQLite and PostgreSQL, where the worker
knows without a query that nothing changed.  On MariaDB every read still goes
through the app.  A write sends the next read to the app, which shows it.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask, request, session

from journeykit.core import read_cache

from .test_read_cache import PROGRAMS, READS, WALL, _lookups

STORE = "https://store.example"
URLS = {**READS, **WALL, **PROGRAMS}


class Hooks:
    """Counts the requests the shop's own ``before_request`` and ``after_request`` see, as a shop's logging would."""

    def __init__(self, app: Flask) -> None:
        self.before = self.after = 0
        app.before_request(self._before)
        app.after_request(self._after)

    def _before(self) -> None:
        self.before += 1

    def _after(self, response: Any) -> Any:
        self.after += 1
        response.headers["X-Shop-Hook"] = request.path
        return response

    @property
    def seen(self) -> int:
        assert self.before == self.after
        return self.before


@pytest.fixture
def shop(shop_factory, tmp_path):
    return shop_factory(config={"JOURNEYKIT_ALLOWED_ORIGINS": [STORE], "JOURNEYKIT_REVIEWS_RATE_LIMIT": "1000 per hour"})


@pytest.fixture
def hooks(app) -> Hooks:
    return Hooks(app)


def _early(app: Flask, db: Any) -> bool:
    """Whether this database lets a worker answer kept reads early (a watcher knows its tokens)."""
    return _lookups(app, db) == 0


def _settled(client: Any, hooks: Hooks, url: str, early: bool, **kwargs: Any) -> Any:
    """Read ``url`` until the worker answers it early: on PostgreSQL each write's notification, which may arrive
    after the next read, sends one more read to the app.  Without a watcher (MariaDB), read it once."""
    deadline = time.monotonic() + 5
    while True:
        seen = hooks.seen
        response = client.get(url, **kwargs)
        if not early or hooks.seen == seen:
            return response
        assert time.monotonic() < deadline, f"{url} was never answered early"


def _answer(response: Any) -> tuple[int, bytes, dict[str, str]]:
    headers = {name: value for name, value in response.headers.items() if name != "X-Shop-Hook"}
    return response.status_code, response.data, headers


VARIANTS = {
    "plain": ("GET", {}),
    "allowed origin": ("GET", {"Origin": STORE}),
    "foreign origin": ("GET", {"Origin": "https://elsewhere.example"}),
    "head": ("HEAD", {}),
}


def test_a_kept_read_is_answered_without_the_shop_s_app_exactly_as_the_app_answered_it(app, client, db, hooks, acting):
    acting.buyer_reviews()
    early = _early(app, db)
    for name, url in URLS.items():
        _settled(client, hooks, url, early)
        for variant, (method, headers) in VARIANTS.items():
            read_cache._notes.pop(app, None)  # the app's own answer first, from its kept body
            first = client.open(url, method=method, headers=headers)
            assert first.status_code == 200 and first.headers["X-Shop-Hook"], (name, variant)
            seen = hooks.seen
            again = client.open(url, method=method, headers=headers)
            assert _answer(again) == _answer(first), (name, variant)
            assert hooks.seen == (seen if early else seen + 1), (name, variant)
            assert ("X-Shop-Hook" in again.headers) is not early
        etag = client.get(url).headers["ETag"]
        seen = hooks.seen
        revalidated = client.get(url, headers={"If-None-Match": etag, "Origin": STORE})
        assert revalidated.status_code == 304 and revalidated.data == b"" and revalidated.headers["ETag"] == etag
        assert revalidated.headers["Access-Control-Allow-Origin"] == STORE and "Origin" in revalidated.headers["Vary"]
        assert hooks.seen == (seen if early else seen + 1), name
    assert client.get(READS["list"], headers={"Origin": STORE}).headers["Access-Control-Allow-Origin"] == STORE
    assert "Access-Control-Allow-Origin" not in client.get(READS["list"], headers={"Origin": "https://evil.example"}).headers
    seen = hooks.seen  # a write to a kept read's path is the app's
    response = client.post(READS["list"], json={"rating": 5, "body": "Again."}, headers=acting.shopper("c-3", name="Cy"))
    assert response.status_code in (200, 201) and hooks.seen == seen + 1


def test_a_write_sends_the_next_read_to_the_app_which_shows_it(app, client, db, hooks, acting):
    acting.shopper_reviews()
    early = _early(app, db)
    before = _settled(client, hooks, READS["list"], early)
    acting.admin_does("publish")
    seen = hooks.seen
    published = client.get(READS["list"])
    assert hooks.seen == seen + 1 and b"Wobbly lid." in published.data and published.data != before.data
    assert _answer(_settled(client, hooks, READS["list"], early)) == _answer(published)


def test_the_reviews_fragment_goes_to_the_app_whenever_the_request_may_name_a_shopper(app, client, db, hooks, acting,
                                                                                      journey):
    """Its public body is anyone's who sends no customer token and no cookie (a shop's loader may read them)."""
    acting.buyer_reviews()
    early = _early(app, db)
    anonymous = client.get(READS["fragment"])
    assert b"data-signed-in" not in anonymous.data
    assert _answer(_settled(client, hooks, READS["fragment"], early)) == _answer(anonymous)
    for _ in range(2):
        seen = hooks.seen
        mine = client.get(READS["fragment"], headers=acting.author)
        assert hooks.seen == seen + 1
        assert b"data-signed-in" in mine.data and mine.headers["Cache-Control"] == "private, no-store"
    journey.customer_loader(lambda: ("buyer-1", "bea@example.com", "Bea") if session.get("who") else None)
    signed_in, passer_by = app.test_client(), app.test_client()
    with signed_in.session_transaction() as kept:
        kept["who"] = "buyer-1"
    with passer_by.session_transaction() as kept:
        kept["cart"] = 1
    for _ in range(2):
        seen = hooks.seen
        mine = signed_in.get(READS["fragment"])
        assert hooks.seen == seen + 1 and b"data-signed-in" in mine.data
        assert mine.headers["Cache-Control"] == "private, no-store"
        seen = hooks.seen
        theirs = passer_by.get(READS["fragment"])
        assert hooks.seen == seen + 1 and b"data-signed-in" not in theirs.data
        assert theirs.headers["Cache-Control"].startswith("public")
    client.get(READS["fragment"])
    seen = hooks.seen
    assert b"data-signed-in" not in app.test_client().get(READS["fragment"]).data
    assert hooks.seen == (seen if early else seen + 1)


def test_each_site_address_is_a_read_of_its_own(app, client, db, hooks, acting):
    """The bodies hold absolute URLs: another host, or another scheme behind a proxy, is rendered by the app."""
    acting.buyer_reviews()
    early = _early(app, db)
    _settled(client, hooks, READS["list"], early)
    for headers in ({"Host": "other.example"}, {"X-Forwarded-Proto": "https"}, {"X-Forwarded-Host": "a.example"}):
        seen = hooks.seen
        client.get(READS["list"], headers=headers)
        assert hooks.seen == seen + 1, headers
        seen = hooks.seen
        client.get(READS["list"], headers=headers)
        assert hooks.seen == (seen if early else seen + 1), headers
    seen = hooks.seen
    client.get(READS["list"], headers={"Host": "third.example"})
    assert hooks.seen == seen + 1


def test_early_reads_can_be_turned_off_and_take_only_true_or_false(shop_factory):
    app, db, _ = shop_factory({"JOURNEYKIT_EARLY_READS": False})
    hooks = Hooks(app)
    client = app.test_client()
    for url in URLS.values():
        first = client.get(url)
        seen = hooks.seen
        assert _answer(client.get(url)) == _answer(first) and hooks.seen == seen + 1
    with pytest.raises(ValueError, match="JOURNEYKIT_EARLY_READS must be True or False"):
        shop_factory({"JOURNEYKIT_EARLY_READS": "yes"})


@pytest.fixture
def acting(app, client, shopper, admin_headers, stripe_events, deliver_stripe_event):
    from .test_read_cache import Shop

    return Shop(app, client, shopper, admin_headers, stripe_events, deliver_stripe_event)
