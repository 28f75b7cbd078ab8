"""Reviews out (CSV export) and in (JourneyKit, Judge.me and Yotpo CSV imports)."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from journeykit.models import ProductRating, Review

PRODUCT = "/journeykit/api/v1/products"
ADMIN = "/journeykit/api/v1/admin/reviews"

JUDGEME = """title,body,rating,review_date,source,curated,reviewer_name,reviewer_email,product_id,product_handle,reply,reply_date,picture_urls,ip_address,location
Great mug,"Keeps coffee hot, ""really"" hot.",5,2024-03-01 10:00:00 UTC,web,ok,Ann Example,Ann@Example.com ,,mug-blue,Thanks Ann!,2024-03-02 09:00:00 UTC,,203.0.113.9,"Berlin, DE"
Meh,Handle chipped.,2,2024-03-05 11:00:00 UTC,email,not-yet,Bob,bob@example.com,,mug-blue,,,,,
Buy now,http://spam.example,1,2024-03-06 11:00:00 UTC,web,spam,Spammer,spam@example.com,,mug-blue,,,,,
"""
YOTPO = """review_title,review_content,review_score,date,product_id,product_title,display_name,email,published,comment_content
Lovely,"Soft
and warm.",4,2023-11-20T08:30:00Z,scarf-red,Red scarf,Cleo,cleo@example.com,true,
Too short,Shrank in the wash.,3,11/21/2023,scarf-red,Red scarf,Dan,dan@example.com,false,We'll send a new one.
"""


def _import(client, admin_headers, text, fmt, **kwargs):
    return client.post(f"{ADMIN}/import?format={fmt}", data=text.encode(), content_type="text/csv", headers=admin_headers, **kwargs)


def _rows(client, admin_headers):
    response = client.get(f"{ADMIN}/export.csv", headers=admin_headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _shopper(journey, customer_id):
    return {"X-JourneyKit-Customer": journey.customer_token(customer_id, email=f"{customer_id}@example.com", name=customer_id.title())}


def test_judgeme_import_maps_statuses_marks_imported_and_counts_published(client, admin_headers):
    response = _import(client, admin_headers, JUDGEME, "judgeme")
    assert response.status_code == 200 and response.json == {"imported": 3, "skipped": 0}
    assert client.get(f"{PRODUCT}/mug-blue/rating").json["histogram"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}
    [shown] = client.get(f"{PRODUCT}/mug-blue/reviews").json["items"]
    assert (shown["body"], shown["author"], shown["reply"]) == ('Keeps coffee hot, "really" hot.', "Ann Example", "Thanks Ann!")
    assert (shown["verified"], shown["imported"], shown["published_at"][:10]) == (False, True, "2024-03-01")
    rows = {row["author"]: row for row in _rows(client, admin_headers)}
    assert {name: row["status"] for name, row in rows.items()} == {"Ann Example": "published", "Bob": "pending", "Spammer": "rejected"}
    assert rows["Ann Example"]["email"] == "ann@example.com" and rows["Ann Example"]["imported_from"] == "judgeme"
    assert {row["verified"] for row in rows.values()} == {"false"}


def test_yotpo_import_and_a_reimport_changes_nothing(client, admin_headers):
    assert _import(client, admin_headers, YOTPO, "yotpo").json == {"imported": 2, "skipped": 0}
    before = _rows(client, admin_headers)
    assert _import(client, admin_headers, YOTPO, "yotpo").json == {"imported": 0, "skipped": 2}
    assert _rows(client, admin_headers) == before
    assert client.get(f"{PRODUCT}/scarf-red/rating").json["count"] == 1
    by_author = {row["author"]: row for row in before}
    assert by_author["Cleo"]["body"] == "Soft\nand warm." and by_author["Cleo"]["imported_from"] == "yotpo"
    assert (by_author["Dan"]["status"], by_author["Dan"]["reply"]) == ("pending", "We'll send a new one.")
    assert by_author["Dan"]["created_at"].startswith("2023-11-21")


def test_an_import_never_replaces_a_shoppers_own_review(client, journey, admin_headers):
    own = {"rating": 1, "body": "My own words.", "title": ""}
    client.post(f"{PRODUCT}/scarf-red/reviews", json=own, headers=_shopper(journey, "cleo"))
    assert _import(client, admin_headers, YOTPO, "yotpo").json == {"imported": 1, "skipped": 1}
    assert [row["body"] for row in _rows(client, admin_headers) if row["email"] == "cleo@example.com"] == ["My own words."]


def test_export_then_import_into_an_emptied_shop_keeps_the_reviews(app, db, client, journey, admin_headers):
    for number, stars in enumerate([5, 3]):
        review_id = client.post(f"{PRODUCT}/sku-1/reviews", json={"rating": stars, "body": f"Review {number}", "title": "=HYPERLINK(\"x\")"},
                                headers=_shopper(journey, f"c-{number}")).json["id"]
        if stars == 5:
            client.post(f"{ADMIN}/{review_id}/publish", headers=admin_headers)
    exported = client.get(f"{ADMIN}/export.csv", headers=admin_headers)
    assert 'filename="journeykit-reviews-' in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert {row["title"] for row in rows} == {"'=HYPERLINK(\"x\")"}  # formula neutralised

    with app.app_context():  # the shop loses its reviews (the fixtures share one database per test)
        db.session.execute(sa.delete(Review))
        db.session.execute(sa.delete(ProductRating))
        db.session.commit()
    assert client.get(f"{PRODUCT}/sku-1/rating").json["count"] == 0
    result = _import(client, admin_headers, exported.get_data(as_text=True), "journeykit")
    assert result.json == {"imported": 2, "skipped": 0}
    assert client.get(f"{PRODUCT}/sku-1/rating").json["histogram"]["5"] == 1
    moved = {row["body"]: row for row in _rows(client, admin_headers)}
    original = {row["body"]: row for row in rows}
    for body, row in moved.items():
        assert (row["status"], row["rating"], row["customer_id"], row["title"]) == tuple(
            original[body][key] for key in ("status", "rating", "customer_id", "title"))
        assert (row["imported_from"], row["verified"]) == ("journeykit", "false")


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-cmd", "@SUM(A1)"])
def test_formula_cells_get_an_apostrophe(client, journey, admin_headers, cell):
    client.post(f"{PRODUCT}/sku-1/reviews", json={"rating": 4, "body": cell, "title": ""}, headers=_shopper(journey, "f"))
    [row] = _rows(client, admin_headers)
    assert row["body"] == "'" + cell and row["author"] == "F"


BAD = """title,body,rating,review_date,curated,reviewer_name,reviewer_email,product_id,product_handle
Fine,Good.,5,2024-01-01,ok,Eve,eve@example.com,,mug
Zero,Bad rating.,0,2024-01-01,ok,Fay,fay@example.com,,mug
Empty,,4,2024-01-01,ok,Gus,gus@example.com,,mug
Date,Bad date.,4,yesterday,ok,Hal,hal@example.com,,mug
Word,Rating is a word.,five,2024-01-01,ok,Ivy,ivy@example.com,,mug
"""


def test_bad_rows_answer_422_with_their_lines_and_change_nothing(client, admin_headers):
    response = _import(client, admin_headers, BAD, "judgeme")
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_rows"
    assert set(response.json["error"]["fields"]) == {"line 3", "line 4", "line 5", "line 6"}
    assert _rows(client, admin_headers) == []
    assert client.get(f"{PRODUCT}/mug/rating").json["count"] == 0


@pytest.mark.parametrize("fmt, text, code", [
    ("okendo", JUDGEME, "validation_error"),
    ("yotpo", JUDGEME, "unknown_csv_format"),
    ("judgeme", "", "unknown_csv_format"),
])
def test_unknown_formats_are_refused(client, admin_headers, fmt, text, code):
    response = _import(client, admin_headers, text, fmt)
    assert response.status_code == 422 and response.json["error"]["code"] == code


def test_multipart_upload_non_utf8_and_size_limit(client, admin_headers):
    upload = {"file": (io.BytesIO(YOTPO.encode("utf-8-sig")), "yotpo.csv")}
    response = client.post(f"{ADMIN}/import?format=yotpo", data=upload, headers=admin_headers, content_type="multipart/form-data")
    assert response.json == {"imported": 2, "skipped": 0}
    latin = client.post(f"{ADMIN}/import?format=yotpo", data=YOTPO.encode() + "é".encode("latin-1"),
                        content_type="text/csv", headers=admin_headers)
    assert latin.status_code == 422 and latin.json["error"]["code"] == "invalid_csv"
    huge = _import(client, admin_headers, "x" * (5 * 1024 * 1024 + 1), "yotpo")
    assert huge.status_code == 413 and huge.json["error"]["code"] == "payload_too_large"


def test_export_and_import_are_admin_only(client):
    assert client.get(f"{ADMIN}/export.csv").status_code == 401
    assert client.post(f"{ADMIN}/import?format=yotpo", data=YOTPO, content_type="text/csv").status_code == 401
    assert client.get(f"{ADMIN}/export.csv", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_cli_export_and_import(app, client, admin_headers, tmp_path):
    source = tmp_path / "judgeme.csv"
    source.write_text(JUDGEME, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["journeykit", "reviews", "import", str(source), "--format", "judgeme"])
    assert result.exit_code == 0 and "3 review(s) imported" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    result = runner.invoke(args=["journeykit", "reviews", "import", str(bad), "--format", "judgeme"])
    assert result.exit_code == 1 and "line 3" in result.output
    target = tmp_path / "out.csv"
    assert runner.invoke(args=["journeykit", "reviews", "export", str(target)]).exit_code == 0
    assert len(list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))) == 3


def test_keyset_batches_walk_every_row_once(app, client, admin_headers):
    from journeykit.reviews.exchange import keyset_batches

    _import(client, admin_headers, JUDGEME, "judgeme")
    with app.app_context():
        batches = list(keyset_batches(sa.select(Review.id, Review.author), Review.id, size=2))
    assert [len(batch) for batch in batches] == [2, 1]
    assert len({row.id for batch in batches for row in batch}) == 3
