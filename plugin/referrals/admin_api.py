"""The owner's referral API: the figures, the codes (vanity codes, disable, enable) and the review queue (audited).

``GET …/admin/referrals/summary?from&to``, ``GET …/admin/referrals/codes``,
``PUT …/admin/referrals/customers/<id>/code``, ``POST
…/admin/referrals/codes/<code>/disable`` and ``/enable``, ``GET
…/admin/referrals/queue``, ``POST …/admin/referrals/<id>/approve`` and
``/deny``.  Every change is audited with who made it, and sending it again
changes nothing (a double click decides once).  The owner's page
(:mod:`.admin`) calls the same functions, so the page and the API never differ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import sqlalchemy as sa
from flask import Blueprint, request
from marshmallow import Schema, fields

from .. import journey
from ..core import audit, openapi, paging
from ..core.admin_access import admin_required
from ..core.db import session
from ..core.errors import NotFound
from ..core.figures import moments
from ..core.inputs import NOT_BLANK, enum_arg, int_arg, load_json, period_args
from ..core.signals import commit
from . import codes, conversion, reports, rewards
from .models import Referral, ReferralCode, ReferralStatus

if TYPE_CHECKING:
    from ..journey.models import Customer

#: Codes and referrals per page (API default and the page's).
PAGE_SIZE = 50
_COUNT = {"type": "integer", "minimum": 0}
_MONEY = {"type": "object", "description": "Per currency, in minor units.", "additionalProperties": openapi.json_object(
    orders=_COUNT, gross=_COUNT, net={"type": "integer"})["application/json"]}


class AdminReferralCodeSchema(Schema):
    """A referral code as the owner sees it."""

    code = fields.String(required=True)
    customer = fields.String(required=True, allow_none=True, metadata={"description": "the shop's own customer id"})
    email = fields.String(required=True, allow_none=True)
    vanity = fields.Boolean(required=True, metadata={"description": "set by the owner, not drawn at random"})
    created_at = fields.DateTime(required=True)
    disabled_at = fields.DateTime(required=True, allow_none=True)
    flagged_at = fields.DateTime(required=True, allow_none=True, metadata={"description": "its clicks spiked"})
    flag_reason = fields.String(required=True, allow_none=True)


class QueuedReferralSchema(Schema):
    """A converted referral: who referred whom, the friend's order, its risk and where its reward stands."""

    id = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "the code as the checkout named it"})
    referrer = fields.String(required=True, allow_none=True, metadata={"description": "the shop's own customer id"})
    referrer_email = fields.String(required=True, allow_none=True)
    friend = fields.String(required=True, allow_none=True, metadata={"description": "the shop's own customer id"})
    friend_email = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"enum": [status.value for status in ReferralStatus]})
    risk_score = fields.Integer(required=True, metadata={"description": "0 (nothing odd) to 100"})
    risk_reasons = fields.List(fields.String(), required=True, metadata={"description": "why, in the owner's words"})
    amount_total = fields.Integer(required=True, metadata={"description": "the friend's order, in minor units"})
    amount_reversed = fields.Integer(required=True, metadata={"description": "refunded or lost in a dispute so far"})
    currency = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    reward_due_at = fields.DateTime(required=True, allow_none=True)
    rewarded_at = fields.DateTime(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True, allow_none=True)
    decided_by = fields.String(required=True, allow_none=True)


class VanitySchema(Schema):
    code = fields.String(required=True, validate=NOT_BLANK, metadata={
        "description": "4 to 32 letters, digits or hyphens, case-insensitive (stored upper-case), unused by anyone"})


_code, _referral, vanity_schema = AdminReferralCodeSchema(), QueuedReferralSchema(), VanitySchema()


# -- codes --------------------------------------------------------------------


def code_view(row: ReferralCode, owner: Customer | None = None) -> dict[str, Any]:
    owner = owner or journey.customers_by_id([row.customer_id])[row.customer_id]
    return _code.dump({"code": row.code, "customer": owner.shop_customer_id, "email": owner.email, "vanity": row.vanity,
                       "created_at": row.created_at, "disabled_at": row.disabled_at, "flagged_at": row.flagged_at,
                       "flag_reason": row.flag_reason})


def code_views(rows: list[ReferralCode]) -> list[dict[str, Any]]:
    owners = journey.customers_by_id({row.customer_id for row in rows})
    return [code_view(row, owners[row.customer_id]) for row in rows]


def codes_page(search: str, *, cursor: str | None, limit: int) -> tuple[list[ReferralCode], str | None]:
    """Codes newest first; ``search`` finds a customer's codes (shop id or e-mail) or codes starting with it."""
    query = sa.select(ReferralCode)
    search = search.strip()
    if search:
        found = [journey.find_customer(search)] + ([journey.find_member_by_email(search)] if "@" in search else [])
        owners = [customer.id for customer in found if customer is not None]
        prefix = ReferralCode.code.startswith(search.upper(), autoescape=True)
        query = query.where(sa.or_(prefix, ReferralCode.customer_id.in_(owners)) if owners else prefix)
    return paging.page(query, [(ReferralCode.id, True)], limit=limit, cursor=cursor, scalars=session().scalars)


def find_code(text: str) -> ReferralCode:
    """The code ``text`` names (any case), or 404 ``code_not_found`` (for anything that cannot be a code, too)."""
    row = codes.find(text)
    if row is None:
        raise NotFound("No referral code is written like this.", error_code="code_not_found")
    return row


def set_vanity(customer: Customer, text: str) -> ReferralCode:
    """Give the customer the vanity code ``text`` (:func:`.codes.set_vanity`: 422 ``invalid_code``, 409
    ``code_taken``) and audit it; the caller commits.

    The customer's own code in use, sent again, changes nothing (a double click).
    """
    before = codes.current(customer.id)
    if before is not None and before.code == codes.normalize(text):
        return before
    row = codes.set_vanity(customer.id, text)
    audit.record("referral_code.vanity", f"customer:{customer.id}",
                 before={"code": before.code if before is not None else None}, after={"code": row.code})
    return row


def switch(row: ReferralCode, *, enabled: bool) -> ReferralCode:
    """Enable or disable a code (and the friend's discount code in Stripe with it) and audit it; a code already so
    is left alone (no second audit entry).  Stripe failing answers 503/502 and changes nothing."""
    if (row.disabled_at is None) != enabled:
        rewards.set_friend_code_active(row, enabled)
        codes.set_disabled(row, not enabled)
        audit.record(f"referral_code.{'enable' if enabled else 'disable'}", f"referral_code:{row.id}",
                     after={"code": row.code})
    return row


# -- the review queue -----------------------------------------------------------


def referral_views(rows: list[Referral]) -> list[dict[str, Any]]:
    people = journey.customers_by_id({id_ for row in rows for id_ in (row.referrer_customer_id, row.friend_customer_id)
                                      if id_ is not None})

    def who(customer_id: int | None) -> Any:
        return people.get(customer_id) if customer_id is not None else None

    return [_referral.dump({
        **{name: getattr(row, name) for name in ("id", "risk_score", "amount_total", "amount_reversed", "currency",
                                                 "created_at", "reward_due_at", "rewarded_at", "decided_at",
                                                 "decided_by")},
        "code": row.code_text, "status": row.status.value, "risk_reasons": [str(r) for r in row.risk_reasons or []],
        "referrer": getattr(who(row.referrer_customer_id), "shop_customer_id", None),
        "referrer_email": getattr(who(row.referrer_customer_id), "email", None),
        "friend": getattr(who(row.friend_customer_id), "shop_customer_id", None),
        "friend_email": getattr(who(row.friend_customer_id), "email", None)}) for row in rows]


def queue_page(status: ReferralStatus | None, *, cursor: str | None,
               limit: int) -> tuple[list[Referral], str | None]:
    """Referrals in ``status`` (default: waiting for review), the riskiest first, then the oldest."""
    query = sa.select(Referral).where(Referral.status == (status or ReferralStatus.REVIEW))
    keys: list[paging.Key] = [(Referral.risk_score, True), (Referral.id, False)]
    return paging.page(query, keys, limit=limit, cursor=cursor, scalars=session().scalars)


def find_referral(referral_id: int, *, lock: bool = False) -> Referral:
    """The referral with this id (read again and locked until the transaction ends with ``lock``), or 404."""
    query = sa.select(Referral).where(Referral.id == referral_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    row = session().scalars(query).first()
    if row is None:
        raise NotFound(f"No referral with id {referral_id}.", error_code="referral_not_found")
    return row


def decide(referral_id: int, *, approve: bool) -> Referral:
    """Approve or deny a referral (:func:`.rewards.approve` / :func:`.rewards.deny`) and audit it; the caller commits.

    Deciding again what was decided changes nothing (no second reward, no
    second audit entry); the other decision on a decided referral is a 409
    ``referral_decided``.
    """
    row = find_referral(referral_id, lock=True)  # a double click waits here, then finds it decided
    done = (row.status is ReferralStatus.DENIED) if not approve else (
        row.decided_at is not None and row.status is not ReferralStatus.DENIED)
    if done:
        return row
    before = row.status.value
    decision: Callable[[Referral, str], None] = rewards.approve if approve else rewards.deny
    decision(row, audit.actor())  # the same row object: the session keeps one copy
    if approve:
        conversion.approved(row)  # now held or paid: the signal, the hook and the referrer's advocacy
    audit.record(f"referral.{'approve' if approve else 'deny'}", f"referral:{row.id}",
                 before={"status": before}, after={"status": row.status.value, "risk_score": row.risk_score})
    return row


# -- HTTP -------------------------------------------------------------------------


@openapi.documented(query=[
    openapi.query("from", "First UTC day, YYYY-MM-DD (included); left out: from the start.", format="date"),
    openapi.query("to", "Last UTC day, YYYY-MM-DD (included); left out: up to today.", format="date")],
    response=openapi.json_object(**{
        "from": {"type": ["string", "null"], "format": "date"}, "to": {"type": ["string", "null"], "format": "date"},
        "clicks": {**_COUNT, "description": "Referral link clicks (once per visitor and day)."},
        "referred_buyers": {**_COUNT, "description": "Friends' first orders through a real code, not denied."},
        "conversion": {"type": ["number", "null"], "description": "referred_buyers ÷ clicks."},
        "viral_coefficient": {"type": ["number", "null"],
                              "description": "referred_buyers ÷ the period's buyers: new buyers each buyer brought."},
        "conversions": {"type": "object", "additionalProperties": _COUNT,
                        "description": "Referrals converted in the period, by status (unknown_code: no reward)."},
        "revenue": _MONEY,
        "rewards": {"type": "object", "additionalProperties": _COUNT, "description": (
            "paid, coupons (of them), points_given, points_taken_back in the period; clawed_back (partly refunded), "
            "reversed (fully); held and in_review now.")},
        "top_advocates": {"type": "array", "items": {"type": "object"}},
        "flagged_codes": {**_COUNT, "description": "Enabled codes flagged for a spike of clicks, now."}}))
@admin_required
def summary() -> dict[str, Any]:
    """The referral program's figures for a period: clicks, conversions, revenue brought, rewards, top advocates."""
    first, end, echo = period_args()
    return {**echo, **reports.summary(*moments(first, end))}


@openapi.documented(response=openapi.page(AdminReferralCodeSchema), query=[
    openapi.query("q", "A customer (shop customer id or e-mail), or the start of a code."),
    *openapi.paged(default=PAGE_SIZE, maximum=200)])
@admin_required
def list_codes() -> dict[str, Any]:
    """The referral codes, newest first."""
    limit = int_arg("limit", default=PAGE_SIZE, low=1, high=200) or PAGE_SIZE
    rows, following = codes_page(request.args.get("q", ""), cursor=request.args.get("cursor"), limit=limit)
    return {"items": code_views(rows), "next": following}


@openapi.documented(body=VanitySchema, response=AdminReferralCodeSchema, errors={
    404: "No customer with this id (customer_not_found).", 409: "The code exists already, anyone's (code_taken)."})
@admin_required
def put_vanity(customer_id: str) -> dict[str, Any]:
    """Give a customer a vanity code (``SUMMER-ANN``): their links use it from now on."""
    data = load_json(vanity_schema)
    row = set_vanity(journey.require_customer(customer_id), data["code"])
    commit()
    return code_view(row)


def _switch_view(enabled: bool) -> Callable[[str], dict[str, Any]]:
    def view(code: str) -> dict[str, Any]:
        row = switch(find_code(code), enabled=enabled)
        commit()
        return code_view(row)

    view.__name__ = f"{'enable' if enabled else 'disable'}_code"
    view.__doc__ = ("Enable a disabled code again: its links attribute and reward again." if enabled else
                    "Disable a code: its links still land visitors on the shop, with no attribution and no reward.")
    return admin_required(openapi.documented(response=AdminReferralCodeSchema, errors={
        404: "No such code (code_not_found)."})(view))


@openapi.documented(response=openapi.page(QueuedReferralSchema), query=[
    openapi.query("status", "Referrals in this status (default review).", enum=[s.value for s in ReferralStatus]),
    *openapi.paged(default=PAGE_SIZE, maximum=200)])
@admin_required
def queue() -> dict[str, Any]:
    """The review queue: suspicious referrals waiting for approve or deny, the riskiest first, with the reasons."""
    limit = int_arg("limit", default=PAGE_SIZE, low=1, high=200) or PAGE_SIZE
    rows, following = queue_page(enum_arg("status", ReferralStatus), cursor=request.args.get("cursor"), limit=limit)
    return {"items": referral_views(rows), "next": following}


def _decision_view(approve: bool) -> Callable[[int], dict[str, Any]]:
    def view(referral_id: int) -> dict[str, Any]:
        row = decide(referral_id, approve=approve)
        commit()
        return referral_views([row])[0]

    view.__name__ = "approve_referral" if approve else "deny_referral"
    view.__doc__ = ("Approve a referral waiting for review: its referrer is rewarded (or held until the refund window "
                    "passes)." if approve else "Deny a referral waiting for review or held: its referrer gets nothing.")
    errors = {404: "No referral with this id (referral_not_found).",
              409: "Already decided the other way, or not waiting for a decision (referral_decided)."}
    if approve:
        errors |= {502: "Stripe refused the referrer's coupon (stripe_failed).",
                   503: "Stripe cannot be reached (stripe_unavailable)."}
    return admin_required(openapi.documented(response=QueuedReferralSchema, errors=errors)(view))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/referrals/summary", view_func=summary, methods=["GET"], endpoint="referrals_summary")
    bp.add_url_rule("/admin/referrals/codes", view_func=list_codes, methods=["GET"], endpoint="referral_codes")
    bp.add_url_rule("/admin/referrals/customers/<path:customer_id>/code", view_func=put_vanity, methods=["PUT"],
                    endpoint="referral_vanity")
    for enabled in (False, True):
        verb = "enable" if enabled else "disable"
        bp.add_url_rule(f"/admin/referrals/codes/<code>/{verb}", view_func=_switch_view(enabled),
                        methods=["POST"], endpoint=f"referral_code_{verb}")
    bp.add_url_rule("/admin/referrals/queue", view_func=queue, methods=["GET"], endpoint="referral_queue")
    for approve in (True, False):
        verb = "approve" if approve else "deny"
        bp.add_url_rule(f"/admin/referrals/<int:referral_id>/{verb}", view_func=_decision_view(approve),
                        methods=["POST"], endpoint=f"referral_{verb}")
