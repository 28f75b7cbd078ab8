"""Reviews through the JSON API: verified buyers, moderation, aggregates, paging, votes."""

from __future__ import annotations

import pytest

PRODUCT = "/journeykit/api/v1/products/sku-1"
ADMIN = "/journeykit/api/v1/admin/reviews"


@pytest.fixture
def buyer(shopper, stripe_events, deliver_stripe_event):
    """A shopper with a paid order for sku-1; returns (headers, the purchase event)."""
    purchase = stripe_events.checkout_completed(customer_id="buyer-1", products=["sku-1"], amount_total=3000)
    assert deliver_stripe_event(purchase).status_code == 200
    return shopper("buyer-1", name="Bea Buyer"), purchase


def _review(**fields):
    return {"rating": 5, "title": "Lovely", "body": "Holds heat for hours.", **fields}


def test_a_verified_buyers_good_review_publishes_at_once(client, buyer):
    headers, _ = buyer
    response = client.post(f"{PRODUCT}/reviews", json=_review(), headers=headers)
    assert response.status_code == 201
    assert (response.json["status"], response.json["verified"], response.json["author"]) == ("published", True, "Bea Buyer")
    assert client.get(f"{PRODUCT}/rating").json == {
        "product_id": "sku-1", "average": 5.0, "count": 1, "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1},
    }
    page = client.get(f"{PRODUCT}/reviews").json
    assert [item["title"] for item in page["items"]] == ["Lovely"] and page["next"] is None
    customers = client.get("/journeykit/api/v1/admin/customers", headers={"Authorization": "Bearer test-admin-key-0123456789"})
    assert customers.json["items"][0]["stage"] == "advocacy"  # a published review makes an advocate
    assert set(page["items"][0]) >= {"id", "rating", "title", "body", "author", "verified", "created_at", "reply"}


@pytest.mark.parametrize("fields", [{"rating": 3}, {"body": "See https://spam.example/deal"}])
def test_low_ratings_and_links_wait_for_moderation(client, buyer, fields):
    headers, _ = buyer
    response = client.post(f"{PRODUCT}/reviews", json=_review(**fields), headers=headers)
    assert response.status_code == 201 and response.json["status"] == "pending"
    assert client.get(f"{PRODUCT}/rating").json["count"] == 0


def test_an_unverified_shopper_waits_and_the_owner_publishes(client, shopper, admin_headers):
    response = client.post(f"{PRODUCT}/reviews", json=_review(rating=2), headers=shopper("c-2"))
    review_id = response.json["id"]
    assert response.json["verified"] is False and response.json["status"] == "pending"
    queue = client.get(f"{ADMIN}?status=pending", headers=admin_headers).json["items"]
    assert [item["id"] for item in queue] == [review_id]
    assert client.post(f"{ADMIN}/{review_id}/publish", headers=admin_headers).json["status"] == "published"
    assert client.get(f"{PRODUCT}/rating").json["histogram"]["2"] == 1


def test_rejection_needs_an_allowed_reason_and_unpublishes(client, buyer, admin_headers):
    headers, _ = buyer
    review_id = client.post(f"{PRODUCT}/reviews", json=_review(), headers=headers).json["id"]
    for bad in ({}, {"reason": "too negative"}, {"reason": None}):
        response = client.post(f"{ADMIN}/{review_id}/reject", json=bad, headers=admin_headers)
        assert response.status_code == 422 and "reason" in response.json["error"]["fields"]
    assert client.get(f"{PRODUCT}/rating").json["count"] == 1
    rejected = client.post(f"{ADMIN}/{review_id}/reject", json={"reason": "spam"}, headers=admin_headers).json
    assert (rejected["status"], rejected["rejection_reason"]) == ("rejected", "spam")
    assert client.get(f"{PRODUCT}/rating").json["count"] == 0
    assert client.get(f"{PRODUCT}/reviews").json["items"] == []


def test_one_review_per_shopper_and_an_edit_goes_back_through_moderation(client, shopper, admin_headers):
    headers = shopper("c-3")
    first = client.post(f"{PRODUCT}/reviews", json=_review(rating=4), headers=headers).json
    client.post(f"{ADMIN}/{first['id']}/publish", headers=admin_headers)
    edit = client.post(f"{PRODUCT}/reviews", json=_review(rating=1, body="Cracked after a week."), headers=headers)
    assert edit.status_code == 200 and edit.json["id"] == first["id"] and edit.json["status"] == "pending"
    assert client.get(f"{PRODUCT}/rating").json["count"] == 0
    client.post(f"{ADMIN}/{first['id']}/publish", headers=admin_headers)
    assert client.get(f"{PRODUCT}/rating").json["histogram"] == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0}


def test_a_full_refund_withdraws_the_verified_mark(client, buyer, stripe_events, deliver_stripe_event):
    headers, purchase = buyer
    client.post(f"{PRODUCT}/reviews", json=_review(), headers=headers)
    deliver_stripe_event(stripe_events.charge_refunded(purchase, amount_refunded=1000))
    assert client.get(f"{PRODUCT}/reviews").json["items"][0]["verified"] is True
    deliver_stripe_event(stripe_events.charge_refunded(purchase, amount_refunded=3000))
    assert client.get(f"{PRODUCT}/reviews").json["items"][0]["verified"] is False


def test_reply_pin_feature_and_bulk(client, shopper, admin_headers):
    ids = [client.post(f"{PRODUCT}/reviews", json=_review(rating=n), headers=shopper(f"s-{n}")).json["id"] for n in (1, 2, 3)]
    bulk = client.post(f"{ADMIN}/bulk", json={"ids": ids, "action": "publish"}, headers=admin_headers)
    assert [item["status"] for item in bulk.json["items"]] == ["published"] * 3
    assert client.post(f"{ADMIN}/bulk", json={"ids": ids, "action": "reject"}, headers=admin_headers).status_code == 422
    assert client.post(f"{ADMIN}/bulk", json={"ids": [999999], "action": "publish"}, headers=admin_headers).status_code == 422
    client.post(f"{ADMIN}/{ids[0]}/reply", json={"body": "Sorry! A replacement is on its way."}, headers=admin_headers)
    client.post(f"{ADMIN}/{ids[0]}/pin", json={"pinned": True}, headers=admin_headers)
    items = client.get(f"{PRODUCT}/reviews?sort=highest").json["items"]
    assert [item["rating"] for item in items] == [1, 3, 2]  # pinned first, then highest
    assert items[0]["reply"] == "Sorry! A replacement is on its way."
    for not_a_boolean in ("yes", 1, None):
        response = client.post(f"{ADMIN}/{ids[0]}/feature", json={"featured": not_a_boolean}, headers=admin_headers)
        assert response.status_code == 422


def test_sorting_filtering_and_cursor_paging(client, shopper, admin_headers):
    for n, stars in enumerate([5, 1, 4, 5, 2, 3, 5]):
        review_id = client.post(f"{PRODUCT}/reviews", json=_review(rating=stars), headers=shopper(f"p-{n}")).json["id"]
        client.post(f"{ADMIN}/{review_id}/publish", headers=admin_headers)
    seen, cursor = [], None
    while True:
        page = client.get(f"{PRODUCT}/reviews?sort=lowest&limit=3" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [item["rating"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [1, 2, 3, 4, 5, 5, 5]
    assert [i["rating"] for i in client.get(f"{PRODUCT}/reviews?rating=5").json["items"]] == [5, 5, 5]
    assert client.get(f"{PRODUCT}/rating").json["average"] == 3.57
    for bad in ("sort=random", "rating=6", "limit=0", "cursor=!!!", "cursor=WzEsMl0"):
        assert client.get(f"{PRODUCT}/reviews?{bad}").status_code in (400, 422), bad


def test_helpful_votes_count_once_per_visitor(client, buyer):
    headers, _ = buyer
    review_id = client.post(f"{PRODUCT}/reviews", json=_review(), headers=headers).json["id"]
    for visitor, expected in (("a" * 22, 1), ("a" * 22, 1), ("b" * 22, 2)):
        response = client.post(f"/journeykit/api/v1/reviews/{review_id}/helpful", headers={"X-JourneyKit-Visitor": visitor})
        assert response.json["helpful"] == expected
    assert client.post("/journeykit/api/v1/reviews/999/helpful", headers={"X-JourneyKit-Visitor": "a" * 22}).status_code == 404
    assert client.get(f"{PRODUCT}/reviews?sort=helpful").json["items"][0]["helpful"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"rating": 6, "body": "x"}, {"rating": "5", "body": "x"}, {"rating": 5}, {"rating": 5, "body": ""},
        {"rating": 5, "body": "x" * 5001}, {"rating": 5, "body": "x", "status": "published"},
        {"rating": 5, "body": "x", "verified": True}, {"rating": 5, "body": "a.com b.com c.com"},
        {"rating": 5, "body": "ok", "website": "http://bot.example"},
    ],
)
def test_bad_reviews_are_refused_and_change_nothing(client, buyer, body, admin_headers):
    headers, _ = buyer
    response = client.post(f"{PRODUCT}/reviews", json=body, headers=headers)
    assert 400 <= response.status_code < 500 and "error" in response.json
    assert client.get(ADMIN, headers=admin_headers).json["items"] == []


def test_blocked_words_and_anonymous_shoppers_are_refused(shop_factory):
    app, _, journey = shop_factory({"JOURNEYKIT_REVIEWS_BLOCKED_WORDS": "scam, fraud"})
    client = app.test_client()
    assert client.post(f"{PRODUCT}/reviews", json=_review()).json["error"]["code"] == "customer_required"
    with app.test_request_context():
        headers = {"X-JourneyKit-Customer": journey.customer_token("c-9")}
    refused = client.post(f"{PRODUCT}/reviews", json=_review(body="A total SCAM."), headers=headers)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "blocked_words"


def test_reviews_are_text_never_markup(client, buyer):
    headers, _ = buyer
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    client.post(f"{PRODUCT}/reviews", json=_review(title=hostile, body=hostile), headers=headers)
    assert client.get(f"{PRODUCT}/reviews").json["items"][0]["body"] == hostile  # JSON carries text as it was


def test_reviews_nobody_moderated_publish_after_the_configured_days(shop_factory):
    import datetime as dt

    from journeykit.reviews import lifecycle as reviews

    app, _, journey = shop_factory({"JOURNEYKIT_REVIEWS_PUBLISH_AFTER_DAYS": 3})
    client = app.test_client()
    with app.test_request_context():
        headers = {"X-JourneyKit-Customer": journey.customer_token("late-1")}
    client.post(f"{PRODUCT}/reviews", json=_review(rating=2), headers=headers)
    result = app.test_cli_runner().invoke(args=["journeykit", "reviews", "publish-due"])
    assert "0 pending review(s) published" in result.output
    with app.app_context():
        assert reviews.publish_due(now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3, minutes=1)) == 1
        from journeykit.signals import commit

        commit()
    assert client.get(f"{PRODUCT}/rating").json["count"] == 1


def test_submissions_are_rate_limited_per_shopper_and_per_address(shop_factory):
    app, _, journey = shop_factory({"JOURNEYKIT_REVIEWS_RATE_LIMIT": "2 per hour", "JOURNEYKIT_URL_PREFIX": "/jk-rl"})
    client = app.test_client()
    with app.test_request_context():
        ana, ben = ({"X-JourneyKit-Customer": journey.customer_token(name)} for name in ("rl-ana", "rl-ben"))
    url = "/jk-rl/api/v1/products/sku-{}/reviews"
    assert [client.post(url.format(n), json=_review(), headers=ana).status_code for n in (1, 2)] == [201, 201]
    refused = client.post(url.format(3), json=_review(), headers=ana)
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    # Another shopper from the same address is refused too: the address has spent its two.
    assert client.post(url.format(4), json=_review(), headers=ben).status_code == 429
    other_address = client.post(url.format(4), json=_review(), headers=ben, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_address.status_code == 201


def test_the_admin_list_filters_like_the_moderation_page(app, db, client, buyer, shopper, admin_headers):
    from journeykit.models import ReviewPhoto

    headers, _ = buyer
    verified = client.post(f"{PRODUCT}/reviews", json=_review(rating=4, title="Sturdy"), headers=headers).json["id"]
    plain = client.post(f"{PRODUCT}/reviews", json=_review(rating=1, body="Rusted 100%"), headers=shopper("s-1")).json["id"]
    other = client.post("/journeykit/api/v1/products/sku-2/reviews", json=_review(rating=1), headers=shopper("s-2")).json["id"]
    with app.app_context():  # a photo on the plain review (uploads have their own tests)
        db.session.add(ReviewPhoto(review_id=plain, storage_key="k" * 32, content_type="image/png", size_bytes=1,
                                   width=1, height=1, position=0, hidden=True))
        db.session.commit()

    def ids(query: str) -> list[int]:
        answer = client.get(f"{ADMIN}?{query}", headers=admin_headers)
        assert answer.status_code == 200, answer.json
        return [item["id"] for item in answer.json["items"]]

    assert ids("") == ids("status=all") == ids("status=&rating=&q=") == [other, plain, verified]
    assert ids("status=published") == [verified] and ids("status=pending&rating=1") == [other, plain]
    assert ids("verified=1") == [verified] and ids("verified=0") == [other, plain]
    assert ids("photos=1") == [plain] and ids("photos=0") == [other, verified]  # hidden photos count for the owner
    assert ids("product=sku-2") == [other] and ids("q=sturdy") == [verified] and ids("q=100%25") == [plain]
    for bad in ("rating=0", "verified=true", "photos=2", "status=hidden", "q=" + "x" * 201, "product=" + "x" * 256):
        answer = client.get(f"{ADMIN}?{bad}", headers=admin_headers)
        assert answer.status_code == 422 and answer.json["error"]["code"] == "validation_error", bad


def test_undo_reverses_the_last_decision_once_and_is_audited(client, shopper, admin_headers):
    review_id = client.post(f"{PRODUCT}/reviews", json=_review(rating=4), headers=shopper("u-1")).json["id"]
    assert client.post(f"{ADMIN}/{review_id}/undo", headers=admin_headers).json["error"]["code"] == "nothing_to_undo"
    client.post(f"{ADMIN}/{review_id}/publish", headers=admin_headers)
    first_published = client.get(f"{ADMIN}?status=published", headers=admin_headers).json["items"][0]["published_at"]
    client.post(f"{ADMIN}/{review_id}/reject", json={"reason": "conflict"}, headers=admin_headers)
    assert client.get(f"{PRODUCT}/rating").json["count"] == 0
    undone = client.post(f"{ADMIN}/{review_id}/undo", headers=admin_headers)
    assert undone.status_code == 200
    assert (undone.json["status"], undone.json["rejection_reason"], undone.json["published_at"]) == ("published", None, first_published)
    assert client.get(f"{PRODUCT}/rating").json["count"] == 1
    again = client.post(f"{ADMIN}/{review_id}/undo", headers=admin_headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "nothing_to_undo"  # one step only
    [entry] = client.get("/journeykit/api/v1/admin/audit?action=review.undo", headers=admin_headers).json["items"]
    assert (entry["before"]["status"], entry["after"]["status"], entry["after"]["undoes"]) == ("rejected", "published", "reject")
    assert client.post(f"{ADMIN}/999999/undo", headers=admin_headers).status_code == 404


def test_undo_never_overwrites_a_change_it_did_not_make(client, shopper, admin_headers):
    headers = shopper("u-2")
    review_id = client.post(f"{PRODUCT}/reviews", json=_review(rating=4), headers=headers).json["id"]
    client.post(f"{ADMIN}/{review_id}/reply", json={"body": "Thanks!"}, headers=admin_headers)
    client.post(f"{ADMIN}/{review_id}/pin", json={"pinned": True}, headers=admin_headers)
    undone = client.post(f"{ADMIN}/{review_id}/undo", headers=admin_headers).json  # the pin only
    assert (undone["pinned"], undone["reply"]) == (False, "Thanks!")
    client.post(f"{ADMIN}/{review_id}/publish", headers=admin_headers)
    client.post(f"{PRODUCT}/reviews", json=_review(rating=1, body="Broke."), headers=headers)  # the author edits: pending
    stale = client.post(f"{ADMIN}/{review_id}/undo", headers=admin_headers)
    assert stale.status_code == 409 and stale.json["error"]["code"] == "changed_since"
    assert client.get(f"{ADMIN}?status=pending", headers=admin_headers).json["items"][0]["id"] == review_id


def test_bulk_undo_is_all_or_nothing(client, shopper, admin_headers):
    ids = [client.post(f"{PRODUCT}/reviews", json=_review(rating=2), headers=shopper(f"b-{n}")).json["id"] for n in (1, 2)]
    client.post(f"{ADMIN}/bulk", json={"ids": ids, "action": "reject", "reason": "spam"}, headers=admin_headers)
    client.post(f"{ADMIN}/{ids[1]}/undo", headers=admin_headers)
    refused = client.post(f"{ADMIN}/bulk", json={"ids": ids, "action": "undo"}, headers=admin_headers)
    assert refused.status_code == 409
    assert [item["status"] for item in client.get(ADMIN, headers=admin_headers).json["items"]] == ["pending", "rejected"]
    done = client.post(f"{ADMIN}/bulk", json={"ids": ids[:1], "action": "undo"}, headers=admin_headers)
    assert [item["status"] for item in done.json["items"]] == ["pending"]


def test_the_filters_and_undo_are_in_the_openapi_description(client):
    description = client.get("/journeykit/api/v1/openapi.json").json
    paths = description["paths"]
    listed = {parameter["name"] for parameter in paths["/admin/reviews"]["get"]["parameters"]}
    assert listed >= {"status", "rating", "verified", "photos", "product", "q", "limit", "cursor"}
    undo = paths["/admin/reviews/{review_id}/undo"]["post"]
    assert {"200", "404", "409"} <= set(undo["responses"]) and undo["security"] == [{"adminKey": []}]
    assert paths["/admin/reviews/bulk"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Bulk"}
    assert description["components"]["schemas"]["Bulk"]["properties"]["action"]["enum"] == ["publish", "reject", "undo"]
