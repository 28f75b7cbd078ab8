"""The read cache: public reads kept in memory and by browsers, and every write that changes them seen at once.

Each write path is tried the same way: the reads are made (which fills the
cache), the write is made, and the next reads show it with a new ETag, and
equal what a cold cache renders.  The same holds for a second process (a
gunicorn server) reading the database the test writes to.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pytest
import requests
import sqlalchemy as sa

from journeykit.core import read_cache, version_watch
from journeykit.core.db import session
from journeykit import models

from .conftest import POSTGRESQL
from .test_instances import _start
from .test_review_photos import image, upload

API = "/journeykit/api/v1"
PRODUCT = f"{API}/products/sku-1"
ADMIN = f"{API}/admin/reviews"
#: The product's public reads, by name.
READS = {
    "list": f"{PRODUCT}/reviews",
    "rating": f"{PRODUCT}/rating",
    "fragment": "/journeykit/widgets/reviews?product=sku-1",
    "badge": "/journeykit/widgets/rating?product=sku-1&lang=fr",
}
WALL = {"wall": f"{API}/testimonials", "tagged": f"{API}/testimonials?tag=b2b",
        "fragment": "/journeykit/widgets/testimonials?layout=carousel"}
PROGRAMS = {"referral": f"{API}/referrals/program", "loyalty": f"{API}/loyalty/program"}
VISITOR = {"X-JourneyKit-Visitor": "visitor-read-cache-0001"}


@pytest.fixture
def shop(shop_factory, tmp_path):
    return shop_factory(config={"JOURNEYKIT_REVIEW_PHOTOS_DIR": str(tmp_path / "photos"),
                                "JOURNEYKIT_REVIEWS_RATE_LIMIT": "1000 per hour"})


@dataclass(frozen=True)
class Read:
    etag: str
    body: bytes


def reads(client: Any, urls: dict[str, str]) -> dict[str, Read]:
    """Each public read, checked for its caching headers."""
    found = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.data)
        assert response.headers["Cache-Control"].startswith("public, max-age="), url
        assert "stale-while-revalidate=" in response.headers["Cache-Control"]
        assert response.headers["ETag"].startswith('"'), url  # strong
        found[name] = Read(response.headers["ETag"], response.data)
    return found


def read_fresh(app: Any, client: Any, urls: dict[str, str]) -> dict[str, Read]:
    """The reads as a cold cache renders them."""
    read_cache._caches.pop(app, None)
    return reads(client, urls)


@dataclass
class Shop:
    """The test's shop and the people acting in it."""

    app: Any
    client: Any
    shopper: Callable[..., dict[str, str]]
    admin: dict[str, str]
    stripe_events: Any
    deliver: Callable[[dict[str, Any]], Any]
    review_id: int = 0
    author: dict[str, str] | None = None
    purchase: dict[str, Any] | None = None

    def buyer_reviews(self) -> None:
        """A verified buyer's review, published at once."""
        self.purchase = self.stripe_events.checkout_completed(customer_id="buyer-1", products=["sku-1"],
                                                              amount_total=3000)
        assert self.deliver(self.purchase).status_code == 200
        self.author = self.shopper("buyer-1", name="Bea Buyer")
        self._write({"rating": 5, "title": "Lovely", "body": "Holds heat for hours."}, "published")

    def shopper_reviews(self) -> None:
        """A shopper who bought nothing: their review waits for the owner."""
        self.author = self.shopper("c-2", name="Cy")
        self._write({"rating": 2, "body": "Wobbly lid."}, "pending")

    def buyer_reviews_with_a_photo(self) -> None:
        self.buyer_reviews()
        assert upload(self.client, self.review_id, image(), self.author).status_code == 201
        self.admin_does("publish")

    def _write(self, review: dict[str, Any], status: str) -> None:
        response = self.client.post(f"{PRODUCT}/reviews", json=review, headers=self.author)
        assert response.status_code in (200, 201) and response.json["status"] == status, response.json
        self.review_id = response.json["id"]

    def admin_does(self, action: str, body: dict[str, Any] | None = None) -> None:
        response = self.client.post(f"{ADMIN}/{self.review_id}/{action}", json=body, headers=self.admin)
        assert response.status_code == 200, response.json

    def photo(self) -> int:
        with self.app.app_context():
            photos = sa.select(models.ReviewPhoto.id).where(models.ReviewPhoto.review_id == self.review_id)
            return session().scalar(photos)


@pytest.fixture
def acting(app, client, shopper, admin_headers, stripe_events, deliver_stripe_event) -> Shop:
    return Shop(app, client, shopper, admin_headers, stripe_events, deliver_stripe_event)


def _vote(shop: Shop) -> None:
    assert shop.client.post(f"{API}/reviews/{shop.review_id}/helpful", headers=VISITOR).json["helpful"] == 1


def _add_photo(shop: Shop) -> None:
    assert upload(shop.client, shop.review_id, image(), shop.author).status_code == 201


def _hide_photo(shop: Shop) -> None:
    shop.admin_does(f"photos/{shop.photo()}/hide")


def _edit(shop: Shop) -> None:
    shop._write({"rating": 4, "body": "Good, though the lid sticks."}, "published")


def _refund(shop: Shop) -> None:
    assert shop.deliver(shop.stripe_events.charge_refunded(shop.purchase, amount_refunded=3000)).status_code == 200


def _forget(shop: Shop) -> None:
    response = shop.client.post(f"{API}/admin/customers/buyer-1/forget", headers=shop.admin)
    assert response.status_code == 200, response.json


#: A review from another shop's export (Judge.me's columns), published there.
IMPORTED = ("title,body,rating,review_date,source,curated,reviewer_name,reviewer_email,product_id,product_handle,"
            "reply,reply_date,picture_urls,ip_address,location\n"
            "Imported,From the old shop.,4,2024-03-01 10:00:00 UTC,web,ok,Ida,ida@example.com,,sku-1,,,,,\n")


def _import(shop: Shop) -> None:
    response = shop.client.post(f"{ADMIN}/import?format=judgeme", data=IMPORTED.encode(), content_type="text/csv",
                                headers=shop.admin)
    assert response.json == {"imported": 1, "skipped": 0}


#: Each write path: how the review is set up, the write, and which reads it changes.
WRITES = {
    "publish": (Shop.shopper_reviews, lambda shop: shop.admin_does("publish"), set(READS)),
    "reject": (Shop.buyer_reviews, lambda shop: shop.admin_does("reject", {"reason": "spam"}), set(READS)),
    "reply": (Shop.buyer_reviews, lambda shop: shop.admin_does("reply", {"body": "Thank you!"}), {"list", "fragment"}),
    "helpful vote": (Shop.buyer_reviews, _vote, {"list", "fragment"}),
    "photo added": (Shop.buyer_reviews, _add_photo, {"list", "fragment"}),
    "photo hidden": (Shop.buyer_reviews_with_a_photo, _hide_photo, {"list", "fragment"}),
    "edit": (Shop.buyer_reviews, _edit, set(READS)),
    "pin": (Shop.buyer_reviews, lambda shop: shop.admin_does("pin", {"pinned": True}), {"list"}),
    "refund withdraws the verified badge": (Shop.buyer_reviews, _refund, {"list", "fragment"}),
    "privacy forget": (Shop.buyer_reviews, _forget, {"list", "fragment"}),
    "import": (Shop.buyer_reviews, _import, set(READS)),
}


@pytest.mark.parametrize("path", list(WRITES))
def test_every_write_path_shows_in_the_next_read_with_a_new_etag(app, client, acting, path):
    setup, write, changed = WRITES[path]
    setup(acting)
    before = reads(client, READS)
    assert reads(client, READS) == before  # the same answer, now from the cache
    write(acting)
    after = reads(client, READS)
    for name in READS:
        if name in changed:
            assert after[name].body != before[name].body, f"{path}: {name} did not change"
            assert after[name].etag != before[name].etag
    assert read_fresh(app, client, READS) == after  # what the cache answers is what a cold render answers


def test_a_write_to_one_product_leaves_the_others_cached(app, client, acting, db):
    acting.buyer_reviews()
    other = f"{API}/products/sku-2/reviews"
    for url in (other, READS["list"]):
        client.get(url)
    acting.admin_does("reply", {"body": "Thanks."})
    assert _count_statements(db, app, lambda: client.get(other)) == 1  # the versions' query: still kept
    assert _count_statements(db, app, lambda: client.get(READS["list"])) > 1  # rendered again


def test_testimonials_publish_curate_and_reject_show_at_once(app, client, admin_headers):
    sent = client.post(f"{API}/testimonials", json={"body": "Fast shipping.", "name": "Ann", "consent": True})
    testimonial = sent.json["id"]
    steps = [("publish", "post", "publish", None, {"wall", "fragment"}),
             ("curate", "patch", "", {"tags": ["b2b"], "featured": True}, {"wall", "tagged", "fragment"}),
             ("reject", "post", "reject", None, {"wall", "tagged", "fragment"})]
    before = reads(client, WALL)
    for step, method, action, body, changed in steps:
        url = f"{API}/admin/testimonials/{testimonial}" + (f"/{action}" if action else "")
        assert getattr(client, method)(url, json=body, headers=admin_headers).status_code == 200
        after = reads(client, WALL)
        for name in changed:
            assert after[name].body != before[name].body and after[name].etag != before[name].etag, (step, name)
        assert read_fresh(app, client, WALL) == after
        before = after


def test_a_settings_change_shows_in_the_programs_at_once(app, client, admin_headers):
    before = reads(client, PROGRAMS)
    assert client.put(f"{API}/admin/referrals/settings", json={"friend_reward": {"amount_off": 500, "currency": "usd"}},
                      headers=admin_headers).status_code == 200
    after = reads(client, PROGRAMS)
    assert after["referral"] != before["referral"] and after["loyalty"] == before["loyalty"]
    assert client.get(PROGRAMS["referral"]).json["friend_offer"] == "5.00 USD off"
    assert client.put(f"{API}/admin/loyalty/rules", json={"signup": 100}, headers=admin_headers).status_code == 200
    assert "100 points for creating your account" in client.get(PROGRAMS["loyalty"]).get_data(as_text=True)
    assert read_fresh(app, client, PROGRAMS)["loyalty"] != after["loyalty"]


def test_a_bulk_update_on_a_watched_table_changes_the_scopes_its_rows_are_in(app, client, acting, db):
    acting.buyer_reviews()
    before = reads(client, READS)
    with app.app_context():
        db.session.execute(sa.update(models.Review).where(models.Review.id == acting.review_id).values(title="Renamed"))
        db.session.execute(sa.update(models.Testimonial).values(featured=True))  # no WHERE: the whole scope
        db.session.commit()
    after = reads(client, READS)
    assert b"Renamed" in after["list"].body and after["list"].etag != before["list"].etag


def test_if_none_match_answers_304_without_rendering_and_head_works(app, client, acting, db):
    acting.buyer_reviews()
    for url in (*READS.values(), *WALL.values(), *PROGRAMS.values()):
        first = client.get(url)
        again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == first.headers["ETag"]
        assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
        assert client.get(url, headers={"If-None-Match": '"other", ' + first.headers["ETag"]}).status_code == 304
        head = client.head(url)
        assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == first.headers["ETag"]
        assert int(head.headers["Content-Length"]) == len(first.data)
    lookups = _lookups(app, db)
    etag = client.get(READS["list"]).headers["ETag"]
    statements = _count_statements(db, app, lambda: client.get(READS["list"], headers={"If-None-Match": etag}))
    assert statements == lookups  # nothing rendered
    acting.admin_does("reply", {"body": "Thanks."})
    assert client.get(READS["list"], headers={"If-None-Match": etag}).status_code == 200


def test_a_cached_read_costs_no_query_where_a_watcher_knows_the_versions_else_one(app, client, acting, db):
    acting.buyer_reviews()
    lookups = _lookups(app, db)
    for url in READS.values():
        client.get(url)
        assert _count_statements(db, app, lambda: client.get(url)) == lookups, url


def _lookups(app: Any, db: Any) -> int:
    """Statements a cached read sends: none on SQLite and PostgreSQL once their watcher is on, one (the tokens)
    on MariaDB."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "mysql":
        return 1
    deadline = time.monotonic() + 10
    while not version_watch.watching(engine):  # PostgreSQL's listener connects in the background
        assert time.monotonic() < deadline, "the read cache's watcher never started listening"
        time.sleep(0.01)
    return 0


def _count_statements(db: Any, app: Any, act: Callable[[], Any]) -> int:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        act()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_vary_and_cache_control_suit_each_read(client, shopper):
    assert client.get(READS["list"]).vary.as_set() == {"origin"}
    assert {"origin", "x-journeykit-customer"} <= client.get(READS["fragment"]).vary.as_set()
    assert "x-journeykit-customer" not in client.get(READS["badge"]).vary.as_set()
    assert client.get(PROGRAMS["loyalty"]).cache_control.max_age > client.get(READS["list"]).cache_control.max_age
    for kind in ("loyalty", "referral"):
        answer = client.get(f"/journeykit/widgets/{kind}", headers=shopper("c-9"))
        assert answer.headers["Cache-Control"] == "private, no-store"


def test_a_signed_in_shopper_s_fragment_is_never_cached_nor_shared(app, client, acting):
    acting.buyer_reviews()
    anonymous = client.get(READS["fragment"])
    assert b"data-signed-in" not in anonymous.data
    kept = len(read_cache.cache_for(app))
    for _ in range(2):
        mine = client.get(READS["fragment"], headers=acting.author)
        assert mine.headers["Cache-Control"] == "private, no-store" and "ETag" not in mine.headers
        assert b"data-signed-in" in mine.data and b"customer_token" in mine.data
    assert len(read_cache.cache_for(app)) == kept
    assert client.get(READS["fragment"]).data == anonymous.data


# -- two processes: the version lives in the database ------------------------------------------------------------


@pytest.fixture
def second_process(app, tmp_path) -> Iterator[str]:
    """A gunicorn server (two workers) serving the same database: another instance of the shop."""
    server, base = _start(app.config["SQLALCHEMY_DATABASE_URI"], "memory://", tmp_path / "gunicorn.log")
    try:
        yield base
    finally:
        server.terminate()
        server.wait(30)


@pytest.mark.parametrize("backend", ["sqlite", POSTGRESQL], indirect=True)
def test_a_second_process_sees_each_write_at_once(client, acting, second_process, admin_headers, db):
    """SQLite: the very next read.  PostgreSQL: as soon as the write's notification has reached the other process
    (version_watch), which the reads wait for up to 2 s; after that, every read there shows it."""
    acting.shopper_reviews()
    testimonial = client.post(f"{API}/testimonials", json={"body": "Quick.", "name": "Ann", "consent": True}).json["id"]
    urls = {**READS, "wall": WALL["wall"]}
    patience = 0 if db.engine.dialect.name == "sqlite" else 2

    def there(shows: Callable[[dict[str, bytes]], bool] = lambda _: True) -> dict[str, bytes]:
        """Each read from the other process, several times (each of its workers keeps its own cache), once they
        show the last write: all alike, and as ``shows`` expects."""
        deadline = time.monotonic() + patience
        while True:
            seen = [{name: requests.get(second_process + url, timeout=30).content for name, url in urls.items()}
                    for _ in range(4)]
            if all(answer == seen[0] for answer in seen) and shows(seen[0]) or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert all(answer == seen[0] for answer in seen)
        assert shows(seen[0])
        return seen[0]

    before = there()
    acting.admin_does("publish")
    published = there(lambda now: all(now[name] != before[name] for name in READS))
    assert b"Wobbly lid." in published["list"]
    assert client.post(f"{API}/admin/testimonials/{testimonial}/publish", headers=admin_headers).status_code == 200
    there(lambda now: b"Quick." in now["wall"])
    _vote(acting)
    there(lambda now: b'"helpful":1' in now["list"].replace(b" ", b""))
