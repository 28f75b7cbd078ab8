"""The owner's referrals page, ``{prefix}/admin/referrals``: the figures, the review queue, advocates, codes, settings.

Its forms (approve or deny a referral, disable or enable a code, give a
customer a vanity code) are plain HTML forms that work without JavaScript,
carry the owner's CSRF token (:func:`journeykit.core.admin_access.csrf_ok`)
and change things through the owner's API functions (:mod:`.admin_api`), so a
decision made here is checked, audited and idempotent exactly as one made
through the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow
from flask import Blueprint, Response, redirect, render_template, request, url_for

from .. import journey
from ..core.admin_access import STALE_FORM, admin_required, csrf_ok, csrf_token
from ..core.db import utcnow
from ..core.errors import APIError
from ..core.figures import moments
from ..core.inputs import int_arg
from ..core.signals import commit, rollback
from . import admin_api, reports, settings_admin

#: The periods the page offers, in days (ending today, UTC).
PERIODS = (7, 30, 90, 365)
#: What the page says after a change (``?done=<key>&what=<code or id>``).
DONE = {"approved": "Referral {} approved.", "denied": "Referral {} denied.", "disabled": "Code {} disabled.",
        "enabled": "Code {} enabled.", "vanity": "{} is now the customer's referral code."}


def _days() -> int:
    raw = request.args.get("days", "")
    return int(raw) if raw in {str(days) for days in PERIODS} else 30


def _page(*, errors: dict[str, list[str]] | None = None, form: dict[str, str] | None = None,
          status: int | None = None) -> Any:
    days, today = _days(), utcnow().date()
    figures = reports.summary(*moments(today - dt.timedelta(days=days - 1), today + dt.timedelta(days=1)))
    search = request.args.get("q", "").strip()
    limit = int_arg("limit", default=admin_api.PAGE_SIZE, low=1, high=200) or admin_api.PAGE_SIZE
    codes, following = admin_api.codes_page(search, cursor=request.args.get("cursor"), limit=limit)
    waiting, _ = admin_api.queue_page(None, cursor=None, limit=admin_api.PAGE_SIZE)
    done = DONE.get(request.args.get("done", ""))
    page = render_template(
        "journeykit/admin/referrals/page.html", figures=figures, days=days, periods=PERIODS, search=search,
        codes=admin_api.code_views(codes), following=following, queue=admin_api.referral_views(waiting),
        flagged=admin_api.code_views(reports.flagged_codes()), errors=errors or {}, form=form or {},
        settings=settings_admin.SETTINGS.listing()["settings"], labels=settings_admin.SETTINGS.labels,
        done=done.format(request.args.get("what", "")) if done else None, csrf_token=csrf_token())
    status = status or (422 if errors else 200)
    return page if status == 200 else (page, status)


@admin_required
def referrals_page() -> Any:
    """A period's figures (``?days=``), the review queue, advocates, flagged codes, codes (``?q=``), settings."""
    return _page()


def _after(done: str, what: Any) -> Response:
    return redirect(url_for("journeykit.admin.referrals", done=done, what=what), code=303)


def _failed(section: str, exc: APIError) -> Any:
    rollback()
    messages = [exc.description or "Not done."]
    for field_messages in (getattr(exc, "fields", None) or {}).values():
        messages.extend(field_messages if isinstance(field_messages, list) else [str(field_messages)])
    return _page(errors={section: messages}, form=request.form.to_dict(), status=exc.code)


@admin_required
def decide_page(referral_id: int, verb: str) -> Any:
    """The queue's Approve and Deny buttons."""
    if not csrf_ok():
        return _page(errors={"queue": [STALE_FORM]}, status=400)
    try:
        admin_api.decide(referral_id, approve=verb == "approve")
    except APIError as exc:
        return _failed("queue", exc)
    commit()
    return _after("approved" if verb == "approve" else "denied", referral_id)


@admin_required
def switch_page(code: str, verb: str) -> Any:
    """The codes' Disable and Enable buttons."""
    if not csrf_ok():
        return _page(errors={"codes": [STALE_FORM]}, status=400)
    try:
        row = admin_api.switch(admin_api.find_code(code), enabled=verb == "enable")
    except APIError as exc:
        return _failed("codes", exc)
    commit()
    return _after(f"{verb}d", row.code)


@admin_required
def vanity_page() -> Any:
    """The vanity-code form: a customer (shop id) and the code they should have."""
    form = {name: request.form.get(name, "") for name in ("customer", "code")}
    if not csrf_ok():
        return _page(errors={"vanity": [STALE_FORM]}, form=form, status=400)
    if not form["customer"].strip():
        return _page(errors={"customer": ["Enter the shop's customer id."]}, form=form)
    try:
        data = admin_api.vanity_schema.load({"code": form["code"]})
        row = admin_api.set_vanity(journey.require_customer(form["customer"].strip()), data["code"])
    except marshmallow.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"code": exc.messages}
        return _page(errors={"vanity": [text for texts in messages.values() for text in texts]}, form=form)
    except APIError as exc:
        return _failed("vanity", exc)
    commit()
    return _after("vanity", row.code)


#: The forms check their own token (and the origin): a shop's Flask-WTF ``CSRFProtect`` is told to leave them alone.
for _form_view in (decide_page, switch_page, vanity_page):
    _form_view.journeykit_own_csrf = True  # type: ignore[attr-defined]


def register_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/referrals", view_func=referrals_page, endpoint="referrals")
    for verb in ("approve", "deny"):
        bp.add_url_rule(f"/referrals/<int:referral_id>/{verb}", view_func=decide_page, methods=["POST"],
                        endpoint=f"referral_{verb}", defaults={"verb": verb})
    for verb in ("disable", "enable"):
        bp.add_url_rule(f"/referrals/codes/<code>/{verb}", view_func=switch_page, methods=["POST"],
                        endpoint=f"referral_code_{verb}", defaults={"verb": verb})
    bp.add_url_rule("/referrals/vanity", view_func=vanity_page, methods=["POST"], endpoint="referral_vanity")
