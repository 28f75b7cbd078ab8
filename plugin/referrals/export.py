"""Every referral as CSV: ``GET …/api/v1/admin/referrals/export.csv`` and ``flask journeykit referrals export FILE``.

What a shop leaving ReferralCandy would expect to keep: who referred whom,
with which code, what the friend's order paid and lost to refunds, the
risk score and its reasons, and what happened to the reward.  Streamed in
batches (any number of referrals), oldest first; text cells are guarded
against spreadsheet formulas (a code or e-mail like ``=HYPERLINK(…)``).
"""

from __future__ import annotations

from typing import Any, Iterator

import sqlalchemy as sa
from flask import Blueprint, Response, stream_with_context

from .. import journey
from ..core import openapi
from ..core.admin_access import admin_required
from ..core.db import utcnow
from ..core.paging import keyset_batches
from ..core.spreadsheets import csv_chunks
from .models import Referral

COLUMNS = ["referral_id", "created_at", "status", "code", "referrer_customer_id", "referrer_email",
           "friend_customer_id", "friend_email", "amount_total", "amount_reversed", "currency", "risk_score",
           "risk_reasons", "reward_due_at", "rewarded_at", "referrer_coupon_code", "decided_at", "decided_by"]


def export_referrals() -> Iterator[str]:
    """Every referral, oldest first, as CSV text in chunks (the shop's customer ids and e-mails with each)."""
    query = sa.select(Referral.id, Referral)  # the batches page on ``id``

    def batches() -> Iterator[list[list[Any]]]:
        for rows in keyset_batches(query, Referral.id):
            referrals = [row[1] for row in rows]
            people = journey.customers_by_id(
                {id_ for r in referrals for id_ in (r.referrer_customer_id, r.friend_customer_id) if id_ is not None})
            yield [_row(referral, people) for referral in referrals]

    return csv_chunks(COLUMNS, batches())


def _row(referral: Referral, people: dict[int, Any]) -> list[Any]:
    referrer, friend = people.get(referral.referrer_customer_id), people.get(referral.friend_customer_id)
    return [referral.id, referral.created_at, referral.status, referral.code_text,
            referrer and referrer.shop_customer_id, referrer and referrer.email,
            friend and friend.shop_customer_id, friend and friend.email,
            referral.amount_total, referral.amount_reversed, referral.currency, referral.risk_score,
            "; ".join(str(reason) for reason in referral.risk_reasons or []), referral.reward_due_at,
            referral.rewarded_at, referral.referrer_coupon_code, referral.decided_at, referral.decided_by]


@openapi.documented(response={"text/csv": {"type": "string", "description": f"Columns: {', '.join(COLUMNS)}."}})
@admin_required
def export_view() -> Response:
    """Every referral as CSV, oldest first, streamed (text cells safe from spreadsheet formulas)."""
    filename = f"journeykit-referrals-{utcnow():%Y-%m-%d}.csv"
    return Response(stream_with_context(export_referrals()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/referrals/export.csv", view_func=export_view, methods=["GET"], endpoint="referrals_export")
