"""Asking buyers for reviews: a signal with a signed one-click link, once per order.

``flask journeykit reviews send-requests`` (run it daily) finds paid orders
older than ``JOURNEYKIT_REVIEW_REQUEST_DAYS`` and sends ``review_request_due``
for each, once ever (a unique row per order makes concurrent runs safe).  The
shop sends the e-mail its own way; the link opens a form for the order's
products that needs no sign-in: the signed token names the buyer.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, render_template, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import orders
from ..core import config, config_checks, settings, signals
from ..core.db import session, utcnow
from ..core.dialects import insert_if_absent
from ..core.errors import APIError
from . import lifecycle
from .models import Review, ReviewRequest
from .schemas import SubmitSchema

if TYPE_CHECKING:
    from ..orders.models import Order

_SALT = "journeykit.review-request"
#: A review link stays valid this long: people answer e-mails late.
LINK_MAX_AGE = 60 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config.secret_key(current_app._get_current_object()), salt=_SALT)  # type: ignore[attr-defined]


def link(order: Order) -> str:
    """The signed one-click review link for an order (absolute, for e-mails)."""
    token = _serializer().dumps({"o": order.id})
    return url_for("journeykit.review_requests.form", token=token, _external=True)


def send_due(now: dt.datetime | None = None) -> int:
    """Queue ``review_request_due`` for every order that is due and was never asked; returns how many."""
    days = config_checks.days_or_never(settings.value("JOURNEYKIT_REVIEW_REQUEST_DAYS"))
    if days is None:
        return 0
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    due = orders.paid_before(cutoff, excluding=sa.select(ReviewRequest.order_id))
    sent = 0
    for order in due:
        if not order.items or orders.reversed_amount(order) >= order.amount_total:
            continue
        if insert_if_absent(ReviewRequest.__table__, {"order_id": order.id, "sent_at": utcnow()}, on=["order_id"]):
            signals.queue(signals.review_request_due, order=order, customer=order.customer, products=order.product_ids, url=link(order))
            sent += 1
    return sent


class LinkInvalid(APIError):
    code = 404
    error_code = "review_link_invalid"


def _order_from(token: str) -> Order:
    try:
        payload = _serializer().loads(token, max_age=LINK_MAX_AGE)
    except SignatureExpired:
        raise LinkInvalid("This review link has expired.")
    except BadSignature:
        raise LinkInvalid("This review link is not valid.")
    order = orders.get(payload.get("o")) if isinstance(payload, dict) else None
    if order is None or order.customer is None:
        raise LinkInvalid("This review link is not valid.")
    return order


def form(token: str) -> str | Response:
    """GET: a form for each of the order's products; POST: save the ones the buyer rated."""
    order = _order_from(token)
    errors: dict[str, Any] = {}
    if request.method == "POST":
        errors = _save(order, request.form)
        if not errors:
            return render_template("journeykit/public/review_thanks.html")
    existing = {r.product_id: r for r in session().scalars(
        sa.select(Review).where(Review.customer_id == order.customer_id, Review.product_id.in_(order.product_ids)))}
    return render_template("journeykit/public/review_form.html", order=order, existing=existing, errors=errors)


def _save(order: Order, form_data: Any) -> dict[str, Any]:
    """Submit each product the buyer gave stars to; returns the errors by product (none: saved)."""

    errors: dict[str, Any] = {}
    schema = SubmitSchema()
    for product_id in order.product_ids:
        stars = form_data.get(f"rating-{product_id}")
        if not stars:
            continue
        data = {"rating": int(stars) if stars.isascii() and stars.isdigit() else stars, "title": form_data.get(f"title-{product_id}", ""),
                "body": form_data.get(f"body-{product_id}", ""), "author": lifecycle.author_for(order.customer.name)}
        found = schema.validate(data)
        if found:
            errors[product_id] = found
            continue
        try:
            lifecycle.submit(order.customer, product_id, schema.load(data))
        except APIError as exc:
            errors[product_id] = {"body": [exc.description]}
    if errors:
        signals.rollback()
    else:
        signals.commit()
    return errors


def create_blueprint() -> Blueprint:
    bp = Blueprint("review_requests", __name__)
    bp.add_url_rule("/reviews/write/<token>", view_func=form, endpoint="form", methods=["GET", "POST"])
    return bp
