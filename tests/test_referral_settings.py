"""The owner's referral settings: changed in the admin (API and page), validated as the config is, audited, and
what the referrals then do: the offer shown, the link's landing, the hold, the friend's Stripe code."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from journeykit.models import AuditEntry, ReferralCode, ReferralStatus
from journeykit.referrals import rewards
from journeykit.testing import StripeEvents

from .conftest import ADMIN_KEY
from .referral_reward_helpers import buy, code_of, refer
from .test_referral_links import follow, make_code

API = "/journeykit/api/v1"
SETTINGS = f"{API}/admin/referrals/settings"
PAGE = "/journeykit/admin/referrals/settings"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
FIVE_OFF = {"amount_off": 500, "currency": "usd"}


def _values(client) -> dict:
    return {row["name"]: (row["value"], row["overridden"]) for row in client.get(SETTINGS, headers=ADMIN).json["settings"]}


def _audits(app) -> list[tuple[dict, dict]]:
    with app.app_context():
        return [(row.before, row.after) for row in app.extensions["sqlalchemy"].session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "referral_settings.change").order_by(AuditEntry.id))]


def test_the_settings_are_the_config_until_the_owner_changes_them(shop_factory):
    app, _, _ = shop_factory({"JOURNEYKIT_REFERRAL_HOLD_DAYS": 14})
    client = app.test_client()
    assert _values(client) == {
        "friend_reward": (None, False), "referrer_coupon": (None, False), "hold_days": (14, False),
        "max_per_month": (20, False), "review_score": (50, False), "attribution_days": (30, False),
        "landing_path": ("/", False), "click_spike": (10, False)}
    assert client.get(SETTINGS).status_code == 401
    assert client.put(SETTINGS, json={"hold_days": 1}).status_code == 401


def test_the_offer_follows_the_owners_friend_reward_everywhere(app, client, shopper):
    assert client.get(f"{API}/referrals/program").json["offer"] == "Share our shop with your friends."
    answer = client.put(SETTINGS, json={"friend_reward": FIVE_OFF}, headers=ADMIN)
    assert answer.status_code == 200
    program = client.get(f"{API}/referrals/program").json
    assert program == {"offer": "Give your friends 5.00 USD off their first order.", "friend_offer": "5.00 USD off",
                       "referrer_offer": None, "friend_reward": FIVE_OFF, "signup_url": None}
    mine = client.get(f"{API}/me/referral", headers=shopper("c-ann")).json
    assert (mine["offer"], mine["friend_offer"], mine["friend_reward"]) == (program["offer"], "5.00 USD off", FIVE_OFF)
    assert _audits(app) == [({"friend_reward": None}, {"friend_reward": FIVE_OFF})]
    assert client.put(SETTINGS, json={"friend_reward": None}, headers=ADMIN).status_code == 200
    assert client.get(f"{API}/referrals/program").json["friend_offer"] is None


@pytest.mark.parametrize("change", [
    {"landing_path": "//evil.example"}, {"landing_path": "https://evil.example"}, {"landing_path": 5},
    {"hold_days": -1}, {"hold_days": "3"}, {"hold_days": True}, {"review_score": 101}, {"attribution_days": 0},
    {"click_spike": 1}, {"friend_reward": {"percent_off": 0}}, {"friend_reward": {"amount_off": 5, "currency": "USD"}},
    {"referrer_coupon": {"percent_off": 10}}, {"nonsense": 1}, {},
])
def test_a_bad_value_is_refused_and_changes_nothing(app, client, change):
    answer = client.put(SETTINGS, json={"hold_days": 3, **change}, headers=ADMIN) if change else client.put(
        SETTINGS, json={}, headers=ADMIN)
    assert answer.status_code == 422 and answer.json["error"]["code"] == "validation_error"
    assert _values(client)["hold_days"] == (0, False) and _audits(app) == []


def test_the_link_lands_where_the_owner_says(app, client, journey):
    code = make_code(app, journey)
    client.put(SETTINGS, json={"landing_path": "/welcome"}, headers=ADMIN)
    assert follow(app.test_client(), code).headers["Location"] == f"/welcome?ref={code}"


def test_the_owners_hold_applies_to_the_next_referral(app, client):
    app.config["JOURNEYKIT_POINTS_REFERRAL"] = 100
    client.put(SETTINGS, json={"hold_days": 30}, headers=ADMIN)
    events = StripeEvents()
    buy(app, events, customer_id="ann", email="ann@example.com")
    made = refer(app, buy(app, events, customer_id="bob", email="bob@example.com"))
    assert made.status == ReferralStatus.HELD and made.rewarded_at is None


def test_a_changed_friend_reward_replaces_the_codes_stripe_promotion_code(shop_factory, fake_stripe):
    app = shop_factory({"JOURNEYKIT_STRIPE_API_KEY": "sk_test_fake", "JOURNEYKIT_STRIPE_API_BASE": fake_stripe.url,
                        "JOURNEYKIT_REFERRAL_FRIEND_REWARD": FIVE_OFF})[0]

    def friend_code() -> str:
        with app.app_context():
            return rewards.friend_promotion_code(app.extensions["sqlalchemy"].session.get(ReferralCode, code_of(app)))

    first = friend_code()
    client = app.test_client()
    assert client.put(SETTINGS, json={"friend_reward": {"percent_off": 10}}, headers=ADMIN).status_code == 200
    second = friend_code()
    assert second != first and friend_code() == second
    assert fake_stripe.promotion_codes[first]["active"] is False
    new = fake_stripe.promotion_codes[second]
    assert (new["code"], new["active"], new["coupon"]["percent_off"]) == ("ANNCODE2", True, 10)


def test_the_owner_changes_the_settings_on_the_page(app, client):
    page = client.get(PAGE, headers=ADMIN)
    assert page.status_code == 200 and "Referral settings" in page.text
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1),
            **{row["name"]: "null" if row["value"] is None else str(row["value"]).lower()
               for row in client.get(SETTINGS, headers=ADMIN).json["settings"]},
            "landing_path": '"/"', "friend_reward": '{"percent_off": 15}', "hold_days": "7"}
    saved = client.post(PAGE, data=form, headers=ADMIN)
    assert saved.status_code == 303, saved.text
    assert "Saved 2 changes." in client.get(saved.headers["Location"], headers=ADMIN).text
    assert _values(client)["friend_reward"] == ({"percent_off": 15}, True)
    wrong = client.post(PAGE, data={**form, "landing_path": '"//evil.example"', "hold_days": "9"}, headers=ADMIN)
    assert wrong.status_code == 422 and "Where links land must be a path on the shop" in wrong.text
    assert _values(client)["hold_days"] == (7, True)  # nothing of a refused form is kept
    garbled = client.post(PAGE, data={**form, "hold_days": "seven"}, headers=ADMIN)
    assert garbled.status_code == 422 and "Enter a JSON value" in garbled.text
    forged = client.post(PAGE, data={**form, "csrf_token": "forged", "hold_days": "9"}, headers=ADMIN)
    assert forged.status_code == 400 and _values(client)["hold_days"] == (7, True)
    reset = client.post(PAGE, data={**form, "reset_hold_days": "1"}, headers=ADMIN)
    assert reset.status_code == 303 and _values(client)["hold_days"] == (0, False)
    assert client.get(PAGE).status_code == 401
