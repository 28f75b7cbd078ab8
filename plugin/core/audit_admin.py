"""The owner's view of the audit log: ``GET /api/v1/admin/audit``, its CSV export, and ``{prefix}/admin/audit``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Iterator

import sqlalchemy as sa
from flask import Blueprint, Response, render_template, request, stream_with_context
from marshmallow import Schema, fields

from . import openapi, paging
from .admin_access import admin_required
from .audit import AuditEntry
from .db import session, utcnow

#: What the page shows at once (the API and the export page through all of it).
PAGE_ROWS = 100
EXPORT_COLUMNS = ["id", "at", "actor", "action", "target", "address", "before", "after"]


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    target = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


_schema = AuditEntrySchema()


def _filtered(*what: Any) -> sa.Select:
    """Entries (or ``what`` of them), filtered by ``?action=`` and ``?target=`` (exact, e.g. ``review:12``)."""
    query = sa.select(*what) if what else sa.select(AuditEntry)
    for name in ("action", "target"):
        if request.args.get(name):
            query = query.where(getattr(AuditEntry, name) == request.args[name])
    return query


_FILTERS = [
    openapi.query("action", "Only this action, e.g. review.publish."),
    openapi.query("target", "Only changes to this, e.g. review:12."),
]


@openapi.documented(response=openapi.page(AuditEntrySchema), query=[*_FILTERS, *openapi.paged(default=50, maximum=200)])
@admin_required
def list_entries() -> dict[str, Any]:
    """Who changed what, newest first: ``?action=review.publish&target=review:12``."""
    items, cursor = paging.newest_first(_filtered(), AuditEntry.id)
    return {"items": _schema.dump(items, many=True), "next": cursor}


def _csv_rows() -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for rows in paging.keyset_batches(_filtered(*AuditEntry.__table__.columns), AuditEntry.id):
        for row in rows:
            values = _schema.dump(row)
            writer.writerow([json.dumps(values[name]) if name in ("before", "after") else values[name] or ""
                             for name in EXPORT_COLUMNS])
        yield out.getvalue()
        out.seek(0)
        out.truncate()


@openapi.documented(response={"text/csv": {"type": "string"}}, query=_FILTERS)
@admin_required
def export_entries() -> Response:
    """The whole audit log (or the filtered part) as CSV, oldest first."""
    filename = f"journeykit-audit-{utcnow():%Y-%m-%d}.csv"
    return Response(stream_with_context(_csv_rows()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@admin_required
def audit_page() -> str:
    """The latest changes, newest first, with who made them."""
    entries = session().scalars(_filtered().order_by(AuditEntry.id.desc()).limit(PAGE_ROWS)).all()
    return render_template("journeykit/admin/audit.html", entries=entries, rows=PAGE_ROWS)


def register_api(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/audit", view_func=list_entries, methods=["GET"])
    bp.add_url_rule("/admin/audit/export.csv", view_func=export_entries, methods=["GET"])


def register_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/audit", view_func=audit_page, endpoint="audit")
