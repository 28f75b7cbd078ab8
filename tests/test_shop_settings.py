"""The owner's Settings page: the auto-publish policy, unmoderated reviews, review requests and the hold-out share,
changed in the admin (API and page) over the config, validated as the config is, audited, and obeyed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from journeykit.models import AuditEntry
from journeykit.reviews import requests as review_requests
from journeykit.signals import commit

from .conftest import ADMIN_KEY

API = "/journeykit/api/v1"
SETTINGS = f"{API}/admin/settings"
PAGE = "/journeykit/admin/settings"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


def _values(client) -> dict:
    return {row["name"]: (row["value"], row["overridden"]) for row in client.get(SETTINGS, headers=ADMIN).json["settings"]}


def _review(client, shopper, customer: str = "c-1", rating: int = 5):
    return client.post(f"{API}/products/sku-1/reviews", json={"rating": rating, "body": "Lovely."},
                       headers=shopper(customer))


def test_the_settings_are_the_config_until_the_owner_changes_them(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_REVIEW_REQUEST_DAYS": None})
    client = app.test_client()
    assert _values(client) == {"auto_publish": ("verified_positive", False), "publish_after_days": (None, False),
                               "review_request_days": (None, False), "holdout_share": (0.0, False)}
    assert client.get(SETTINGS).status_code == 401 and client.get(PAGE).status_code == 401


def test_the_auto_publish_policy_is_the_owners(app, client, shopper):
    assert client.get(f"{API}/reviews/policy").json["auto_publish"] == "verified_positive"
    assert client.put(SETTINGS, json={"auto_publish": "all"}, headers=ADMIN).status_code == 200
    assert _review(client, shopper).json["status"] == "published"  # not a buyer: published only under "all"
    assert client.get(f"{API}/reviews/policy").json["auto_publish"] == "all"
    client.put(SETTINGS, json={"auto_publish": "none"}, headers=ADMIN)
    assert _review(client, shopper, "c-2").json["status"] == "pending"
    with app.app_context():
        actions = app.extensions["sqlalchemy"].session.scalars(
            sa.select(AuditEntry.after).where(AuditEntry.action == "settings.change").order_by(AuditEntry.id)).all()
    assert actions == [{"auto_publish": "all"}, {"auto_publish": "none"}]


def test_never_asking_for_reviews_is_a_setting(app, client, stripe_events, deliver_stripe_event):
    deliver_stripe_event(stripe_events.checkout_completed(customer_id="c-1", products=["sku-1"]))
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    assert client.put(SETTINGS, json={"review_request_days": "never"}, headers=ADMIN).status_code == 200
    with app.app_context():
        assert review_requests.send_due(now=later) == 0
    client.put(SETTINGS, json={"review_request_days": 40}, headers=ADMIN)
    with app.app_context():
        assert review_requests.send_due(now=later) == 0  # 30 days old: not yet
        assert review_requests.send_due(now=later + dt.timedelta(days=11)) == 1
        commit()


def test_the_hold_out_share_reaches_the_embed_script(client):
    assert client.put(SETTINGS, json={"holdout_share": 0.25}, headers=ADMIN).status_code == 200
    holdout = client.get(f"{API}/embed/settings").json["holdout"]
    assert holdout["share"] == 0.25 and holdout["buckets"] > 0 and "reviews" in holdout["widgets"]


@pytest.mark.parametrize("change", [
    {"auto_publish": "sometimes"}, {"auto_publish": None, "holdout_share": 1}, {"holdout_share": -0.1},
    {"holdout_share": "0.2"}, {"review_request_days": -1}, {"review_request_days": "later"},
    {"publish_after_days": 3651}, {"publish_after_days": True}, {"unknown": 1},
])
def test_a_bad_value_is_refused_and_changes_nothing(client, change):
    answer = client.put(SETTINGS, json={"auto_publish": "all", **change}, headers=ADMIN)
    assert answer.status_code == 422
    assert _values(client)["auto_publish"] == ("verified_positive", False)


@pytest.mark.parametrize(("key", "value"), [("JOURNEYKIT_REVIEWS_AUTO_PUBLISH", "sometimes"),
                                            ("JOURNEYKIT_REVIEW_REQUEST_DAYS", -3),
                                            ("JOURNEYKIT_HOLDOUT_SHARE", 1.0)])
def test_the_config_is_checked_at_start_as_the_admin_checks_it(shop_factory, key, value):
    with pytest.raises(ValueError, match=key):
        shop_factory({key: value})


def test_never_may_be_written_in_the_config_too(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_REVIEWS_PUBLISH_AFTER_DAYS": "never"})
    assert app.test_client().get(f"{API}/reviews/policy").json["publish_after_days"] is None


def test_the_owner_changes_settings_on_the_page_which_links_to_the_others(client):
    page = client.get(PAGE, headers=ADMIN)
    assert page.status_code == 200
    for link in ("/journeykit/admin/loyalty/rules", "/journeykit/admin/referrals/settings", "/journeykit/admin/webhooks"):
        assert f'href="{link}"' in page.text
    assert '<a href="/journeykit/admin/settings">Settings</a>' in page.text  # in every owner page's header
    assert '<select id="setting-auto_publish"' in page.text  # a choice of three is a list, not a field
    assert "<option value='\"verified_positive\"' selected>verified_positive</option>" in page.text
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1),
            "auto_publish": '"none"', "publish_after_days": "null", "review_request_days": '"never"',
            "holdout_share": "0.0"}
    saved = client.post(PAGE, data=form, headers=ADMIN)
    assert saved.status_code == 303
    assert "Saved 2 changes." in client.get(saved.headers["Location"], headers=ADMIN).text
    assert _values(client)["review_request_days"] == ("never", True)
    wrong = client.post(PAGE, data={**form, "holdout_share": "2"}, headers=ADMIN)
    assert wrong.status_code == 422 and "Hold-out share must be a number from 0" in wrong.text
