"""Testimonials: the collection form, the owner's curation, promoted reviews, the wall and its widget."""

from __future__ import annotations

import pytest
from flask import render_template_string

API = "/journeykit/api/v1/testimonials"
ADMIN = "/journeykit/api/v1/admin/testimonials"
HOSTILE = '</blockquote><script>alert("x")</script><img src=x onerror=alert(1)>'


def _form(**fields):
    return {"body": "They shipped in a day.", "name": "Ana", "role": "Owner", "company": "Ana's Café", "consent": True, **fields}


@pytest.fixture
def token(app, journey):
    def headers(customer_id: str) -> dict[str, str]:
        with app.test_request_context():
            return {"X-JourneyKit-Customer": journey.customer_token(customer_id, name=customer_id)}

    return headers


@pytest.fixture
def published(client, admin_headers):
    """Collect a testimonial and publish it; returns its id."""

    def make(headers: dict[str, str] | None = None, **fields) -> int:
        created = client.post(API, json=_form(**fields), headers=headers or {})
        assert created.status_code == 201, created.json
        assert client.post(f"{ADMIN}/{created.json['id']}/publish", headers=admin_headers).status_code == 200
        return created.json["id"]

    return make


def _names(client, query: str = "") -> list[str]:
    return [item["name"] for item in client.get(f"{API}{query}").json["items"]]


def test_a_visitor_leaves_a_testimonial_that_waits_for_the_owner(client, admin_headers):
    response = client.post(API, json=_form(body="  Indented, and fine."))
    assert response.status_code == 201
    assert (response.json["status"], response.json["body"], response.json["company"]) == ("pending", "  Indented, and fine.", "Ana's Café")
    assert _names(client) == []
    queue = client.get(f"{ADMIN}?status=pending", headers=admin_headers).json["items"]
    assert [item["id"] for item in queue] == [response.json["id"]] and queue[0]["customer_id"] is None
    assert queue[0]["consent_at"] is not None


@pytest.mark.parametrize("fields, field", [
    ({"consent": False}, "consent"),
    ({"consent": None}, "consent"),
    ({"consent": "yes"}, "consent"),
    ({"consent": 1}, "consent"),
    ({"body": ""}, "body"),
    ({"body": "   "}, "body"),
    ({"body": "x" * 2001}, "body"),
    ({"name": "\t\n"}, "name"),
    ({"name": "n" * 81}, "name"),
    ({"role": "r" * 81}, "role"),
    ({"company": 7}, "company"),
])
def test_invalid_forms_are_refused_and_store_nothing(client, admin_headers, fields, field):
    response = client.post(API, json=_form(**fields))
    assert response.status_code == 422 and field in response.json["error"]["fields"]
    assert client.get(ADMIN, headers=admin_headers).json["items"] == []


def test_missing_consent_is_refused(client):
    form = _form()
    del form["consent"]
    response = client.post(API, json=form)
    assert response.status_code == 422 and "consent" in response.json["error"]["fields"]


def test_the_honeypot_catches_bots(client, admin_headers):
    response = client.post(API, json=_form(website="https://spam.example"))
    assert response.status_code == 422 and response.json["error"]["code"] == "rejected_as_spam"
    assert client.get(ADMIN, headers=admin_headers).json["items"] == []


def test_publishing_shows_it_and_takes_the_customer_to_advocacy(client, admin_headers, token, published,
                                                                 stripe_events, deliver_stripe_event):
    testimonial_id = published(token("c-1"))
    customer = client.get("/journeykit/api/v1/admin/customers/c-1", headers=admin_headers).json
    assert customer["stage"] == "consideration"  # not a buyer yet: an advocate is a buyer (INTERFACE.md)
    assert deliver_stripe_event(stripe_events.checkout_completed(customer_id="c-1")).status_code == 200
    customer = client.get("/journeykit/api/v1/admin/customers/c-1", headers=admin_headers).json
    assert customer["stage"] == "advocacy"
    items = client.get(API).json["items"]
    assert [item["id"] for item in items] == [testimonial_id]
    assert set(items[0]) == {"id", "body", "name", "role", "company", "tags", "featured", "created_at"}


def test_rejecting_takes_it_off_the_wall(client, admin_headers, published):
    testimonial_id = published()
    rejected = client.post(f"{ADMIN}/{testimonial_id}/reject", headers=admin_headers).json
    assert rejected["status"] == "rejected" and rejected["published_at"] is None
    assert _names(client) == []
    assert client.post(f"{ADMIN}/999/publish", headers=admin_headers).status_code == 404


def test_pinned_ones_come_first_in_their_order_then_the_newest(client, admin_headers, published):
    ids = {name: published(name=name) for name in ("old", "pin-2", "pin-1", "new")}
    for name, position in (("pin-1", 1), ("pin-2", 2)):
        response = client.patch(f"{ADMIN}/{ids[name]}", json={"position": position}, headers=admin_headers)
        assert response.json["position"] == position
    assert _names(client) == ["pin-1", "pin-2", "new", "old"]
    first = client.get(f"{API}?limit=3").json
    assert [item["name"] for item in first["items"]] == ["pin-1", "pin-2", "new"]
    assert _names(client, f"?limit=3&cursor={first['next']}") == ["old"]
    client.patch(f"{ADMIN}/{ids['pin-1']}", json={"position": None}, headers=admin_headers)
    assert _names(client) == ["pin-2", "new", "pin-1", "old"]  # unpinned: back among the newest


def test_featured_and_tags_filter_the_wall(client, admin_headers, published):
    shop, agency = published(name="Shop"), published(name="Agency")
    published(name="Plain")
    client.patch(f"{ADMIN}/{agency}", json={"featured": True, "tags": ["b2b", "agency", "b2b"]}, headers=admin_headers)
    client.patch(f"{ADMIN}/{shop}", json={"tags": ["b2b"]}, headers=admin_headers)
    assert _names(client, "?featured=1") == ["Agency"]
    assert _names(client, "?tag=b2b") == ["Agency", "Shop"]
    assert _names(client, "?tag=agency") == ["Agency"]
    assert _names(client, "?tag=none") == []
    retagged = client.patch(f"{ADMIN}/{agency}", json={"tags": ["agency", "eu"]}, headers=admin_headers).json
    assert retagged["tags"] == ["agency", "eu"] and retagged["featured"] is True
    assert _names(client, "?tag=b2b") == ["Shop"]
    assert client.get(f"{API}?tag=B2B!").status_code == 422
    assert client.get(f"{API}?featured=yes").status_code == 422


@pytest.mark.parametrize("body", [
    {}, {"featured": "yes"}, {"featured": 1}, {"featured": None}, {"position": -1}, {"position": "1"}, {"position": 1.5},
    {"tags": "b2b"}, {"tags": ["Has Space"]}, {"tags": [""]}, {"tags": ["x" * 33]}, {"colour": "red"},
])
def test_curation_is_validated_strictly(client, admin_headers, published, body):
    testimonial_id = published()
    response = client.patch(f"{ADMIN}/{testimonial_id}", json=body, headers=admin_headers)
    assert response.status_code == 422
    item = client.get(API).json["items"][0]
    assert (item["featured"], item["tags"]) == (False, [])


def _pending_review(client, headers) -> dict:
    """A 2-star review, which waits for moderation."""
    return client.post("/journeykit/api/v1/products/sku-1/reviews", headers=headers,
                       json={"rating": 2, "body": "Good service, slow post.", "author": "Rui"}).json


def test_a_published_review_is_promoted_once(client, admin_headers, token):
    review = _pending_review(client, token("c-7"))
    promote = f"/journeykit/api/v1/admin/reviews/{review['id']}/promote"
    pending = client.post(promote, headers=admin_headers)
    assert pending.status_code == 422 and pending.json["error"]["code"] == "review_not_published"
    client.post(f"/journeykit/api/v1/admin/reviews/{review['id']}/publish", headers=admin_headers)
    response = client.post(promote, headers=admin_headers)
    assert response.status_code == 201
    assert (response.json["status"], response.json["source_review_id"], response.json["customer_id"]) == ("published", review["id"], "c-7")
    assert [(item["body"], item["name"]) for item in client.get(API).json["items"]] == [("Good service, slow post.", "Rui")]
    again = client.post(promote, headers=admin_headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_promoted"
    assert len(client.get(API).json["items"]) == 1
    assert client.post("/journeykit/api/v1/admin/reviews/999/promote", headers=admin_headers).status_code == 404


@pytest.mark.parametrize("method, path", [
    ("get", ADMIN), ("post", f"{ADMIN}/1/publish"), ("post", f"{ADMIN}/1/reject"), ("patch", f"{ADMIN}/1"),
    ("post", "/journeykit/api/v1/admin/reviews/1/promote"),
])
def test_curation_needs_the_admin_key(client, published, method, path):
    published()
    response = getattr(client, method)(path, json={"featured": True})
    assert response.status_code == 401 and response.json["error"]["code"] == "admin_required"
    assert client.get(API).json["items"][0]["featured"] is False


def test_the_widget_shows_published_testimonials_only_as_inert_text(app, client, published):
    published(name=HOSTILE, body=HOSTILE, role="CTO", company="Acme")
    client.post(API, json=_form(name="Waiting", body="Not yet shown."))
    html = client.get("/journeykit/widgets/testimonials").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;/blockquote&gt;&lt;script&gt;" in html and "CTO, Acme" in html
    assert "Not yet shown." not in html and html.count("<figure") == 1
    with app.test_request_context():
        assert "No testimonials yet." in render_template_string('{{ journeykit.testimonials(tag="b2b") }}')


def test_the_widget_follows_tags_and_the_limit(app, client, admin_headers, published):
    tagged = published(name="Tagged")
    published(name="Other")
    client.patch(f"{ADMIN}/{tagged}", json={"tags": ["b2b"]}, headers=admin_headers)
    with app.test_request_context():
        html = render_template_string('{{ journeykit.testimonials(tag="b2b") }}')
        assert "Tagged" in html and "Other" not in html
        assert render_template_string("{{ journeykit.testimonials(limit=1) }}").count("<figure") == 1
    fragment = client.get("/journeykit/widgets/testimonials?tag=b2b").get_data(as_text=True)
    assert "Tagged" in fragment and "Other" not in fragment


# -- the owner's testimonials page: forms that work without JavaScript ------------------------------------------------

PAGE = "/journeykit/admin/testimonials"


def _csrf(client, admin_headers, path: str = PAGE) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path, headers=admin_headers).get_data(as_text=True)).group(1)


def test_the_page_shows_each_status_with_its_count_as_text(client, admin_headers, published):
    published(name="Shown")
    waiting = client.post(API, json=_form(name=HOSTILE, body=HOSTILE)).json["id"]
    html = client.get(PAGE, headers=admin_headers).get_data(as_text=True)
    assert f'data-testimonial-id="{waiting}"' in html and "Shown" not in html  # waiting ones by default
    assert "&lt;/blockquote&gt;&lt;script&gt;" in html and "<script>alert" not in html
    for status, count in (("pending", 1), ("published", 1), ("rejected", 0), ("all", 2)):
        assert f'data-count="{status}">{count}<' in html
    assert 'href="/journeykit/admin/testimonials">Testimonials</a>' in html  # in every owner page's header
    assert "Shown" in client.get(f"{PAGE}?status=published", headers=admin_headers).get_data(as_text=True)
    assert client.get(f"{PAGE}?status=deleted", headers=admin_headers).status_code == 422
    assert client.get(PAGE).status_code == 401


def test_the_page_publishes_rejects_and_features_with_its_token(client, admin_headers):
    created = client.post(API, json=_form()).json["id"]
    token = _csrf(client, admin_headers)
    for data in ({}, {"csrf_token": "guessed"}):
        assert client.post(f"{PAGE}/{created}/publish", data=data, headers=admin_headers).status_code == 400
    assert client.get(API).json["items"] == []
    assert client.post(f"{PAGE}/999999/publish", data={"csrf_token": token}, headers=admin_headers).status_code == 404
    done = client.post(f"{PAGE}/{created}/publish", data={"csrf_token": token, "status": "pending"}, headers=admin_headers)
    assert done.status_code == 303 and done.headers["Location"] == f"{PAGE}?status=pending&done=publish&what={created}"
    assert f"Testimonial {created} published" in client.get(done.headers["Location"], headers=admin_headers).get_data(as_text=True)
    client.post(f"{PAGE}/{created}/feature", data={"csrf_token": token, "value": "1"}, headers=admin_headers)
    assert client.get(API).json["items"][0]["featured"] is True
    client.post(f"{PAGE}/{created}/reject", data={"csrf_token": token}, headers=admin_headers)  # the owner's pick: no reason
    assert client.get(API).json["items"] == []
    actions = [entry["action"] for entry in client.get("/journeykit/api/v1/admin/audit", headers=admin_headers).json["items"]]
    assert actions == ["testimonial.reject", "testimonial.curate", "testimonial.publish"]


def test_the_moderation_inbox_adds_a_published_review_to_the_wall(client, admin_headers, token):
    review = _pending_review(client, token("c-8"))
    promote = f"{PAGE}/from-review/{review['id']}"
    inbox = client.get("/journeykit/admin/reviews?status=all", headers=admin_headers).get_data(as_text=True)
    assert f'action="{promote}"' not in inbox  # only a published review may be added
    csrf = _csrf(client, admin_headers, "/journeykit/admin/reviews")
    assert client.post(promote, data={"csrf_token": csrf}, headers=admin_headers).status_code == 422
    client.post(f"/journeykit/api/v1/admin/reviews/{review['id']}/publish", headers=admin_headers)
    assert f'action="{promote}"' in client.get("/journeykit/admin/reviews?status=published", headers=admin_headers).get_data(as_text=True)
    added = client.post(promote, data={"csrf_token": csrf}, headers=admin_headers)
    assert added.headers["Location"] == f"{PAGE}?status=published&done=promote&what={review['id']}"
    assert [item["name"] for item in client.get(API).json["items"]] == ["Rui"]
    again = client.post(promote, data={"csrf_token": csrf}, headers=admin_headers)
    assert again.status_code == 409 and "already a testimonial" in again.get_data(as_text=True)
    assert client.post(promote, data={"csrf_token": "stale"}, headers=admin_headers).status_code == 400
