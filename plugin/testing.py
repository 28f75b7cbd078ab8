"""Helpers for shops' own tests (and the demo shop's offline checkout).

* :class:`StripeEvents` builds realistic Stripe v1 events (the shapes of
  Stripe's real payloads, trimmed to what a Checkout integration receives);
* :func:`signature_header` signs a body with Stripe's real scheme;
* :func:`deliver` posts an event, signed, to a Flask test client.

The pytest fixtures built on them are in :mod:`journeykit.pytest_plugin`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any, Callable, Iterable

import requests

WEBHOOK_PATH = "/journeykit/stripe/webhook"
API_VERSION = "2025-08-27.basil"


def _id(prefix: str, livemode: bool = False) -> str:
    mode = "live" if livemode else "test"
    if prefix == "cs":
        return f"cs_{mode}_a1{secrets.token_hex(20)}"
    return f"{prefix}_3{secrets.token_hex(12)}"


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``payload``: ``t=…,v1=<HMAC-SHA256>``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def encode(event: dict[str, Any]) -> bytes:
    """The exact bytes to sign and send (re-serialising after signing breaks the signature)."""
    return json.dumps(event, indent=2).encode()


def deliver(client: Any, event: dict[str, Any], *, secret: str, path: str = WEBHOOK_PATH, timestamp: int | None = None) -> Any:
    """POST ``event`` to the webhook as Stripe does: raw JSON body, signed header.

    ``client`` is a Flask test client, or a running server's base URL
    (``"http://127.0.0.1:5000"``: sent with requests, which this returns).
    """
    body = encode(event)
    headers = {"Stripe-Signature": signature_header(body, secret, timestamp),
               "Content-Type": "application/json; charset=utf-8"}
    if isinstance(client, str):
        return requests.post(client.rstrip("/") + path, data=body, headers=headers, timeout=30)
    return client.post(path, data=body, headers=headers)


class StripeEvents:
    """Builds Stripe events whose objects point at one another the way Stripe's do.

    A purchase's ``payment_intent`` is what its refunds and disputes name, so
    ``charge_refunded(session, …)`` and ``dispute_created(session)`` take the
    checkout session event (or object) they belong to.
    """

    def __init__(self, *, livemode: bool = False, clock: Callable[[], float] = time.time) -> None:
        self.livemode = livemode
        self.clock = clock

    def event(self, type_: str, obj: dict[str, Any], *, previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """Wrap ``obj`` in an event envelope of type ``type_``."""
        data: dict[str, Any] = {"object": obj}
        if previous is not None:
            data["previous_attributes"] = previous
        return {
            "id": f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": API_VERSION,
            "created": int(self.clock()),
            "data": data,
            "livemode": self.livemode,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }

    def checkout_session(
        self,
        *,
        amount_total: int = 2500,
        currency: str = "usd",
        customer_id: str | None = None,
        email: str | None = "shopper@example.com",
        name: str | None = "Jenny Rosen",
        products: Iterable[str] = ("sku-1",),
        visitor_id: str | None = None,
        referral_code: str | None = None,
        payment_status: str = "paid",
        stripe_customer: str | None = None,
        session_id: str | None = None,
        payment_intent: str | None = None,
        promotion_codes: Iterable[str] = (),
    ) -> dict[str, Any]:
        """A ``checkout.session`` object in payment mode, with JourneyKit's metadata (and the promotion codes used)."""
        metadata = {}
        if products:
            metadata["journeykit_products"] = ",".join(products)
        if visitor_id:
            metadata["journeykit_visitor"] = visitor_id
        if referral_code:
            metadata["journeykit_referral"] = referral_code
        created = int(self.clock())
        return {
            "id": session_id or _id("cs", self.livemode),
            "object": "checkout.session",
            "amount_subtotal": amount_total,
            "amount_total": amount_total,
            "client_reference_id": customer_id,
            "created": created,
            "currency": currency,
            "customer": stripe_customer,
            "customer_details": {"email": email, "name": name, "phone": None, "tax_exempt": "none", "tax_ids": []},
            "customer_email": None,
            "discounts": [{"coupon": None, "promotion_code": code} for code in promotion_codes],
            "expires_at": created + 24 * 3600,
            "livemode": self.livemode,
            "metadata": metadata,
            "mode": "payment",
            "payment_intent": payment_intent or _id("pi"),
            "payment_method_types": ["card"],
            "payment_status": payment_status,
            "status": "complete",
            "success_url": "https://shop.example/thanks",
            "url": None,
        }

    def checkout_completed(self, **session: Any) -> dict[str, Any]:
        """``checkout.session.completed`` (``payment_status="unpaid"`` for a delayed method)."""
        return self.event("checkout.session.completed", self.checkout_session(**session))

    def async_payment(self, completed: dict[str, Any], *, succeeded: bool = True) -> dict[str, Any]:
        """``checkout.session.async_payment_succeeded`` or ``_failed`` for the same session."""
        obj = dict(_object(completed), payment_status="paid" if succeeded else "unpaid")
        kind = "succeeded" if succeeded else "failed"
        return self.event(f"checkout.session.async_payment_{kind}", obj)

    def checkout_expired(self, **session: Any) -> dict[str, Any]:
        """``checkout.session.expired``: an abandoned checkout."""
        obj = self.checkout_session(payment_status="unpaid", **session)
        obj.update(status="expired", payment_intent=None)
        return self.event("checkout.session.expired", obj)

    def charge_refunded(self, completed: dict[str, Any], *, amount_refunded: int, previously: int = 0) -> dict[str, Any]:
        """``charge.refunded`` with Stripe's cumulative ``amount_refunded``."""
        session = _object(completed)
        amount = session["amount_total"]
        charge = {
            "id": "ch_" + session["payment_intent"].removeprefix("pi_"),
            "object": "charge",
            "amount": amount,
            "amount_captured": amount,
            "amount_refunded": amount_refunded,
            "captured": True,
            "created": int(self.clock()),
            "currency": session["currency"],
            "customer": session.get("customer"),
            "livemode": self.livemode,
            "metadata": {},
            "paid": True,
            "payment_intent": session["payment_intent"],
            "refunded": amount_refunded >= amount,
            "status": "succeeded",
        }
        return self.event("charge.refunded", charge, previous={"amount_refunded": previously})

    def dispute(self, completed: dict[str, Any], *, status: str = "needs_response", closed: bool = False) -> dict[str, Any]:
        """``charge.dispute.created``, or ``charge.dispute.closed`` with ``status`` won or lost."""
        session = _object(completed)
        obj = {
            "id": "du_" + session["payment_intent"].removeprefix("pi_"),
            "object": "dispute",
            "amount": session["amount_total"],
            "charge": "ch_" + session["payment_intent"].removeprefix("pi_"),
            "created": int(self.clock()),
            "currency": session["currency"],
            "is_charge_refundable": False,
            "livemode": self.livemode,
            "metadata": {},
            "payment_intent": session["payment_intent"],
            "reason": "fraudulent",
            "status": status,
        }
        return self.event("charge.dispute.closed" if closed else "charge.dispute.created", obj)


    def promotion_code_updated(self, promotion_code: dict[str, Any], **changes: Any) -> dict[str, Any]:
        """``promotion_code.updated``: ``promotion_code`` as Stripe answered it, with ``changes`` (``active=False``)."""
        before = {name: promotion_code.get(name) for name in changes}
        return self.event("promotion_code.updated", {**promotion_code, **changes}, previous=before)


def _object(event_or_object: dict[str, Any]) -> dict[str, Any]:
    if event_or_object.get("object") == "event":
        return event_or_object["data"]["object"]
    return event_or_object
