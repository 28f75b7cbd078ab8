"""What the fast reads rely on stays exact on every write path (every database).

- The testimonials wall is read in the order of an index on a stored pin
  rank (``coalesce(position, UNPINNED)``, which MariaDB could not index as an
  expression): each way a testimonial is written or curated must keep it
  equal to its position, else the wall's order (and its cursors) would drift.
- A product's rating is read from its maintained summary
  (``journeykit_product_ratings``), never recounted per request: after every
  way a review comes onto or off the storefront, or changes its stars, the
  summary must equal a recount of the published reviews.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from journeykit import models
from journeykit.testimonials.models import UNPINNED

API = "/journeykit/api/v1"
ADMIN = f"{API}/admin/testimonials"
FORM = {"body": "They shipped in a day.", "name": "Ana", "consent": True}


def _drifted(app: Any) -> list[tuple[int, int | None, int]]:
    """Testimonials whose stored rank is not their position (or UNPINNED): none, ever."""
    with app.app_context():
        rows = app.extensions["sqlalchemy"].session.execute(
            sa.select(models.Testimonial.id, models.Testimonial.position, models.Testimonial.pin_rank)).all()
    return [tuple(row) for row in rows if row.pin_rank != (UNPINNED if row.position is None else row.position)]


def _wall(client: Any, **query: Any) -> list[str]:
    return [item["name"] for item in client.get(f"{API}/testimonials", query_string=query).json["items"]]


def test_the_pin_rank_follows_the_position_through_every_write(app, client, admin_headers, shopper):
    ids = {}
    for name in ("first", "second", "third"):
        created = client.post(f"{API}/testimonials", json={**FORM, "name": name})
        assert created.status_code == 201
        ids[name] = created.json["id"]
        assert client.post(f"{ADMIN}/{ids[name]}/publish", headers=admin_headers).status_code == 200
    assert _drifted(app) == []
    for name, position in (("first", 2), ("second", 1), ("first", 0), ("second", None)):
        changed = client.patch(f"{ADMIN}/{ids[name]}", json={"position": position}, headers=admin_headers)
        assert changed.status_code == 200 and changed.json["position"] == position
        assert _drifted(app) == []
    review = client.post(f"{API}/products/sku-1/reviews", headers=shopper("c-9"),
                         json={"rating": 2, "body": "Good service, slow post.", "author": "Rui"}).json
    client.post(f"{API}/admin/reviews/{review['id']}/publish", headers=admin_headers)
    assert client.post(f"{API}/admin/reviews/{review['id']}/promote", headers=admin_headers).status_code == 201
    assert _drifted(app) == []
    # Pinned first by position, then the newest; a cursor taken mid-way continues in the same order.
    assert _wall(client) == ["first", "Rui", "third", "second"]
    page = client.get(f"{API}/testimonials", query_string={"limit": 2}).json
    rest = client.get(f"{API}/testimonials", query_string={"limit": 2, "cursor": page["next"]}).json
    assert [item["name"] for item in page["items"] + rest["items"]] == ["first", "Rui", "third", "second"]


def test_a_testimonial_made_in_code_with_a_position_is_ranked_by_it(app):
    """The model keeps the rank even when a testimonial is made directly (imports, fixtures, a shop's script)."""
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        pinned = models.Testimonial(body="Quote", name="Pinned", consent=True, consent_at=sa.func.now(), position=3)
        plain = models.Testimonial(body="Quote", name="Plain", consent=True, consent_at=sa.func.now())
        session.add_all([pinned, plain])
        session.commit()
        pinned.position = None
        plain.position = 7
        session.commit()
    assert _drifted(app) == []


def _recounted(app: Any) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """Each product's summary, and a recount of its published reviews: (count, total, stars 1 to 5)."""
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        kept = {row.product_id: (row.count, row.total, *(getattr(row, f"stars_{n}") for n in range(1, 6)))
                for row in session.scalars(sa.select(models.ProductRating)) if row.count}
        counted: dict[str, list[int]] = {}
        published = sa.select(models.Review.product_id, models.Review.rating).where(
            models.Review.status == models.ReviewStatus.PUBLISHED)
        for product_id, rating in session.execute(published):
            figures = counted.setdefault(product_id, [0] * 7)
            figures[0], figures[1], figures[1 + rating] = figures[0] + 1, figures[1] + rating, figures[1 + rating] + 1
    return kept, {product_id: tuple(figures) for product_id, figures in counted.items()}


JUDGEME = """title,body,rating,review_date,source,curated,reviewer_name,reviewer_email,product_id,product_handle,reply,reply_date,picture_urls,ip_address,location
Great,Fine.,5,2024-03-01 10:00:00 UTC,web,ok,Ann,ann@example.com,,sku-2,,,,,
Meh,Chipped.,2,2024-03-05 11:00:00 UTC,email,not-yet,Bob,bob@example.com,,sku-2,,,,,
"""


def test_the_rating_summary_equals_a_recount_after_every_write(app, client, admin_headers, shopper):
    reviews = f"{API}/admin/reviews"
    checks = []

    def check(step: str) -> None:
        kept, counted = _recounted(app)
        checks.append(step)
        assert kept == counted, step

    def write(customer: str, rating: int, product: str = "sku-1") -> int:
        response = client.post(f"{API}/products/{product}/reviews", headers=shopper(customer),
                               json={"rating": rating, "body": "Fine.", "author": customer})
        assert response.status_code in (200, 201), response.json
        return response.json["id"]

    first, second, third = write("c-1", 5), write("c-2", 3), write("c-3", 1)
    check("submitted (pending)")
    for review in (first, second):
        assert client.post(f"{reviews}/{review}/publish", headers=admin_headers).status_code == 200
    check("published")
    assert client.post(f"{reviews}/{second}/reject", json={"reason": "spam"}, headers=admin_headers).status_code == 200
    check("rejected a published one")
    assert client.post(f"{reviews}/{second}/undo", headers=admin_headers).status_code == 200
    check("undid the rejection")
    assert write("c-1", 2) == first
    check("its author edited a published one (new stars, moderated again)")
    bulk = client.post(f"{reviews}/bulk", json={"ids": [first, third], "action": "publish"}, headers=admin_headers)
    assert bulk.status_code == 200
    check("bulk published")
    bulk = client.post(f"{reviews}/bulk", json={"ids": [first, second], "action": "reject", "reason": "off_topic"},
                       headers=admin_headers)
    assert bulk.status_code == 200
    check("bulk rejected")
    assert client.post(f"{reviews}/{first}/undo", headers=admin_headers).status_code == 200
    check("undid one of the bulk")
    imported = client.post(f"{reviews}/import?format=judgeme", data=JUDGEME.encode(), content_type="text/csv",
                           headers=admin_headers)
    assert imported.status_code == 200 and imported.json["imported"] == 2
    check("imported")
    assert client.post(f"{API}/admin/customers/c-3/forget", headers=admin_headers).status_code in (200, 204)
    check("forgot an author (their stars stay)")
    kept, _ = _recounted(app)
    assert set(kept) == {"sku-1", "sku-2"} and len(checks) == 10

