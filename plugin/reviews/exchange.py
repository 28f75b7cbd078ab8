"""Moving reviews in and out: CSV export, and CSV import from JourneyKit, Judge.me and Yotpo.

Column mappings, and what they are based on:

* ``journeykit``: our own export (:data:`EXPORT_COLUMNS`), so a shop can move
  its reviews to another JourneyKit install.
* ``judgeme``: Judge.me's review export / import CSV, columns ``title, body,
  rating, review_date, source, curated, reviewer_name, reviewer_email,
  product_id, product_handle, reply, reply_date, picture_urls, ip_address,
  location``; ``curated`` is ``ok`` for a published review, ``spam`` for one
  marked as spam, anything else (``not-yet``) for one waiting.  Judge.me's
  ``product_id`` is the platform's (e.g. Shopify's) id: we take it, else the
  handle.  Pictures, IP addresses and locations are not imported.
* ``yotpo``: Yotpo's review export; its moderation panel names the parts of a
  review Review Title, Review Content, star rating (score), User Name, User
  Email, Product, published state and Comments (support.yotpo.com, "Viewing
  and Sorting Reviews").  We read the snake-case headers of its CSV
  (``review_title, review_content, review_score, date, product_id,
  display_name, email, published, comment_content``) and accept a few
  spellings of each (see :data:`FORMATS`); the exact header set of every Yotpo
  export version could not be checked, hence the aliases.

Headers are matched case-insensitively, spaces read as underscores.  Imported
reviews carry ``imported_from``, are never verified (``verified_order_id``
stays ``None``: only a paid order makes a review verified), attach to the
customer with that e-mail (created when unknown) and obey one review per
customer and product: a review that already exists is left alone, so
importing the same file twice changes nothing.  An import is all or nothing:
one bad row and nothing is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

import sqlalchemy as sa
from flask import Blueprint, Response, request, stream_with_context

from .. import journey
from ..core import audit, limits, openapi
from ..core.admin_access import admin_required
from ..core.db import session, utcnow
from ..core.errors import ValidationError
from ..core.paging import keyset_batches
from ..core.signals import commit
from ..core.spreadsheets import neutralise_formula, restore_formula
from . import lifecycle
from .models import RejectionReason, Review, ReviewStatus
from .schemas import BODY_LENGTH

if TYPE_CHECKING:
    from ..journey.models import Customer

#: Largest upload the import endpoint accepts (larger: 413).
IMPORT_MAX_BYTES = 5 * 1024 * 1024
EXPORT_COLUMNS = [
    "product_id", "rating", "title", "body", "author", "email", "customer_id", "status", "rejection_reason",
    "verified", "incentivised", "imported_from", "reply", "created_at", "published_at",
]
#: For each format, our field -> the headers (normalized) that may hold it; the first non-empty one wins.
FORMATS: dict[str, dict[str, tuple[str, ...]]] = {
    "journeykit": {name: (name,) for name in EXPORT_COLUMNS},
    "judgeme": {
        "product_id": ("product_id", "product_handle"), "rating": ("rating",), "title": ("title",),
        "body": ("body",), "author": ("reviewer_name",), "email": ("reviewer_email",), "status": ("curated",),
        "reply": ("reply",), "created_at": ("review_date",),
    },
    "yotpo": {
        "product_id": ("product_id", "sku", "product_sku"), "rating": ("review_score", "score", "rating"),
        "title": ("review_title", "title"), "body": ("review_content", "content"),
        "author": ("display_name", "user_name", "reviewer_name"), "email": ("email", "user_email"),
        "status": ("published",), "reply": ("comment_content", "public_comment"),
        "created_at": ("date", "created_at", "review_date"),
    },
}
_STATUSES: dict[str, dict[str, ReviewStatus]] = {
    "journeykit": {status.value: status for status in ReviewStatus},
    "judgeme": {"ok": ReviewStatus.PUBLISHED, "spam": ReviewStatus.REJECTED},
    "yotpo": {"true": ReviewStatus.PUBLISHED, "1": ReviewStatus.PUBLISHED, "yes": ReviewStatus.PUBLISHED},
}
#: Where each imported field is stored (its length is the column's; the body's is the review form's).
_COLUMNS = {
    "product_id": "journeykit_reviews.product_id", "title": "journeykit_reviews.title", "author": "journeykit_reviews.author",
    "email": "journeykit_customers.email", "customer_id": "journeykit_customers.shop_customer_id",
    "imported_from": "journeykit_reviews.imported_from",
}


# -- export -------------------------------------------------------------------


def export_csv() -> Iterator[str]:
    """Every review, any status, as CSV text in chunks (header first)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    query = sa.select(
        Review.id, Review.product_id, Review.rating, Review.title, Review.body, Review.author,
        Review.customer_id.label("row_customer_id"), Review.status, Review.rejection_reason,
        (Review.verified_order_id.is_not(None)).label("verified"), Review.incentivised, Review.imported_from,
        Review.reply, Review.created_at, Review.published_at,
    )
    for rows in keyset_batches(query, Review.id):
        authors = journey.customers_by_id(row.row_customer_id for row in rows)
        for row in rows:
            author = authors[row.row_customer_id]
            values = {**row._mapping, "email": author.email, "customer_id": author.shop_customer_id}
            writer.writerow([_cell(values[column]) for column in EXPORT_COLUMNS])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    if out.tell():
        yield out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if hasattr(value, "value"):  # enums
        return str(value.value)
    return neutralise_formula(str(value))


# -- import -------------------------------------------------------------------


@dataclass
class ImportedReview:
    line: int
    product_id: str
    rating: int
    title: str
    body: str
    author: str
    email: str | None
    customer_id: str | None
    status: ReviewStatus
    rejection_reason: RejectionReason | None
    incentivised: bool
    imported_from: str
    reply: str | None
    created_at: dt.datetime
    published_at: dt.datetime | None


def parse(text: str, fmt: str) -> list[ImportedReview]:
    """Read a whole file; raises a 422 naming every bad line (header = line 1) if any is bad."""
    if fmt not in FORMATS:
        raise ValidationError(f"format must be one of {', '.join(FORMATS)}.", fields={"format": ["Unknown format."]})
    if "\x00" in text:
        raise ValidationError("The file holds NUL characters: it is not a CSV text file.", error_code="invalid_csv")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        headers = {(name or "").strip().lower().replace(" ", "_"): name for name in reader.fieldnames or []}
        mapping = {field: [headers[h] for h in names if h in headers] for field, names in FORMATS[fmt].items()}
        missing = [field for field in ("product_id", "rating", "body") if not mapping[field]]
        if missing:
            raise ValidationError(
                f"This is not a {fmt} export: no column for {', '.join(missing)}.", error_code="unknown_csv_format",
                fields={"file": [f"Missing column(s) for {', '.join(missing)}."]},
            )
        parsed, errors, line = [], {}, 2
        for record in reader:
            values = {field: next(filter(None, ((record.get(c) or "").strip() for c in columns)), "")
                      for field, columns in mapping.items()}
            try:
                parsed.append(_row(values, fmt, line))
            except ValueError as exc:
                errors[f"line {line}"] = [str(exc)]
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ValidationError(f"The CSV could not be read: {exc}.", error_code="invalid_csv")
    if errors:
        raise ValidationError(
            f"{len(errors)} row(s) are invalid ({', '.join(errors)}); nothing was imported.",
            error_code="invalid_rows", fields=errors,
        )
    return parsed


def _row(values: dict[str, str], fmt: str, line: int) -> ImportedReview:
    most = {field: limits.length(column) for field, column in _COLUMNS.items()} | {"body": BODY_LENGTH}
    for field, limit in most.items():
        if len(values.get(field, "")) > limit:
            raise ValueError(f"{field} is longer than {limit} characters.")
    if fmt == "journeykit":  # undo our own formula guard
        values = {k: restore_formula(v) for k, v in values.items()}
    if not values["product_id"]:
        raise ValueError("product_id is missing.")
    if not values["body"]:
        raise ValueError("body is missing.")
    try:
        rating = float(values["rating"])
    except ValueError:
        raise ValueError(f"rating {values['rating']!r} is not a number.") from None
    if rating not in (1, 2, 3, 4, 5):
        raise ValueError(f"rating {values['rating']!r} is not a whole number from 1 to 5.")
    email = journey.normalize_email(values["email"])
    customer_id = values.get("customer_id") or None
    if email is None and customer_id is None:
        raise ValueError("the reviewer's e-mail is missing.")
    status = _STATUSES[fmt].get(values["status"].lower(), ReviewStatus.PENDING)
    reason = None
    if status is ReviewStatus.REJECTED:
        try:
            reason = RejectionReason(values.get("rejection_reason") or "spam")
        except ValueError:
            raise ValueError(f"rejection_reason {values['rejection_reason']!r} is not one of the allowed reasons.") from None
    created_at = _when(values["created_at"], "created_at") or utcnow()
    return ImportedReview(
        line=line, product_id=values["product_id"], rating=int(rating), title=values["title"], body=values["body"],
        author=values["author"] or "A customer", email=email, customer_id=customer_id, status=status,
        rejection_reason=reason, incentivised=values.get("incentivised", "").lower() == "true",
        imported_from=values.get("imported_from") or fmt, reply=values["reply"] or None, created_at=created_at,
        published_at=_when(values.get("published_at", ""), "published_at"),
    )


def _when(value: str, field: str) -> dt.datetime | None:
    """ISO 8601 (``Z`` allowed), ``2024-05-01 10:00:00 UTC`` (Judge.me) or ``05/01/2024``; naive means UTC."""
    if not value:
        return None
    text = value.removesuffix(" UTC").strip()
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            when = dt.datetime.strptime(text, "%m/%d/%Y")
        except ValueError:
            raise ValueError(f"{field} {value!r} is not a date.") from None
    return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when.astimezone(dt.timezone.utc)


def import_reviews(text: str, fmt: str) -> dict[str, int]:
    """Import a file (all or nothing); returns how many reviews were imported and skipped. The caller commits."""
    rows = parse(text, fmt)
    imported = skipped = 0
    for row in rows:
        customer = _customer(row)
        exists = session().scalar(
            sa.select(Review.id).where(Review.product_id == row.product_id, Review.customer_id == customer.id)
        )
        if exists is not None:  # one review per customer and product; a re-import changes nothing
            skipped += 1
            continue
        review = Review(
            product_id=row.product_id, customer=customer, status=ReviewStatus.PENDING, rating=row.rating,
            title=row.title, body=row.body, author=row.author, incentivised=row.incentivised,
            imported_from=row.imported_from, verified_order_id=None, helpful_count=0, created_at=row.created_at,
        )
        session().add(review)
        lifecycle.set_reply(review, row.reply)
        # The aggregate moves through _set_status; publish() is not used, since an
        # import is not the author's act today (no advocacy step, no signals or hooks).
        lifecycle._set_status(review, row.status)
        if row.status is ReviewStatus.PUBLISHED:
            review.published_at = row.published_at or row.created_at
        review.rejection_reason = row.rejection_reason
        session().flush()
        imported += 1
    return {"imported": imported, "skipped": skipped}


def _customer(row: ImportedReview) -> Customer:
    """The customer by the shop's id (our own exports), else by e-mail, created when unknown."""
    customer = journey.identify(row.customer_id, email=row.email, name=row.author)
    assert customer is not None  # parse() requires an e-mail or a customer id
    return customer


# -- HTTP ---------------------------------------------------------------------


@openapi.documented(response={"text/csv": {"type": "string"}})
@admin_required
def export_view() -> Response:
    """``GET /api/v1/admin/reviews/export.csv``: every review, streamed."""
    filename = f"journeykit-reviews-{utcnow():%Y-%m-%d}.csv"
    return Response(
        stream_with_context(export_csv()), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@openapi.documented(
    body={"text/csv": {"type": "string"},
          "multipart/form-data": {"type": "object", "required": ["file"],
                                  "properties": {"file": {"type": "string", "format": "binary"}}}},
    response=openapi.json_object(imported={"type": "integer"}, skipped={"type": "integer"}),
    query=[openapi.query("format", "Whose export the file is.", required=True, enum=list(FORMATS))],
)
@admin_required
def import_view() -> tuple[dict[str, Any], int]:
    """``POST /api/v1/admin/reviews/import?format=judgeme|yotpo|journeykit``: a ``file`` upload or a text/csv body."""
    fmt = request.args.get("format", "")
    if fmt not in FORMATS:
        raise ValidationError(f"format must be one of {', '.join(FORMATS)}.", fields={"format": ["Unknown format."]})
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationError("Upload the CSV as the form field 'file'.", fields={"file": ["Missing file."]})
        data = upload.read()
    else:
        data = request.get_data()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text.", error_code="invalid_csv", fields={"file": ["Not UTF-8."]}) from None
    result = import_reviews(text, fmt)
    audit.record("reviews.import", None, after={"format": fmt, **result})
    commit()
    return result, 200


#: Whole exports are larger than the API's default cap (read by the body-size limit of :mod:`journeykit.web`).
import_view.journeykit_max_body = IMPORT_MAX_BYTES  # type: ignore[attr-defined]


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/reviews/export.csv", view_func=export_view, methods=["GET"])
    bp.add_url_rule("/admin/reviews/import", view_func=import_view, methods=["POST"])
