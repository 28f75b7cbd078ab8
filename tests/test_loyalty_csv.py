"""Points in and out as CSV: the members' and the ledger's exports, and balances brought over from Smile.io."""

from __future__ import annotations

import csv
import io
import re

import pytest

from journeykit.loyalty import transfer

from .loyalty_helpers import entries

API = "/journeykit/api/v1/admin/loyalty"
SMILE_HEADER = "First Name,Last Name,Email,Points Balance,Date Created,VIP Tier\n"


@pytest.fixture
def members(app, client, journey, stripe_events, deliver_stripe_event):
    """Ann (a formula for a name) and Bo are the shop's customers with e-mails; a guest bought without an account."""
    for customer, name in (("ann", "=HYPERLINK(\"http://evil.example\")"), ("bo", "Bo")):
        with app.test_request_context():
            token = journey.customer_token(customer, email=f"{customer}@example.com", name=name)
        client.get("/journeykit/api/v1/me/loyalty", headers={"X-JourneyKit-Customer": token})
    deliver_stripe_event(stripe_events.checkout_completed(customer_id=None, email="guest@example.com"))
    with app.app_context():
        journey.loyalty.award("ann", 120, "-1 for the road", key="welcome")


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_members_export_has_one_row_per_customer_and_is_formula_safe(client, admin_headers, members):
    answer = client.get(f"{API}/export.csv", headers=admin_headers)
    assert answer.status_code == 200 and answer.mimetype == "text/csv" and answer.is_streamed
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="journeykit-loyalty-members-')
    rows = _rows(answer.get_data(as_text=True))
    assert list(rows[0]) == transfer.MEMBER_COLUMNS
    ann = rows[0]
    assert (ann["customer_id"], ann["email"], ann["name"]) == ("ann", "ann@example.com", "'=HYPERLINK(\"http://evil.example\")")
    assert (ann["balance"], ann["spendable"], ann["pending"], ann["earned"], ann["tier"]) == ("120", "120", "0", "120", "member")
    assert ann["last_activity_at"].endswith("+00:00")
    assert [row["customer_id"] for row in rows] == ["ann"]  # Bo and the guest have no points (no balance row)


def test_the_entries_export_lists_the_ledger_with_who_and_why(client, admin_headers, members):
    client.post(f"{API}/customers/bo/adjustments", json={"points": 7, "reason": "@mention me"}, headers=admin_headers)
    rows = _rows(client.get(f"{API}/entries.csv", headers=admin_headers).get_data(as_text=True))
    assert [(row["customer_id"], row["points"], row["kind"], row["description"], row["actor"]) for row in rows] == [
        ("ann", "120", "award", "'-1 for the road", ""), ("bo", "7", "adjustment", "'@mention me", "API key …6789")]


def test_the_exports_from_the_command_line(app, members, tmp_path):
    runner = app.test_cli_runner()
    target = tmp_path / "members.csv"
    assert runner.invoke(args=["journeykit", "loyalty", "export", str(target)]).exit_code == 0
    assert [row["customer_id"] for row in _rows(target.read_text())] == ["ann"]
    result = runner.invoke(args=["journeykit", "loyalty", "export", "--entries", "-"])
    assert result.exit_code == 0 and [row["kind"] for row in _rows(result.output)] == ["award"]


def _smile(tmp_path, body: str, header: str = SMILE_HEADER, name: str = "smile.csv"):
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def _import(app, path, *flags: str):
    return app.test_cli_runner().invoke(args=["journeykit", "loyalty", "import-smile", str(path), *flags])


def test_a_smile_export_brings_balances_over_once(app, client, journey, admin_headers, members, tmp_path):
    with app.test_request_context():
        token = journey.customer_token("di", email="di@example.com")
    client.get("/journeykit/api/v1/me/loyalty", headers={"X-JourneyKit-Customer": token})
    path = _smile(tmp_path, "Ann,Lee,ANN@Example.com ,2500,2024-01-02,Gold\n"
                            "Bo,,bo@example.com,40,2024-03-04,\n"
                            "Cy,,cy@example.com,90,2024-03-04,\n"
                            "Guest,,guest@example.com,15,,\n"
                            "Di,,di@example.com,0,,\n",
                  header="first name,LAST NAME,email,points balance,Date Created,VIP Tier\n")
    dry = _import(app, path, "--dry-run")
    assert dry.exit_code == 0 and dry.stdout.startswith("Dry run, nothing changed: 2 balance(s) imported (2,540 points)")
    assert entries(app, "ann") == [(120, "award")] and entries(app, "bo") == []
    done = _import(app, path)
    assert done.exit_code == 0
    assert done.stdout.strip() == ("2 balance(s) imported (2,540 points), 0 already imported, 3 skipped "
                                   "(no customer with this e-mail: 1; guest checkout only, no account to hold points: 1; "
                                   "no points to bring over: 1).")
    assert "line 4: cy@example.com skipped: no customer with this e-mail" in done.stderr
    assert "line 5: guest@example.com skipped: guest checkout only" in done.stderr
    assert "line 6: di@example.com skipped: no points to bring over" in done.stderr and entries(app, "di") == []
    assert entries(app, "ann") == [(120, "award"), (2500, "import")] and entries(app, "bo") == [(40, "import")]
    figures = client.get(f"{API}/summary", headers=admin_headers).json
    assert (figures["outstanding_points"], figures["earning_members"]) == (2660, 1)  # an import is nobody earning
    history = client.get(f"{API}/customers/ann", headers=admin_headers).json["history"][0]
    assert (history["kind"], history["description"]) == ("import", "Brought over from your previous points")
    again = _import(app, path)
    assert again.exit_code == 0 and again.stdout.startswith("0 balance(s) imported (0 points), 2 already imported, 3 skipped")
    assert entries(app, "ann") == [(120, "award"), (2500, "import")]
    audit = client.get("/journeykit/api/v1/admin/audit", headers=admin_headers).json["items"]
    assert [(item["action"], item["after"]) for item in audit] == [
        ("loyalty.import", {"from": "smile", "imported": 2, "points": 2540})]


def test_smiles_own_email_and_points_layout_is_accepted(app, members, tmp_path):
    done = _import(app, _smile(tmp_path, "bo@example.com,75\n", header="email,points\n"))
    assert done.exit_code == 0 and entries(app, "bo") == [(75, "import")]


@pytest.mark.parametrize("row, problem", [
    ("Bo,,bo@example.com,-40,,", "points balance '-40' is not a whole number of 0 or more"),
    ("Bo,,bo@example.com,1000000001,,", "points balance 1,000,000,001 is more than 1,000,000,000."),
    ("Bo,,bo@example.com,\"1,234\",,", "points balance '1,234' is not a whole number of 0 or more (write 1234, not 1,234)."),
    ("Bo,,bo@example.com,12.5,,", "points balance '12.5' is not a whole number"),
    ("Bo,,bo@example.com,,,", "points balance '' is not a whole number"),
    ("Bo,,,40,,", "the e-mail is missing."),
    ("Bo,,not-an-address,40,,", "'not-an-address' is not an e-mail address."),
    ("Bo,,Ann@example.com,40,,", "ann@example.com is on line 2 too."),
])
def test_one_bad_row_and_nothing_is_imported(app, members, tmp_path, row, problem):
    path = _smile(tmp_path, f"Ann,,ann@example.com,500,,\n{row}\n")
    result = _import(app, path)
    assert result.exit_code == 1 and "Nothing imported: 1 row(s) are invalid" in result.stderr
    assert f"line 3: {problem}" in result.stderr
    assert entries(app, "ann") == [(120, "award")] and entries(app, "bo") == []


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not UTF-8 text"),
    ("email,points\nann@example.com,5\x00\n".encode(), "NUL characters"),
    (b"Name,Total\nAnn,5\n", "no Email or Points Balance column (found: Name, Total)"),
    (b"Email,Name\nann@example.com,Ann\n", "no Points Balance column"),
    (b"", "no Email or Points Balance column (found: nothing)"),
    (b'email,points\n"ann@example.com,5\n', "The CSV could not be read"),
])
def test_a_file_that_is_not_a_smile_export_is_refused_with_a_clear_message(app, members, tmp_path, content, message):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    result = _import(app, path)
    assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert entries(app, "ann") == [(120, "award")]


def test_a_file_too_big_is_refused(app, members, tmp_path, monkeypatch):
    monkeypatch.setattr(transfer, "IMPORT_MAX_BYTES", 1024 * 1024)
    path = _smile(tmp_path, "Ann,,ann@example.com,5,,\n" * 50_000)
    result = _import(app, path)
    assert result.exit_code == 1 and "larger than 1 MB" in result.stderr
    assert entries(app, "ann") == [(120, "award")]


def test_the_exports_and_listing_are_described_in_openapi(client):
    paths = client.get("/journeykit/api/v1/openapi.json").json["paths"]
    for path in ("/admin/loyalty/export.csv", "/admin/loyalty/entries.csv"):
        operation = paths[path]["get"]
        assert set(operation["responses"]["200"]["content"]) == {"text/csv"} and operation["security"] == [{"adminKey": []}]
    listing = paths["/admin/loyalty/customers"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"q", "limit", "cursor"}
    summary = paths["/admin/loyalty/summary"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"outstanding_value", "redemption_rates", "redeeming_members", "codes"} <= set(summary["properties"])


def _upload(client, headers, content: bytes, *, dry_run: bool = False, token: str | None = None):
    if token is None:
        page = client.get("/journeykit/admin/loyalty", headers=headers).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = {"csrf_token": token, "file": (io.BytesIO(content), "smile.csv"), **({"dry_run": "1"} if dry_run else {})}
    return client.post("/journeykit/admin/loyalty/import", data=data, headers=headers, content_type="multipart/form-data")


def test_the_owner_uploads_a_smile_export_on_the_loyalty_page(app, client, admin_headers, members):
    content = (SMILE_HEADER + "Bo,,bo@example.com,40,,\nCy,,cy@example.com,9,,\n").encode()
    dry = _upload(client, admin_headers, content, dry_run=True)
    assert dry.status_code == 200 and entries(app, "bo") == []
    assert "Nothing changed. Had it not been a dry run: 1 balance(s) imported (40 points)" in dry.get_data(as_text=True)
    done = _upload(client, admin_headers, content).get_data(as_text=True)
    assert "1 balance(s) imported (40 points), 0 already imported, 1 skipped" in done
    assert "<td>3</td><td>cy@example.com</td><td>no customer with this e-mail</td>" in done
    assert entries(app, "bo") == [(40, "import")]
    again = _upload(client, admin_headers, content).get_data(as_text=True)
    assert "0 balance(s) imported (0 points), 1 already imported" in again and entries(app, "bo") == [(40, "import")]


def test_an_upload_without_its_token_or_with_bad_rows_changes_nothing(app, client, admin_headers, members):
    good = (SMILE_HEADER + "Bo,,bo@example.com,40,,\n").encode()
    assert _upload(client, admin_headers, good, token="forged").status_code == 400
    bad = _upload(client, admin_headers, (SMILE_HEADER + "Bo,,bo@example.com,40,,\nAnn,,ann@example.com,-3,,\n").encode())
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "1 row(s) are invalid." in html and "<b>line 3</b>: points balance &#39;-3&#39;" in html
    assert entries(app, "bo") == []
    assert client.post("/journeykit/admin/loyalty/import", data={"file": (io.BytesIO(good), "smile.csv")},
                       content_type="multipart/form-data").status_code == 401


def test_an_account_made_after_a_guest_checkout_under_its_email_gets_the_points(
        app, client, journey, admin_headers, members, stripe_events, deliver_stripe_event, tmp_path):
    """The guest row came first (and identify() finds it first); the import and the search pass over it."""
    deliver_stripe_event(stripe_events.checkout_completed(customer_id=None, email="eve@example.com"))
    with app.test_request_context():
        token = journey.customer_token("eve", email="eve@example.com")
    client.get("/journeykit/api/v1/me/loyalty", headers={"X-JourneyKit-Customer": token})
    done = _import(app, _smile(tmp_path, "Eve,,eve@example.com,30,,\n"))
    assert done.exit_code == 0 and entries(app, "eve") == [(30, "import")]
    found = client.get(f"{API}/customers?q=EVE@example.com", headers=admin_headers).json["items"]
    assert [member["customer"] for member in found] == ["eve"]
