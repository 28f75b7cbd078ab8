"""The owner's loyalty pages: ``{prefix}/admin/loyalty`` (the program and its members) and one customer's page.

They read and write through the same functions as the owner's API
(:mod:`.admin_api`, :mod:`.reports`), so an adjustment made here is checked,
recorded with who made it and audited exactly as one made through the API.
The adjustment form is a plain HTML form (it works without JavaScript) and
carries a CSRF token kept in the shop's session: the owner's pages are
reached with the shop's own login cookie, which another site could otherwise
ride on.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import marshmallow
from flask import Blueprint, Response, redirect, render_template, request, url_for

from .. import journey
from ..core.admin_access import STALE_FORM, admin_required, csrf_ok, csrf_token
from ..core.db import utcnow
from ..core.errors import APIError, Conflict, ValidationError
from ..core.figures import moments
from ..core.inputs import int_arg
from ..core.money import format_money
from ..core.signals import commit, rollback
from . import admin_api, codes_admin_api, redemptions, reports, transfer

#: The periods the program's page offers for earning and redeeming, in days (ending today, UTC).
PERIODS = (7, 30, 90, 365)
_WHOLE = re.compile(r"[+-]?\d{1,12}")


@admin_required
def program_page() -> str:
    """The program (liability, participation, codes) and its members by balance, searchable by customer id or e-mail."""
    raw = request.args.get("days", "")
    days = int(raw) if raw in {str(days) for days in PERIODS} else 30
    today = utcnow().date()
    figures = reports.summary(*moments(today - dt.timedelta(days=days - 1), today + dt.timedelta(days=1)))
    search = request.args.get("q", "").strip()
    limit = int_arg("limit", default=admin_api.PAGE_SIZE, low=1, high=200) or admin_api.PAGE_SIZE
    members, following = admin_api.members(search, cursor=request.args.get("cursor"), limit=limit)
    return render_template("journeykit/admin/loyalty/program.html", figures=figures, members=members, search=search,
                           following=following, days=days, periods=PERIODS, money=_money(figures),
                           csrf_token=csrf_token())


def _money(figures: dict[str, Any]) -> dict[str, str] | None:
    """The liability in words per currency (``"14.80 USD"``), or ``None`` when no reward values the points."""
    if figures["outstanding_value"] is None:
        return None
    return {currency: format_money(amount, currency) for currency, amount in figures["outstanding_value"].items()}


@admin_required
def customer_page(customer_id: str) -> str | Response | tuple[str, int]:
    """One customer's points and history, and the form to adjust them by hand (with a reason, audited)."""
    customer = journey.require_customer(customer_id)
    if request.method == "GET":
        return _customer(customer)
    if not csrf_ok():
        return _customer(customer, errors={"form": [STALE_FORM]}, status=400)
    form = {name: request.form.get(name, "") for name in ("points", "reason", "key")}
    points = form["points"].strip()
    if not _WHOLE.fullmatch(points):
        return _customer(customer, errors={"points": ["Enter a whole number of points, e.g. 50 or -20."]}, form=form)
    try:
        data = admin_api.adjustment_schema.load({"points": int(points), "reason": form["reason"],
                                                 "key": form["key"] or None})
        admin_api.adjust(customer, data)
    except marshmallow.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"form": exc.messages}
        return _customer(customer, errors=messages, form=form)
    except Conflict as exc:
        rollback()
        return _customer(customer, errors={"points": [exc.description]}, form=form, status=409)
    commit()
    return redirect(url_for("journeykit.admin.loyalty_customer", customer_id=customer.shop_customer_id,
                            adjusted=int(points)), code=303)


@admin_required
def cancel_code_page(code_id: int) -> Any:
    """The customer page's Cancel button: the code is cancelled and its points come back (or why not)."""
    made = codes_admin_api.find(code_id)
    customer = journey.customers_by_id([made.customer_id])[made.customer_id]
    if not csrf_ok():
        return _customer(customer, errors={"codes": [STALE_FORM]}, status=400)
    try:
        codes_admin_api.cancel(code_id)
    except APIError as exc:
        rollback()
        return _customer(customer, errors={"codes": [exc.description]}, status=exc.code)
    commit()
    return redirect(url_for("journeykit.admin.loyalty_customer", customer_id=customer.shop_customer_id,
                            cancelled=made.code), code=303)


def _customer(customer: Any, *, errors: dict[str, Any] | None = None, form: dict[str, str] | None = None,
              status: int | None = None) -> Any:
    status = status or (422 if errors else 200)
    page = render_template("journeykit/admin/loyalty/customer.html", customer=customer,
                           points=admin_api.view(customer), errors=errors or {},
                           form=form or {}, key=(form or {}).get("key") or uuid.uuid4().hex,
                           csrf_token=csrf_token(), adjusted=request.args.get("adjusted", type=int),
                           codes=[redemptions.view(made) for made in redemptions.codes_of(customer.id, limit=50)],
                           cancelled=request.args.get("cancelled"))
    return page if status == 200 else (page, status)


@admin_required
def import_page() -> tuple[str, int]:
    """Bring balances over from a Smile.io export uploaded here (``dry_run``: only say what would happen)."""
    dry_run = request.form.get("dry_run") == "1"
    status, result, problem = 200, None, None
    upload = request.files.get("file")
    if not csrf_ok():
        status, problem = 400, ValidationError(STALE_FORM)
    elif upload is None or not upload.filename:
        status, problem = 422, ValidationError("Choose the CSV file Smile.io exported.")
    else:
        try:
            result = transfer.import_smile(upload.read(transfer.IMPORT_MAX_BYTES + 1))
        except ValidationError as exc:
            rollback()
            status, problem = 422, exc
        else:
            (rollback if dry_run else commit)()
    return render_template("journeykit/admin/loyalty/import.html", result=result, problem=problem,
                           dry_run=dry_run), status


#: The form checks its own token (and the origin): a shop's Flask-WTF ``CSRFProtect`` is told to leave it alone.
for _form_view in (customer_page, import_page, cancel_code_page):
    _form_view.journeykit_own_csrf = True  # type: ignore[attr-defined]
#: A Smile.io export, and multipart's framing, exceed the admin's default body cap (read by :mod:`journeykit.web`).
import_page.journeykit_max_body = transfer.IMPORT_MAX_BYTES + 64 * 1024  # type: ignore[attr-defined]


def register_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/loyalty", view_func=program_page, endpoint="loyalty")
    bp.add_url_rule("/loyalty/customers/<path:customer_id>", view_func=customer_page, endpoint="loyalty_customer",
                    methods=["GET", "POST"])
    bp.add_url_rule("/loyalty/import", view_func=import_page, endpoint="loyalty_import", methods=["POST"])
    bp.add_url_rule("/loyalty/codes/<int:code_id>/cancel", view_func=cancel_code_page, endpoint="loyalty_cancel_code",
                    methods=["POST"])
