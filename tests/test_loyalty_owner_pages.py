"""The owner's loyalty pages: the liability in money, participation, members by balance, one customer's history,
and the manual adjustment form (CSRF-protected, audited through the admin API's own logic)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import request

from journeykit.core import migrate
from journeykit.core.db import utcnow
from journeykit.journey import find_customer
from journeykit.loyalty import ledger, spending
from journeykit.models import EntryKind, Redemption, RedemptionStatus

from .browser_site import ADMIN, screenshot, serve
from .conftest import make_shop
from .loyalty_helpers import entries

PAGE = "/journeykit/admin/loyalty"
API = "/journeykit/api/v1/admin/loyalty"
#: 500 points = 5.00 USD, 1,000 points = 12.00 USD (the better USD rate), 300 points = 2.50 EUR.
REWARDS = [{"id": "5-off", "points": 500, "amount_off": 500, "currency": "usd"},
           {"id": "12-off", "points": 1000, "amount_off": 1200, "currency": "usd"},
           {"id": "eur", "points": 300, "amount_off": 250, "currency": "eur"}]


def _members(app, client, shopper, journey, balances: dict[str, int]) -> None:
    """Customers known with an e-mail (``<id>@example.com``) through their own token, then awarded points."""
    for customer, points in balances.items():
        client.get("/journeykit/api/v1/me/loyalty", headers=shopper(customer, name=customer.title()))
        with app.app_context():
            journey.loyalty.award(customer, points, "Opening balance", key="opening")


@pytest.fixture
def shop(shop_factory):
    return shop_factory({"JOURNEYKIT_LOYALTY_REWARDS": REWARDS})


@pytest.fixture
def program(app, client, shopper, journey):
    """Ann 1,000, Bo 234, Cy 0 points; Bo turned 100 into a code still open, and an older code was used."""
    _members(app, client, shopper, journey, {"ann": 1000, "bo": 334, "cy": 5})
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        bo, cy = find_customer("bo"), find_customer("cy")
        # What the lead's redemptions write: the points leave through a redemption entry, the code is a row.
        spending.spend(bo, 100, EntryKind.REDEMPTION, key="redeem:1")
        spending.spend(cy, 5, EntryKind.ADJUSTMENT, key="adjustment:zero")
        session.add_all([
            Redemption(customer_id=bo.id, key="r1", reward="5-off", points=100, amount_off=500, currency="usd",
                       code="BO-1", status=RedemptionStatus.ISSUED),
            Redemption(customer_id=bo.id, key="r0", reward="5-off", points=500, amount_off=500, currency="usd",
                       code="BO-0", status=RedemptionStatus.USED, created_at=utcnow() - dt.timedelta(days=60),
                       closed_at=utcnow() - dt.timedelta(days=1)),
        ])
        session.commit()


def test_the_liability_is_valued_at_the_best_reward_per_currency_rounded_down(client, admin_headers, program):
    figures = client.get(f"{API}/summary", headers=admin_headers).json
    # 1,234 points outstanding: 1,234 × 1,200 ÷ 1,000 = 1,480.8 → 1,480 cents; 1,234 × 250 ÷ 300 = 1,028.3 → 1,028.
    assert figures["outstanding_points"] == 1234
    assert figures["outstanding_value"] == {"eur": 1028, "usd": 1480}
    assert figures["redemption_rates"] == {"eur": {"points": 300, "amount_off": 250},
                                           "usd": {"points": 1000, "amount_off": 1200}}
    assert (figures["members"], figures["earning_members"], figures["redeeming_members"]) == (3, 3, 1)
    assert figures["codes"] == {"issued": 2, "used": 1, "returned": 0, "open": 1, "open_amount_off": {"usd": 500}}
    today = utcnow().date().isoformat()
    month_ago = (utcnow().date() - dt.timedelta(days=70)).isoformat()
    older = client.get(f"{API}/summary?from={month_ago}&to={month_ago}", headers=admin_headers).json
    assert older["codes"]["issued"] == 0 and older["redeeming_members"] == 0 and older["outstanding_points"] == 1234
    assert client.get(f"{API}/summary?from={today}", headers=admin_headers).json["codes"]["used"] == 0


def test_prometheus_reports_the_liability_in_minor_units_per_currency(client, admin_headers, program):
    text = client.get("/journeykit/metrics", headers=admin_headers).get_data(as_text=True)
    assert re.search(r'^journeykit_loyalty_liability_minor_units\{currency="usd"\} 1480(\.0)?$', text, re.M)
    assert re.search(r'^journeykit_loyalty_liability_minor_units\{currency="eur"\} 1028(\.0)?$', text, re.M)


def test_without_rewards_the_value_is_unknown_not_invented(shop_factory, admin_headers):
    app, _, journey = shop_factory()
    client = app.test_client()
    _members(app, client, lambda customer, name=None: _token(app, journey, customer, name), journey, {"ann": 700})
    assert client.get(f"{API}/summary", headers=admin_headers).json["outstanding_value"] is None
    page = client.get(PAGE, headers=admin_headers).get_data(as_text=True)
    assert re.search(r'data-figure="value"><span>Worth</span><b>Unknown</b>', page)
    assert "no rewards are configured" in page
    text = client.get("/journeykit/metrics", headers=admin_headers).get_data(as_text=True)
    assert "journeykit_loyalty_liability_minor_units{" not in text
    card = client.get("/journeykit/admin/", headers=admin_headers).get_data(as_text=True)
    assert re.search(r'data-figure="owed"><span>You owe</span><b>Unknown</b>', card)


def _token(app, journey, customer: str, name: str | None = None) -> dict[str, str]:
    with app.test_request_context():
        return {"X-JourneyKit-Customer": journey.customer_token(customer, email=f"{customer}@example.com", name=name)}


def test_the_program_page_shows_what_is_owed_who_takes_part_and_the_members_by_balance(client, admin_headers, program):
    page = client.get(PAGE, headers=admin_headers)
    assert page.status_code == 200 and page.headers["X-Frame-Options"] == "DENY"
    html = page.get_data(as_text=True)
    assert re.search(r'data-figure="outstanding"><span>Points outstanding</span><b>1,234</b>', html)
    assert "<b>10.28 EUR</b><b>14.80 USD</b>" in html
    assert "1,000 points = 12.00 USD" in html and "300 points = 2.50 EUR" in html
    assert re.search(r'data-figure="redeeming"><span>Redeeming \(30 days\)</span><b>1</b>', html)
    assert re.search(r"<b>1 · 1 · 0</b>", html) and "still open\n(5.00 USD off)" in html
    assert re.findall(r'<tr data-customer="(\w+)">', html) == ["ann", "bo", "cy"]
    assert 'href="/journeykit/admin/loyalty/customers/bo">Bo</a>' in html
    assert '<a href="/journeykit/admin/loyalty">Loyalty</a>' in html  # the admin's navigation


def test_the_dashboard_card_says_what_is_owed_and_whether_the_program_is_used(client, admin_headers, program):
    html = client.get("/journeykit/admin/", headers=admin_headers).get_data(as_text=True)
    card = html[html.index('id="loyalty"'):html.index('id="orders"')]
    assert "<b>10.28 EUR</b> · <b>14.80 USD</b>" in card
    assert re.search(r'data-figure="redeeming"><span>Redeemed this period</span><b>1</b>', card)
    assert re.search(r'data-figure="codes"><span>Codes issued · used · returned</span><b>1 · 1 · 0</b>', card)
    assert 'href="/journeykit/admin/loyalty"' in card


def test_members_page_through_by_balance_and_are_found_by_id_or_email(client, admin_headers, program):
    first = client.get(f"{PAGE}?limit=2", headers=admin_headers).get_data(as_text=True)
    assert re.findall(r'<tr data-customer="(\w+)">', first) == ["ann", "bo"]
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    last = client.get(following, headers=admin_headers).get_data(as_text=True)
    assert re.findall(r'<tr data-customer="(\w+)">', last) == ["cy"] and 'rel="next"' not in last
    for search in ("bo", "BO@example.com "):
        found = client.get(PAGE, query_string={"q": search}, headers=admin_headers).get_data(as_text=True)
        assert re.findall(r'<tr data-customer="(\w+)">', found) == ["bo"], search
    nobody = client.get(PAGE, query_string={"q": "<b>nobody</b>"}, headers=admin_headers).get_data(as_text=True)
    assert "No member with the customer id or e-mail “&lt;b&gt;nobody&lt;/b&gt;”." in nobody
    listed = client.get(f"{API}/customers?limit=1", headers=admin_headers).json
    assert [(item["customer"], item["email"], item["balance"]) for item in listed["items"]] == [
        ("ann", "ann@example.com", 1000)]
    assert client.get(f"{API}/customers?cursor=forged", headers=admin_headers).status_code == 400
    assert client.get(f"{API}/customers?limit=0", headers=admin_headers).status_code == 422


def _form(client, headers, customer: str = "ann") -> dict[str, str]:
    html = client.get(f"{PAGE}/customers/{customer}", headers=headers).get_data(as_text=True)
    return {name: re.search(rf'name="{name}" value="([^"]*)"', html).group(1) for name in ("csrf_token", "key")}


def test_the_customer_page_shows_points_history_and_who_made_manual_entries(app, client, admin_headers, program):
    form = _form(client, admin_headers)
    done = client.post(f"{PAGE}/customers/ann", data={**form, "points": "-250", "reason": "Returned the vase"},
                       headers=admin_headers)
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/loyalty/customers/ann?adjusted=-250")
    html = client.get(done.headers["Location"], headers=admin_headers).get_data(as_text=True)
    assert "Points adjusted by -250." in html
    for figure, value in (("balance", "750"), ("spendable", "750"), ("pending", "0"), ("tier", "member"),
                          ("earned", "1,000")):
        assert re.search(rf'data-figure="{figure}"><span>[^<]+</span><b>{value}</b>', html), figure
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", row)[1:] for row in re.findall(r'<tr data-kind=.*?</tr>', html, re.S)]
    assert rows == [["-250", "adjustment", "Returned the vase", "API key …6789"],
                    ["+1,000", "award", "Opening balance", "—"]]
    assert entries(app, "ann") == [(1000, "award"), (-250, "adjustment")]
    audit = client.get("/journeykit/api/v1/admin/audit", headers=admin_headers).json["items"]
    assert [(item["action"], item["actor"], item["after"]) for item in audit] == [
        ("loyalty.adjust", "API key …6789", {"points": -250, "reason": "Returned the vase"})]
    again = client.post(f"{PAGE}/customers/ann", data={**form, "points": "-250", "reason": "Returned the vase"},
                        headers=admin_headers)
    assert again.status_code == 303 and entries(app, "ann") == [(1000, "award"), (-250, "adjustment")]  # a double click


@pytest.mark.parametrize("fields, status, error", [
    ({"points": "ten", "reason": "x"}, 422, "Enter a whole number of points"),
    ({"points": "1.5", "reason": "x"}, 422, "Enter a whole number of points"),
    ({"points": "0", "reason": "x"}, 422, "An adjustment must change the balance."),
    ({"points": "99999999999", "reason": "x"}, 422, "Must be greater than or equal to"),
    ({"points": "20", "reason": "   "}, 422, "May not be blank."),
    ({"points": "20", "reason": ""}, 422, "Length must be between 1 and 200."),
    ({"points": "20", "reason": "r" * 201}, 422, "Length must be between 1 and 200."),
    ({"points": "-1001", "reason": "Too much"}, 409, "Not enough points: 1000 available, 1001 asked."),
])
def test_a_wrong_adjustment_is_shown_in_the_form_and_changes_nothing(app, client, admin_headers, program, fields, status,
                                                                     error):
    refused = client.post(f"{PAGE}/customers/ann", data={**_form(client, admin_headers), **fields}, headers=admin_headers)
    html = refused.get_data(as_text=True)
    assert refused.status_code == status and error in html and 'class="error"' in html
    assert f'name="points" value="{fields["points"]}"' in html  # what the owner typed is kept
    assert entries(app, "ann") == [(1000, "award")]
    assert client.get("/journeykit/api/v1/admin/audit", headers=admin_headers).json["items"] == []


def test_the_form_needs_its_csrf_token_and_the_shops_own_origin(app, client, shop, program):
    journey = shop[2]
    journey.admin_guard(lambda: "Olive (owner)" if request.headers.get("X-Shop-Login") == "olive" else False)
    owner = {"X-Shop-Login": "olive"}
    form = _form(client, owner)
    body = {"points": "50", "reason": "Birthday gift", "key": form["key"]}
    for sent, headers in (({**body}, owner), ({**body, "csrf_token": "guessed"}, owner),
                          ({**body, "csrf_token": form["csrf_token"]}, {**owner, "Origin": "https://evil.example"})):
        refused = client.post(f"{PAGE}/customers/ann", data=sent, headers=headers)
        assert refused.status_code == 400 and "This form expired or came from elsewhere" in refused.get_data(as_text=True)
    other_session = app.test_client()
    assert other_session.post(f"{PAGE}/customers/ann", data={**body, "csrf_token": form["csrf_token"]},
                              headers=owner).status_code == 400  # a token is only good with its own session
    assert entries(app, "ann") == [(1000, "award")]
    done = client.post(f"{PAGE}/customers/ann", data={**body, "csrf_token": form["csrf_token"]}, headers=owner)
    assert done.status_code == 303 and entries(app, "ann") == [(1000, "award"), (50, "adjustment")]
    with app.app_context():
        assert ledger.history(find_customer("ann").id, limit=1)[0]["actor"] == "Olive (owner)"


def test_only_the_owner_sees_the_pages(client, shop, program):
    journey = shop[2]
    for url in (PAGE, f"{PAGE}/customers/ann", f"{API}/customers", f"{API}/export.csv", f"{API}/entries.csv"):
        assert client.get(url).status_code == 401, url
    assert client.post(f"{PAGE}/customers/ann", data={"points": "5", "reason": "x"}).status_code == 401
    journey.admin_guard(lambda: False)
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}/customers/ann", data={"points": "5", "reason": "x"}).status_code == 403
    assert client.get(f"{PAGE}/customers/nobody", headers={"Authorization": "Bearer test-admin-key-0123456789"}
                      ).status_code == 404


def test_the_pages_fit_a_phone_and_a_desktop(page, tmp_path):
    """At 390 px nothing but the tables scrolls sideways; the adjustment form works in a real browser."""
    app, db, journey = make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", {"JOURNEYKIT_LOYALTY_REWARDS": REWARDS})
    with app.app_context():
        db.create_all()
        migrate.upgrade()
    _members(app, app.test_client(), lambda customer, name=None: _token(app, journey, customer, name), journey,
             {"ann": 1000, "bo": 334})
    url, server = serve(app)
    try:
        page.set_extra_http_headers(ADMIN)
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{url}{PAGE}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            screenshot(page, f"admin-loyalty-{width}.png")
            page.goto(f"{url}{PAGE}/customers/ann")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.set_viewport_size({"width": 390, "height": 900})
        page.fill("#points", "-40")
        page.fill("#reason", "Broken mug")
        page.click("#adjust button")
        assert page.locator('[data-figure="balance"] b').inner_text() == "960"
        assert page.get_by_role("status").inner_text() == "Points adjusted by -40."
        screenshot(page, "admin-loyalty-customer-390.png")
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()


def test_a_shops_flask_wtf_leaves_the_owners_form_to_its_own_token(shop_factory, admin_headers):
    from flask_wtf.csrf import CSRFProtect

    app, _, journey = shop_factory({"TESTING": False, "JOURNEYKIT_LOYALTY_REWARDS": REWARDS})
    CSRFProtect(app)  # set up after JourneyKit, as shops often do
    client = app.test_client()
    _members(app, client, lambda customer, name=None: _token(app, journey, customer, name), journey, {"ann": 100})
    form = _form(client, admin_headers)
    assert client.post(f"{PAGE}/customers/ann", data={"points": "5", "reason": "x", "key": form["key"]},
                       headers=admin_headers).status_code == 400  # still refused without JourneyKit's token
    done = client.post(f"{PAGE}/customers/ann", data={**form, "points": "5", "reason": "Thanks"}, headers=admin_headers)
    assert done.status_code == 303 and entries(app, "ann") == [(100, "award"), (5, "adjustment")]


def test_the_owner_cancels_an_unused_code_from_the_customers_page(app, client, admin_headers, program, journey):
    journey.loyalty.code_maker(lambda customer_id, reward, *, key, expires_at: f"SHOP-{key}")
    with app.app_context():
        journey.loyalty.redeem("ann", "5-off", key="k1")
    form = _form(client, admin_headers)
    html = client.get(f"{PAGE}/customers/ann", headers=admin_headers).get_data(as_text=True)
    [row] = re.findall(r'<tr data-status="issued">.*?</tr>', html, re.S)
    assert "SHOP-k1" in row and "5.00 USD off" in row and 'aria-label="Cancel SHOP-k1 and give its 500 points back"' in row
    action = re.search(r'<form method="post" action="([^"]+)"', row).group(1)
    forged = client.post(action, data={"csrf_token": "guessed"}, headers=admin_headers)
    assert forged.status_code == 400 and entries(app, "ann")[-1] == (-500, "redemption")
    done = client.post(action, data={"csrf_token": form["csrf_token"]}, headers=admin_headers)
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/loyalty/customers/ann?cancelled=SHOP-k1")
    page = client.get(done.headers["Location"], headers=admin_headers).get_data(as_text=True)
    assert "Code SHOP-k1 cancelled." in page and '<tr data-status="returned">' in page and "Cancel SHOP-k1" not in page
    assert entries(app, "ann")[-2:] == [(-500, "redemption"), (500, "code_returned")]
    again = client.post(action, data={"csrf_token": form["csrf_token"]}, headers=admin_headers)
    assert again.status_code == 409 and "This code is closed already." in again.get_data(as_text=True)
