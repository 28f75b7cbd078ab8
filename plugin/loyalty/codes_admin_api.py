"""The owner's view of the discount codes bought with points: list them, and cancel an unused one (audited).

``GET …/admin/loyalty/codes?status=issued&customer=<shop id>`` and
``POST …/admin/loyalty/codes/<id>/cancel``.  Cancelling deactivates the
Stripe promotion code first, then gives the points back; a code Stripe says
was used is closed as used instead, and nothing comes back.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, request
from marshmallow import fields

from .. import journey
from ..core import audit, openapi, paging
from ..core.admin_access import admin_required
from ..core.db import session
from ..core.errors import NotFound, ValidationError
from ..core.signals import commit
from . import redemptions
from .api import CodeSchema
from .models import Redemption, RedemptionStatus


class AdminCodeSchema(CodeSchema):
    customer = fields.String(required=True, allow_none=True, metadata={"description": "the shop's own customer id"})
    closed_at = fields.DateTime(required=True, allow_none=True, metadata={"description": "when used or returned"})


_code = AdminCodeSchema()


def _dump(made: Redemption, customer_id: str | None) -> dict[str, Any]:
    return _code.dump({**redemptions.view(made), "customer": customer_id, "closed_at": made.closed_at})


def _filtered() -> sa.Select:
    query = sa.select(Redemption)
    status = request.args.get("status")
    if status:
        if status not in {member.value for member in RedemptionStatus}:
            raise ValidationError("status is issued, used or returned.", fields={"status": ["Not a status."]})
        query = query.where(Redemption.status == RedemptionStatus(status))
    if request.args.get("customer"):
        query = query.where(Redemption.customer_id == journey.require_customer(request.args["customer"]).id)
    return query


@openapi.documented(response=openapi.page(AdminCodeSchema), query=[
    openapi.query("status", "Only codes in this state: issued, used or returned."),
    openapi.query("customer", "Only this customer's codes (the shop's own customer id)."),
    *openapi.paged(default=50, maximum=200)], errors={404: "No customer with this id (customer_not_found)."})
@admin_required
def list_codes() -> dict[str, Any]:
    """The codes bought with points, newest first."""
    items, cursor = paging.newest_first(_filtered(), Redemption.id)
    owners = journey.customers_by_id([made.customer_id for made in items])
    return {"items": [_dump(made, owners[made.customer_id].shop_customer_id) for made in items], "next": cursor}


def find(code_id: int) -> Redemption:
    """The code with this id, or 404 ``code_not_found``."""
    made = session().get(Redemption, code_id)
    if made is None:
        raise NotFound(f"No code with id {code_id}.", error_code="code_not_found")
    return made


def cancel(code_id: int) -> Redemption:
    """Cancel the unused code with this id and audit it (the caller commits); 404, 409, 502 or 503 otherwise."""
    made = find(code_id)
    redemptions.cancel(made)  # closes this very object (the session's one copy of the row)
    audit.record("loyalty.cancel_code", f"code:{made.id}", before={"status": "issued"},
                 after={"status": made.status.value, "points": made.points})
    return made


@openapi.documented(response=AdminCodeSchema, errors={
    404: "No such code (code_not_found).", 409: "The code is used or returned already (code_closed).",
    502: "Stripe refused to deactivate it (stripe_failed).", 503: "Stripe cannot be reached (stripe_unavailable)."})
@admin_required
def cancel_code(code_id: int) -> dict[str, Any]:
    """Cancel an unused code: deactivated in Stripe, its points given back to the customer."""
    made = cancel(code_id)
    commit()
    owner = journey.customers_by_id([made.customer_id])[made.customer_id]
    return _dump(made, owner.shop_customer_id)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/loyalty/codes", view_func=list_codes, methods=["GET"])
    bp.add_url_rule("/admin/loyalty/codes/<int:code_id>/cancel", view_func=cancel_code, methods=["POST"])
