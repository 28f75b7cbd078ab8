"""Moving points in and out: CSV exports of the members and of the ledger, and import of a Smile.io points export.

Exports are streamed in batches (any number of customers), with text cells
guarded against spreadsheet formulas (CSV injection).

The import reads Smile.io's customer export (``First Name, Last Name, Email,
Points Balance, Date Created, VIP Tier``) or Smile's points-import layout
(``email, points``): headers are matched case-insensitively, spaces or
underscores alike; ``Email`` and ``Points Balance`` (or ``points``) are
required, the other columns are ignored (tiers follow JourneyKit's own
rules).  Each row's e-mail names a customer JourneyKit already knows with
the shop's customer id; that customer's balance gets one ``import`` entry
keyed ``import:smile:<e-mail>``, so importing the same file again changes
nothing.  Any bad row (no e-mail, a points balance that is not a whole number
from 0 to :data:`~journeykit.loyalty.MAX_AWARD`, an e-mail twice) and nothing
is imported; unknown customers and zero balances are skipped and reported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

import sqlalchemy as sa
from flask import Blueprint, Response, stream_with_context

from .. import journey
from ..core import audit, limits, openapi
from ..core.admin_access import admin_required
from ..core.db import utcnow
from ..core.errors import ValidationError
from ..core.paging import keyset_batches
from ..core.spreadsheets import csv_chunks
from . import MAX_AWARD, ledger, spending, tiers
from .models import EntryKind, PointsBalance, PointsEntry

if TYPE_CHECKING:
    from ..journey.models import Customer

MEMBER_COLUMNS = ["customer_id", "email", "name", "balance", "spendable", "pending", "earned", "tier",
                  "last_activity_at"]
ENTRY_COLUMNS = ["entry_id", "customer_id", "email", "points", "kind", "description", "actor", "source_type",
                 "source_id", "created_at", "spendable_at"]
#: The largest Smile.io file the import reads (about 100,000 customers).
IMPORT_MAX_BYTES = 10 * 1024 * 1024
#: Our field -> the headers (lower-cased, underscores as spaces) that may hold it, first found wins.
SMILE_COLUMNS = {"email": ("email", "email address", "customer email"),
                 "points": ("points balance", "points", "balance")}


# -- export -------------------------------------------------------------------


def export_members() -> Iterator[str]:
    """Every member (a customer with a balance row) as CSV text in chunks, header first, by customer."""
    query = sa.select(PointsBalance.customer_id.label("id"), PointsBalance.balance, PointsBalance.earned,
                      PointsBalance.tier, PointsBalance.last_activity_at)

    def batches() -> Iterator[list[list[Any]]]:
        for rows in keyset_batches(query, PointsBalance.customer_id):
            customers = journey.customers_by_id(row.id for row in rows)
            yield [_member_row(row, customers[row.id]) for row in rows]

    return csv_chunks(MEMBER_COLUMNS, batches())


def _member_row(row: sa.Row, customer: Customer) -> list[Any]:
    return [customer.shop_customer_id, customer.email, customer.name, row.balance,
            spending.spendable(customer, row.balance), spending.pending(customer.id), row.earned,
            row.tier or tiers.MEMBER, row.last_activity_at]


def export_entries() -> Iterator[str]:
    """Every ledger entry, oldest first, as CSV text in chunks (the shop's customer id and e-mail with each)."""
    query = sa.select(PointsEntry.id, PointsEntry.customer_id, PointsEntry.points, PointsEntry.kind,
                      PointsEntry.description, PointsEntry.actor, PointsEntry.source_type, PointsEntry.source_id,
                      PointsEntry.created_at, PointsEntry.spendable_at)

    def batches() -> Iterator[list[list[Any]]]:
        for rows in keyset_batches(query, PointsEntry.id):
            customers = journey.customers_by_id(row.customer_id for row in rows)
            yield [[row.id, customers[row.customer_id].shop_customer_id, customers[row.customer_id].email, row.points,
                    row.kind, row.description or ledger.WORDS[row.kind], row.actor, row.source_type, row.source_id,
                    row.created_at, row.spendable_at] for row in rows]

    return csv_chunks(ENTRY_COLUMNS, batches())


# -- import -------------------------------------------------------------------


@dataclass
class SmileRow:
    line: int
    email: str
    points: int


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would do): ``(line, e-mail, points)`` imported, the rest with reasons."""

    imported: list[tuple[int, str, int]] = field(default_factory=list)
    already: list[tuple[int, str]] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        points = sum(row[2] for row in self.imported)
        reasons: dict[str, int] = {}
        for _, _, reason in self.skipped:
            reasons[reason] = reasons.get(reason, 0) + 1
        why = "; ".join(f"{reason}: {count}" for reason, count in reasons.items())
        return (f"{len(self.imported)} balance(s) imported ({points:,} points), {len(self.already)} already imported, "
                f"{len(self.skipped)} skipped" + (f" ({why})." if why else "."))


def read_smile(data: bytes) -> list[SmileRow]:
    """Parse a Smile.io export; a 422 ``ValidationError`` for a file that is not one, or naming every bad line."""
    if len(data) > IMPORT_MAX_BYTES:
        raise ValidationError(f"The file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB; split it.",
                              error_code="file_too_large")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text: save it from Smile.io or your spreadsheet as CSV (UTF-8).",
                              error_code="invalid_csv") from None
    if "\x00" in text:
        raise ValidationError("The file holds NUL characters: it is not a CSV text file.", error_code="invalid_csv")
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)  # an unclosed quote is an error
    try:
        headers = {" ".join((name or "").replace("_", " ").lower().split()): name for name in reader.fieldnames or []}
        columns = {ours: next((headers[name] for name in names if name in headers), None)
                   for ours, names in SMILE_COLUMNS.items()}
        missing = [name for name, ours in (("Email", "email"), ("Points Balance", "points")) if columns[ours] is None]
        if missing:
            raise ValidationError(f"This is not a Smile.io points export: no {' or '.join(missing)} column "
                                  f"(found: {', '.join(reader.fieldnames or []) or 'nothing'}).",
                                  error_code="unknown_csv_format")
        rows, errors, seen, line = [], {}, {}, 2
        for record in reader:
            try:
                row = _smile_row(record.get(columns["email"]) or "", record.get(columns["points"]) or "", line)
                if row.email in seen:
                    raise ValueError(f"{row.email} is on line {seen[row.email]} too.")
                seen[row.email] = line
                rows.append(row)
            except ValueError as exc:
                errors[f"line {line}"] = [str(exc)]
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ValidationError(f"The CSV could not be read: {exc}.", error_code="invalid_csv") from None
    if errors:
        raise ValidationError(f"{len(errors)} row(s) are invalid.", error_code="invalid_rows",
                              fields=errors)
    return rows


def _smile_row(email: str, points: str, line: int) -> SmileRow:
    address = journey.normalize_email(email)
    if address is None:
        raise ValueError("the e-mail is missing.")
    if "@" not in address or len(address) > limits.length("journeykit_customers.email"):
        raise ValueError(f"{email.strip()!r} is not an e-mail address.")
    text = points.strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"points balance {text!r} is not a whole number of 0 or more (write 1234, not 1,234).")
    if int(text) > MAX_AWARD:
        raise ValueError(f"points balance {int(text):,} is more than {MAX_AWARD:,}.")
    return SmileRow(line=line, email=address, points=int(text))


def _customer(email: str) -> tuple[Customer | None, str | None]:
    """The shop's customer with this e-mail, or why there is none to give points to."""
    customer = journey.find_member_by_email(email)
    if customer is not None:
        return customer, None
    if journey.identify(email=email, create=False) is not None:
        return None, "guest checkout only, no account to hold points"
    return None, "no customer with this e-mail"


def import_smile(data: bytes) -> ImportResult:
    """Bring each known customer's Smile.io balance over as one ``import`` entry; the caller commits (or rolls back).

    All or nothing for bad rows (:func:`read_smile` raises before anything is
    written); a customer already imported keeps the balance they were given.
    """
    rows, result = read_smile(data), ImportResult()
    for row in rows:
        customer, reason = _customer(row.email)
        if customer is None:
            result.skipped.append((row.line, row.email, reason or ""))
        elif row.points == 0:
            result.skipped.append((row.line, row.email, "no points to bring over"))
        elif ledger.post(customer, row.points, EntryKind.IMPORT, key=f"import:smile:{row.email}",
                         source=("import", "smile"), actor=limits.fitted(
                             "journeykit_points_entries.actor", audit.actor(), field="actor", truncate=True)) is None:
            result.already.append((row.line, row.email))
        else:
            result.imported.append((row.line, row.email, row.points))
    if result.imported:
        audit.record("loyalty.import", None, after={"from": "smile", "imported": len(result.imported),
                                                    "points": sum(row[2] for row in result.imported)})
    return result


# -- HTTP ---------------------------------------------------------------------


def _download(chunks: Iterator[str], name: str) -> Response:
    filename = f"journeykit-loyalty-{name}-{utcnow():%Y-%m-%d}.csv"
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@openapi.documented(response={"text/csv": {"type": "string", "description": f"Columns: {', '.join(MEMBER_COLUMNS)}."}})
@admin_required
def export_members_view() -> Response:
    """Every member's points as CSV: one row per customer with a balance, streamed."""
    return _download(export_members(), "members")


@openapi.documented(response={"text/csv": {"type": "string", "description": f"Columns: {', '.join(ENTRY_COLUMNS)}."}})
@admin_required
def export_entries_view() -> Response:
    """Every entry of the points ledger as CSV, oldest first, streamed."""
    return _download(export_entries(), "entries")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/loyalty/export.csv", view_func=export_members_view, methods=["GET"])
    bp.add_url_rule("/admin/loyalty/entries.csv", view_func=export_entries_view, methods=["GET"])
