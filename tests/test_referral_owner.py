"""The owner's referral page and API: the review queue (approve/deny, audited, once), codes (vanity, disable,
enable), the CSV export (safe from formulas) and its command; for the owner only, forms with their CSRF token."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from journeykit.core import migrate
from journeykit.journey import find_customer
from journeykit.loyalty import ledger
from journeykit.models import AuditEntry, Referral, ReferralCode, ReferralStatus

from .browser_site import ADMIN, screenshot, serve
from .conftest import make_shop
from .referral_owner_data import API, CONFIG, PAGE, month, seed, shop

__all__ = ["month", "shop"]  # the fixtures, imported for these tests


def _audits(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(app.extensions["sqlalchemy"].session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == action)))


def _referral(app, referral_id: int) -> Referral:
    with app.app_context():
        return app.extensions["sqlalchemy"].session.get(Referral, referral_id)


def _points(app, customer: str) -> int:
    with app.app_context():
        return ledger.balance_of(find_customer(customer).id)


def _token(client, headers) -> str:
    html = client.get(PAGE, headers=headers).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


# -- who may ------------------------------------------------------------------


def test_only_the_owner_reaches_the_page_and_the_api(client, month):
    for method, path in (("get", PAGE), ("get", f"{API}/summary"), ("get", f"{API}/codes"), ("get", f"{API}/queue"),
                         ("get", f"{API}/export.csv"), ("post", f"{API}/{month[3]}/approve"),
                         ("post", f"{API}/codes/ANN-VIP/disable"), ("put", f"{API}/customers/bo/code")):
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            assert getattr(client, method)(path, headers=headers, json={"code": "BO-X1"}).status_code == 401, path
    assert _referral(client.application, month[3]).status is ReferralStatus.REVIEW


def test_the_shops_guard_decides_for_its_own_accounts(shop_factory):
    app, _, journey = shop_factory(CONFIG)
    journey.admin_guard(lambda: False)
    assert app.test_client().get(PAGE).status_code == 403


# -- the review queue -----------------------------------------------------------


def test_the_queue_shows_the_risk_score_and_its_reasons(client, admin_headers, month):
    queue = client.get(f"{API}/queue", headers=admin_headers).json
    assert [item["id"] for item in queue["items"]] == [month[3]] and queue["next"] is None
    item = queue["items"][0]
    assert (item["referrer"], item["friend"], item["code"], item["risk_score"]) == ("bo", "f3", "BOCODE12", 60)
    assert item["risk_reasons"] == ["Shares a shipping address with the referrer", "The code is flagged"]
    held = client.get(f"{API}/queue", query_string={"status": "held"}, headers=admin_headers).json["items"]
    assert [item["id"] for item in held] == [month[7]]
    assert client.get(f"{API}/queue", query_string={"status": "maybe"}, headers=admin_headers).status_code == 422


def test_approving_pays_once_is_audited_once_and_cannot_then_be_denied(app, client, admin_headers, month):
    before = _points(app, "bo")
    first = client.post(f"{API}/{month[3]}/approve", headers=admin_headers)
    assert first.status_code == 200 and first.json["status"] == "rewarded"  # no hold days: paid at once
    assert first.json["decided_by"] == "API key …6789"
    again = client.post(f"{API}/{month[3]}/approve", headers=admin_headers)
    assert again.status_code == 200 and again.json == first.json
    assert _points(app, "bo") == before + 100
    [entry] = _audits(app, "referral.approve")
    assert (entry.target, entry.before, entry.after) == (f"referral:{month[3]}", {"status": "review"},
                                                         {"status": "rewarded", "risk_score": 60})
    refused = client.post(f"{API}/{month[3]}/deny", headers=admin_headers)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "referral_decided"
    assert _referral(app, month[3]).status is ReferralStatus.REWARDED and _audits(app, "referral.deny") == []


def test_denying_pays_nothing_and_a_second_deny_changes_nothing(app, client, admin_headers, month):
    before = _points(app, "bo")
    for _ in range(2):
        denied = client.post(f"{API}/{month[7]}/deny", headers=admin_headers)  # held: its reward waits
        assert denied.status_code == 200 and denied.json["status"] == "denied"
    assert _points(app, "bo") == before and len(_audits(app, "referral.deny")) == 1
    assert client.post(f"{API}/{month[7]}/approve", headers=admin_headers).status_code == 409
    assert client.post(f"{API}/{month[1]}/approve", headers=admin_headers).status_code == 409  # paid, never reviewed
    missing = client.post(f"{API}/999999/approve", headers=admin_headers)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "referral_not_found"
    assert client.post(f"{API}/{2**70}/deny", headers=admin_headers).status_code in (400, 404)


def test_the_page_approves_with_its_token_and_refuses_forged_forms(app, client, admin_headers, month):
    action = f"{PAGE}/{month[3]}/approve"
    for data, headers in (({}, admin_headers), ({"csrf_token": "guessed"}, admin_headers),
                          ({"csrf_token": _token(client, admin_headers)}, {**admin_headers,
                                                                           "Origin": "https://evil.example"})):
        refused = client.post(action, data=data, headers=headers)
        assert refused.status_code == 400 and "This form expired" in refused.get_data(as_text=True)
    assert _referral(app, month[3]).status is ReferralStatus.REVIEW
    done = client.post(action, data={"csrf_token": _token(client, admin_headers)}, headers=admin_headers)
    assert done.status_code == 303
    page = client.get(done.headers["Location"], headers=admin_headers).get_data(as_text=True)
    assert f"Referral {month[3]} approved." in page and "Nothing waits for review." in page
    again = client.post(action, data={"csrf_token": _token(client, admin_headers)}, headers=admin_headers)
    assert again.status_code == 303 and len(_audits(app, "referral.approve")) == 1
    deny = client.post(f"{PAGE}/{month[3]}/deny", data={"csrf_token": _token(client, admin_headers)},
                       headers=admin_headers)
    assert deny.status_code == 409 and "not waiting for a decision" in deny.get_data(as_text=True)


# -- codes ------------------------------------------------------------------------


def test_codes_are_listed_paged_and_found_by_code_or_customer(client, admin_headers, month):
    first = client.get(f"{API}/codes", query_string={"limit": 3}, headers=admin_headers).json
    assert [code["code"] for code in first["items"]] == ["LEAKED-1", "BOCODE12", "OLD-CODE"]
    rest = client.get(f"{API}/codes", query_string={"limit": 3, "cursor": first["next"]}, headers=admin_headers).json
    assert [code["code"] for code in rest["items"]] == ["ANN-VIP"] and rest["next"] is None
    by_customer = client.get(f"{API}/codes", query_string={"q": "ann@example.com"}, headers=admin_headers).json
    assert [code["code"] for code in by_customer["items"]] == ["OLD-CODE", "ANN-VIP"]
    by_code = client.get(f"{API}/codes", query_string={"q": "leak"}, headers=admin_headers).json["items"]
    assert [(code["code"], code["customer"], code["flag_reason"]) for code in by_code] == [
        ("LEAKED-1", "cy", "42 clicks in a day, 21× its usual rate")]
    assert client.get(f"{API}/codes", query_string={"q": "%_"}, headers=admin_headers).json["items"] == []


@pytest.mark.parametrize(("body", "status", "error"), [
    ({"code": "no"}, 422, "invalid_code"), ({"code": "has space"}, 422, "invalid_code"),
    ({"code": "-ANN"}, 422, "invalid_code"), ({"code": "É" * 8}, 422, "invalid_code"), ({"code": "A" * 33}, 422, None),
    ({"code": "ann-vip"}, 409, "code_taken"), ({"code": "old-code"}, 409, "code_taken"), ({"code": " "}, 422, None),
    ({}, 422, None), ({"code": 1234}, 422, None)])
def test_a_wrong_vanity_code_is_refused_and_changes_nothing(app, client, admin_headers, month, body, status, error):
    answer = client.put(f"{API}/customers/bo/code", json=body, headers=admin_headers)
    assert answer.status_code == status and (error is None or answer.json["error"]["code"] == error)
    with app.app_context():
        count = app.extensions["sqlalchemy"].session.scalar(sa.select(sa.func.count()).select_from(ReferralCode))
    assert count == 4 and _audits(app, "referral_code.vanity") == []


def test_a_vanity_code_becomes_the_customers_code_once(app, client, admin_headers, month):
    made = client.put(f"{API}/customers/bo/code", json={"code": "bo-summer"}, headers=admin_headers)
    assert made.status_code == 200 and (made.json["code"], made.json["vanity"], made.json["customer"]) == (
        "BO-SUMMER", True, "bo")
    assert client.put(f"{API}/customers/bo/code", json={"code": "BO-SUMMER"}, headers=admin_headers).status_code == 200
    [entry] = _audits(app, "referral_code.vanity")
    assert (entry.before, entry.after) == ({"code": "BOCODE12"}, {"code": "BO-SUMMER"})
    advocates = client.get(f"{API}/summary", headers=admin_headers).json["top_advocates"]
    assert {advocate["customer"]: advocate["code"] for advocate in advocates} == {"ann": "ANN-VIP", "bo": "BO-SUMMER"}
    missing = client.put(f"{API}/customers/nobody/code", json={"code": "NOBODY-1"}, headers=admin_headers)
    assert missing.status_code == 404


def test_the_vanity_form_shows_what_is_wrong(client, admin_headers, month):
    token = _token(client, admin_headers)
    for form, message in (({"customer": "bo", "code": "no"}, "4 to 32 letters, digits and hyphens"),
                          ({"customer": "bo", "code": "ANN-VIP"}, "The code ANN-VIP is taken."),
                          ({"customer": "", "code": "BO-X1"}, "Enter the shop&#39;s customer id."),
                          ({"customer": "nobody", "code": "BO-X1"}, "nobody")):
        answer = client.post(f"{PAGE}/vanity", data={**form, "csrf_token": token}, headers=admin_headers)
        html = answer.get_data(as_text=True)
        assert answer.status_code in (404, 409, 422) and message in html, (form, html[-3000:])
        assert 'role="alert"' in html and f'value="{form["code"]}"' in html  # what was typed stays in the form
    done = client.post(f"{PAGE}/vanity", data={"customer": "bo", "code": "bo-x1", "csrf_token": token},
                       headers=admin_headers)
    assert done.status_code == 303
    assert "BO-X1 is now the customer&#39;s referral code." in client.get(
        done.headers["Location"], headers=admin_headers).get_data(as_text=True)


def test_disabling_and_enabling_a_code_is_audited_once_each(app, client, admin_headers, month):
    for _ in range(2):
        disabled = client.post(f"{API}/codes/leaked-1/disable", headers=admin_headers)
        assert disabled.status_code == 200 and disabled.json["disabled_at"] is not None
    assert len(_audits(app, "referral_code.disable")) == 1
    assert client.get(f"{API}/summary", headers=admin_headers).json["flagged_codes"] == 0  # disabled: no longer a worry
    enabled = client.post(f"{API}/codes/LEAKED-1/enable", headers=admin_headers)
    assert enabled.status_code == 200 and enabled.json["disabled_at"] is None
    assert len(_audits(app, "referral_code.enable")) == 1
    for code in ("NOPE-NOPE", "%3Cscript%3E", "x" * 300, "%00"):
        missing = client.post(f"{API}/codes/{code}/disable", headers=admin_headers)
        assert missing.status_code in (400, 404), code
    token = _token(client, admin_headers)
    assert client.post(f"{PAGE}/codes/BOCODE12/disable", data={"csrf_token": "x"}, headers=admin_headers
                       ).status_code == 400
    done = client.post(f"{PAGE}/codes/BOCODE12/disable", data={"csrf_token": token}, headers=admin_headers)
    assert done.status_code == 303
    page = client.get(done.headers["Location"], headers=admin_headers).get_data(as_text=True)
    assert "Code BOCODE12 disabled." in page and 'data-code="BOCODE12" data-state="disabled"' in page


# -- the page ---------------------------------------------------------------------


def test_the_page_shows_figures_queue_advocates_flagged_codes_and_settings(client, admin_headers, month):
    html = client.get(PAGE, headers=admin_headers).get_data(as_text=True)
    assert 'data-figure="referred"><span>Referred buyers</span><b>5</b>' in html
    assert "<b>25.00 EUR</b><b>85.00 USD</b>" in html
    assert f'data-referral="{month[3]}"' in html and "Shares a shipping address with the referrer" in html
    advocates = html[html.index('id="advocates"'):html.index('id="flagged-title"')]
    assert advocates.index('data-customer="bo"') < advocates.index('data-customer="ann"')
    assert "42 clicks in a day" in html[html.index('id="flagged"'):]
    for name in ("attribution_days", "hold_days", "review_score", "friend_reward"):
        assert f'data-setting="{name}"' in html
    assert '<dt>Days a click counts</dt><dd data-setting="attribution_days"><b>30</b></dd>' in html
    assert 'href="/journeykit/admin/referrals/settings">Change the settings</a>' in html
    assert '<a href="/journeykit/admin/referrals">Referrals</a>' in html  # the admin's navigation


def test_the_nav_links_to_the_page_from_every_admin_page(client, admin_headers):
    html = client.get("/journeykit/admin/loyalty", headers=admin_headers).get_data(as_text=True)
    assert '<a href="/journeykit/admin/referrals">Referrals</a>' in html


# -- CSV ----------------------------------------------------------------------------


def test_the_csv_has_every_referral_and_runs_no_formula(app, client, admin_headers, month, tmp_path):
    with app.app_context():
        session = app.extensions["sqlalchemy"].session
        session.add(Referral(checkout_session_id="cs_test_formula", code_text="=HYPERLINK(\"http://x\")",
                             status=ReferralStatus.UNKNOWN_CODE, amount_total=100, currency="usd",
                             risk_reasons=["+1 sign", "@mention"], decided_by="-owner"))
        session.commit()
    answer = client.get(f"{API}/export.csv", headers=admin_headers)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="journeykit-referrals-')
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert len(rows) == 9 and rows[0]["referral_id"] == str(month[1])
    by_id = {row["referral_id"]: row for row in rows}
    two = by_id[str(month[2])]
    assert (two["code"], two["referrer_customer_id"], two["friend_email"], two["amount_total"], two["amount_reversed"],
            two["status"], two["referrer_coupon_code"]) == ("ANN-VIP", "ann", "f2@example.com", "3000", "1000",
                                                            "rewarded", "JK-RABCDEFGHJK")
    formula = rows[-1]
    assert formula["code"] == "'=HYPERLINK(\"http://x\")" and formula["decided_by"] == "'-owner"
    assert formula["risk_reasons"] == "'+1 sign; @mention"
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())
    out = tmp_path / "referrals.csv"
    result = app.test_cli_runner().invoke(args=["journeykit", "referrals", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == answer.get_data()


# -- a real browser ---------------------------------------------------------------------


def test_the_page_fits_a_phone_and_a_desktop(page, tmp_path):
    """At 390 px nothing but the tables scrolls sideways; the queue's Approve button works in a real browser."""
    app, db, journey = make_shop(f"sqlite:///{tmp_path}/shop.sqlite3", CONFIG)
    with app.app_context():
        db.create_all()
        migrate.upgrade()
    month = seed(app, journey)
    url, server = serve(app)
    try:
        page.set_extra_http_headers(ADMIN)
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{url}{PAGE}")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(tmp_path / "unused.png"))  # a layout pass before the full-page shot
            screenshot(page, f"admin-referrals-{width}.png")
        page.set_viewport_size({"width": 390, "height": 900})
        page.click(f'[data-referral="{month[3]}"] button:has-text("Approve")')
        assert page.get_by_role("status").inner_text() == f"Referral {month[3]} approved."
        page.fill("#vanity-customer", "bo")
        page.fill("#vanity-code", "no")
        page.click("#vanity button")
        assert "4 to 32 letters" in page.locator("#vanity").inner_text()
        screenshot(page, "admin-referrals-vanity-error-390.png")
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
