"""The owner's moderation page and the public notice on how reviews are collected."""

from __future__ import annotations

import re

import pytest


def _pending(client, journey) -> int:
    with client.application.test_request_context():
        headers = {"X-JourneyKit-Customer": journey.customer_token("c-1", name="Cara")}
    body = {"rating": 2, "title": "Too <b>small</b>", "body": "Not what the photo suggests."}
    return client.post("/journeykit/api/v1/products/sku-1/reviews", json=body, headers=headers).json["id"]


def test_the_moderation_queue_lists_pending_reviews_with_lawful_reasons(client, journey, admin_headers):
    review_id = _pending(client, journey)
    page = client.get("/journeykit/admin/reviews", headers=admin_headers)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'data-review-id="{review_id}"' in html and "Too &lt;b&gt;small&lt;/b&gt;" in html
    assert '<option value="personal_data">' in html and "never rejected for being negative" in html
    assert client.get("/journeykit/admin/reviews").status_code == 401


def test_the_public_notice_follows_the_live_settings(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_REVIEWS_AUTO_PUBLISH": "none", "JOURNEYKIT_REVIEWS_PUBLISH_AFTER_DAYS": 7})
    html = app.test_client().get("/journeykit/reviews/how-we-collect-reviews").get_data(as_text=True)
    assert "Every review is read by the shop before it appears" in html
    assert "within 7 days appears by itself" in html


# -- the moderation inbox: its forms work without JavaScript, and answer the page's script in JSON -----------------

PAGE = "/journeykit/admin/reviews"
API = "/journeykit/api/v1"
JSON = {"Accept": "application/json"}


def _write(client, shopper, customer: str, product: str = "sku-1", **review) -> int:
    body = {"rating": 2, "body": f"Review by {customer}.", **review}
    answer = client.post(f"{API}/products/{product}/reviews", json=body, headers=shopper(customer, name=customer.title()))
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def _token(client, admin_headers) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(PAGE, headers=admin_headers).get_data(as_text=True)).group(1)


def _state(client, admin_headers) -> dict[int, tuple]:
    items = client.get(f"{API}/admin/reviews", headers=admin_headers).json["items"]
    return {item["id"]: (item["status"], item["rejection_reason"], item["reply"], item["pinned"], item["featured"]) for item in items}


def _actions(client, admin_headers) -> list[str]:
    return [entry["action"] for entry in client.get(f"{API}/admin/audit", headers=admin_headers).json["items"]]


@pytest.fixture
def three(client, shopper) -> list[int]:
    """Three waiting reviews of sku-1, by ann, bo and cy."""
    return [_write(client, shopper, customer) for customer in ("ann", "bo", "cy")]


def test_the_inbox_looks_like_the_dashboard_and_links_to_it_and_the_shop(client, journey, admin_headers, three):
    journey.product_loader(lambda product: {"name": "Cast-iron skillet", "url": "/products/sku-1"})
    html = client.get(PAGE, headers=admin_headers).get_data(as_text=True)
    assert "_owner_style" not in html and ".figures" in html  # the shared owner style
    assert 'href="/journeykit/admin/"' in html and 'href="/">Your shop' in html
    assert '<a href="http://localhost/products/sku-1" class="shop-link">Cast-iron skillet</a>' in html  # the shop's words
    assert re.search(r'data-count="pending">3<', html) and re.search(r'data-count="all">3<', html)
    assert '<option value="" selected disabled>Reason to reject…</option>' in html  # no default reason
    for tab in ("published", "rejected", "all"):
        assert f'href="/journeykit/admin/reviews?status={tab}"' in html


def test_a_form_publishes_audits_and_comes_back_with_undo(client, admin_headers, three):
    answer = client.post(f"{PAGE}/{three[0]}/publish", headers=admin_headers,
                         data={"csrf_token": _token(client, admin_headers), "back": "status=pending&rating=2"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"{PAGE}?status=pending&rating=2&done=publish&ids={three[0]}"
    assert _state(client, admin_headers)[three[0]][0] == "published"
    assert _actions(client, admin_headers) == ["review.publish"]
    html = client.get(answer.headers["Location"], headers=admin_headers).get_data(as_text=True)
    assert f"Review {three[0]} published." in html and re.search(r'data-count="pending">2<', html)
    assert f'<input type="hidden" name="action" value="undo"><input type="hidden" name="ids" value="{three[0]}">' in html


@pytest.mark.parametrize("form", [{}, {"reason": ""}, {"reason": "too negative"}])
def test_rejecting_needs_a_reason_from_the_list(client, admin_headers, three, form):
    before = _state(client, admin_headers)
    answer = client.post(f"{PAGE}/{three[0]}/reject", headers=admin_headers,
                         data={"csrf_token": _token(client, admin_headers), **form})
    assert answer.status_code == 422 and 'class="error" role="alert"' in answer.get_data(as_text=True)
    script = client.post(f"{PAGE}/{three[0]}/reject", headers={**admin_headers, **JSON},
                         data={"csrf_token": _token(client, admin_headers), **form})
    assert script.status_code == 422 and "reason" in script.json["error"]["fields"]
    assert _state(client, admin_headers) == before and _actions(client, admin_headers) == []


def test_a_stale_or_foreign_form_changes_nothing(client, admin_headers, three):
    token = _token(client, admin_headers)
    for data, headers in (({}, admin_headers), ({"csrf_token": "guessed"}, admin_headers),
                          ({"csrf_token": token}, {**admin_headers, "Origin": "https://evil.example"}),
                          ({"csrf_token": "guessed"}, {**admin_headers, **JSON})):
        answer = client.post(f"{PAGE}/{three[0]}/publish", data=data, headers=headers)
        assert answer.status_code == 400, data
    assert client.post(f"{PAGE}/bulk", data={"action": "publish", "ids": three}, headers=admin_headers).status_code == 400
    assert {state[0] for state in _state(client, admin_headers).values()} == {"pending"}
    assert _actions(client, admin_headers) == []


def test_an_unknown_review_is_a_404(client, admin_headers, three):
    token = _token(client, admin_headers)
    assert client.post(f"{PAGE}/999999/publish", data={"csrf_token": token}, headers=admin_headers).status_code == 404
    answer = client.post(f"{PAGE}/999999/reject", data={"csrf_token": token, "reason": "spam"}, headers={**admin_headers, **JSON})
    assert answer.status_code == 404 and answer.json["error"]["code"] == "review_not_found"
    assert client.post(f"{PAGE}/{2**64}/publish", data={"csrf_token": token}, headers=admin_headers).status_code == 404


def test_the_bulk_bar_is_all_or_nothing_and_needs_a_reason_to_reject(client, admin_headers, three):
    token = _token(client, admin_headers)
    refused = [
        ({"action": "publish", "ids": [three[0], 999999]}, 422),  # one unknown id: nothing changes
        ({"action": "publish", "ids": [three[0], "x"]}, 422),
        ({"action": "publish"}, 422),  # nothing selected
        ({"action": "reject", "ids": three}, 422),  # no reason: there is no default
        ({"action": "reject", "ids": three, "reason": ""}, 422),
        ({"action": "delete", "ids": three}, 422),
    ]
    for form, status in refused:
        answer = client.post(f"{PAGE}/bulk", data={"csrf_token": token, **form}, headers={**admin_headers, **JSON})
        assert answer.status_code == status, form
    assert {state[0] for state in _state(client, admin_headers).values()} == {"pending"}
    assert _actions(client, admin_headers) == []
    done = client.post(f"{PAGE}/bulk", headers={**admin_headers, **JSON},
                       data={"csrf_token": token, "action": "reject", "reason": "off_topic", "ids": three[:2], "back": "status=pending"})
    assert done.status_code == 200
    assert done.json["counts"] == {"pending": 1, "published": 0, "rejected": 2, "all": 3}
    assert set(done.json["rows"]) == {str(three[0]), str(three[1])}
    assert 'data-status="rejected"' in done.json["rows"][str(three[0])] and "Rejected: Off topic" in done.json["rows"][str(three[0])]
    assert "2 reviews rejected: Off topic." in done.json["notice"]
    assert _actions(client, admin_headers) == ["review.reject", "review.reject"]


def test_undo_puts_back_what_the_last_action_changed(client, admin_headers, three):
    token = _token(client, admin_headers)
    client.post(f"{PAGE}/bulk", data={"csrf_token": token, "action": "publish", "ids": three[:2]}, headers=admin_headers)
    assert client.get(f"{API}/products/sku-1/rating").json["count"] == 2
    undo = client.post(f"{PAGE}/bulk", data={"csrf_token": token, "action": "undo", "ids": three[:2]}, headers={**admin_headers, **JSON})
    assert undo.status_code == 200 and "Undone: 2 reviews are back as they were." in undo.json["notice"]
    assert "Undo</button>" not in undo.json["notice"]  # an undo is not undone
    assert undo.json["counts"]["pending"] == 3 and client.get(f"{API}/products/sku-1/rating").json["count"] == 0
    again = client.post(f"{PAGE}/bulk", data={"csrf_token": token, "action": "undo", "ids": three[:1]}, headers={**admin_headers, **JSON})
    assert again.status_code == 409 and again.json["error"]["code"] == "nothing_to_undo"
    nothing = client.post(f"{PAGE}/bulk", data={"csrf_token": token, "action": "undo", "ids": three[2:]}, headers=admin_headers)
    assert nothing.status_code == 409 and "Nothing to undo" in nothing.get_data(as_text=True)
    assert _actions(client, admin_headers) == ["review.undo", "review.undo", "review.publish", "review.publish"]


def test_reply_pin_and_feature_from_the_page(client, admin_headers, three):
    token = _token(client, admin_headers)
    reply = client.post(f"{PAGE}/{three[0]}/reply", headers={**admin_headers, **JSON},
                        data={"csrf_token": token, "body": "  Thanks, <b>Ann</b>!  "})
    assert reply.status_code == 200
    assert '<blockquote class="reply" data-reply><b>Your reply</b><p>Thanks, &lt;b&gt;Ann&lt;/b&gt;!</p></blockquote>' in reply.json["rows"][str(three[0])]
    for path, value in (("pin", "1"), ("feature", "1"), ("feature", "0")):
        client.post(f"{PAGE}/{three[0]}/{path}", data={"csrf_token": token, "value": value}, headers=admin_headers)
    assert _state(client, admin_headers)[three[0]] == ("pending", None, "Thanks, <b>Ann</b>!", True, False)
    too_long = client.post(f"{PAGE}/{three[0]}/reply", data={"csrf_token": token, "body": "x" * 5001}, headers=admin_headers)
    assert too_long.status_code == 422
    removed = client.post(f"{PAGE}/{three[0]}/reply", data={"csrf_token": token, "body": " "}, headers=admin_headers)
    assert removed.headers["Location"].endswith(f"done=unreply&ids={three[0]}")
    assert _state(client, admin_headers)[three[0]][2] is None
    assert _actions(client, admin_headers) == ["review.reply", "review.feature", "review.feature", "review.pin", "review.reply"]


def test_the_filters_and_the_counts_follow_each_other(client, journey, shopper, admin_headers):
    long_id = "sku-" + "x" * 251
    journey.product_loader(lambda product: {"name": "Skillet"} if product == "sku-1" else {})
    ann = _write(client, shopper, "ann", rating=1, title="Cracked", body="Split in two.")
    bo = _write(client, shopper, "bo", rating=5, body="50% better than the old one_")
    cy = _write(client, shopper, "cy", product=long_id, rating=1, body="Rusty.")
    client.post(f"{API}/admin/reviews/{bo}/publish", headers=admin_headers)

    def shown(query: str) -> list[int]:
        html = client.get(f"{PAGE}?{query}", headers=admin_headers).get_data(as_text=True)
        return [int(found) for found in re.findall(r'<li class="review entry with-pick" id="review-(\d+)"', html)]

    assert shown("") == [ann, cy]  # pending first, oldest first
    assert shown("status=all") == [cy, bo, ann] and shown("status=published") == [bo]
    assert shown("status=all&rating=1") == [cy, ann] and shown("status=all&rating=1&product=sku-1") == [ann]
    assert shown("status=all&q=CRACK") == [ann] and shown("status=all&q=50%25") == [bo] and shown("status=all&q=_") == [bo]
    assert shown(f"status=all&q={long_id[-20:]}") == [cy] and shown("status=all&verified=1") == []
    assert shown("status=all&verified=0&rating=&photos=&product=&q=") == [cy, bo, ann]  # empty: any
    html = client.get(f"{PAGE}?status=all&rating=1", headers=admin_headers).get_data(as_text=True)
    assert re.search(r'data-count="pending">2<', html) and re.search(r'data-count="published">0<', html)
    assert f'<option value="{long_id}">{long_id}</option>' in html and '<option value="sku-1">Skillet</option>' in html
    for bad in ("rating=6", "verified=2", "photos=yes", "status=deleted", f"q={'x' * 201}"):
        assert client.get(f"{PAGE}?{bad}", headers=admin_headers).status_code == 422, bad
    counts = client.get(f"{PAGE}?rating=1", headers={**admin_headers, **JSON})  # what the page's script asks again
    assert counts.json == {"counts": {"pending": 2, "published": 0, "rejected": 0, "all": 2}}
