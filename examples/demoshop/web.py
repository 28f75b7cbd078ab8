"""The shop's per-request plumbing: who is signed in, the visitor cookie, CSRF tokens.

This is the shop's own login, not JourneyKit's: JourneyKit learns who is signed
in through the ``customer_loader`` the app registers, which reads
:func:`current_customer`.
"""

from __future__ import annotations

import hmac
import re
import secrets

from flask import Flask, Response, abort, current_app, g, request, session

from . import cart
from .models import Customer, db

_REFERRAL_CODE = re.compile(r"^[A-Za-z0-9_-]{3,64}$")
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def current_customer() -> Customer | None:
    """The signed-in demo customer, if any (looked up once per request)."""
    if "shop_customer" not in g:
        customer_id = session.get("customer_id")
        g.shop_customer = (
            db.session.get(Customer, customer_id) if isinstance(customer_id, int) else None
        )
    return g.shop_customer


def sign_in(customer: Customer) -> None:
    session.clear()
    session["customer_id"] = customer.id
    g.pop("shop_customer", None)


def sign_out() -> None:
    session.clear()
    g.pop("shop_customer", None)


def visitor_id() -> str:
    """This browser's anonymous visitor id, in JourneyKit's visitor cookie.

    JourneyKit reads the same cookie, and the id goes into the Stripe checkout
    metadata, so a buyer's earlier anonymous visits join their customer record.
    """
    if "visitor_id" not in g:
        cookie = request.cookies.get(current_app.config["JOURNEYKIT_VISITOR_COOKIE"], "")
        g.visitor_id = cookie if _VISITOR_ID.match(cookie) else secrets.token_urlsafe(16)
    return g.visitor_id


def referral_code() -> str | None:
    """The referral code this browser arrived with (``?ref=…`` on any page), if any."""
    code = session.get("referral")
    return code if isinstance(code, str) else None


def csrf_token() -> str:
    """The session's token for the shop's forms (rendered as a hidden field)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def install(app: Flask) -> None:
    """Register the request hooks and template helpers."""

    @app.before_request
    def _check_csrf_and_referral() -> None:
        code = request.args.get("ref")
        if code and _REFERRAL_CODE.match(code):
            session["referral"] = code
        # JourneyKit's own endpoints (webhook, JSON API) have their own protection.
        if request.method == "POST" and request.blueprint == "shop":
            sent = request.form.get("csrf_token", "")
            expected = session.get("csrf", "")
            if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
                abort(400, "This form has expired; go back, reload the page and try again.")

    @app.after_request
    def _keep_visitor_cookie(response: Response) -> Response:
        name = current_app.config["JOURNEYKIT_VISITOR_COOKIE"]
        if request.blueprint == "shop" and request.cookies.get(name) != visitor_id():
            response.set_cookie(
                name, visitor_id(), max_age=365 * 24 * 3600, httponly=True, samesite="Lax"
            )
        return response

    @app.context_processor
    def _helpers() -> dict[str, object]:
        customer = current_customer()
        journey = current_app.extensions["journeykit"].journey
        token = (
            journey.customer_token(customer.id, email=customer.email, name=customer.name)
            if customer
            else None
        )
        return {
            "current_customer": customer,
            "csrf_token": csrf_token,
            "customer_token": token,
            "visitor_id": visitor_id(),
            "cart_count": cart.count(),
            "shop_name": current_app.config["DEMOSHOP_NAME"],
        }
