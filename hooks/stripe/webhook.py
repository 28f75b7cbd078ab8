"""``POST {prefix}/stripe/webhook``: Stripe's signed events in.

The raw bytes are verified with the official stripe library before anything
is parsed; a verified event is stored before it is acknowledged; nothing on
this path calls Stripe's API.  Bad requests answer 400 with a generic body
(details go to the log); a failure while applying answers 500 so that Stripe
retries.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import stripe
from flask import Blueprint, Response, current_app, jsonify, request

from journeykit.core.config import as_list
from journeykit.core.errors import BadRequest, ServiceUnavailable

from . import store

log = logging.getLogger("journeykit.stripe")

#: Stripe's default: a signature older than five minutes is refused (replay protection).
TOLERANCE_SECONDS = 300
#: Stripe's events are a few KB; a generous cap still stops floods (larger: 413).
MAX_BODY_BYTES = 512 * 1024
#: Stripe's ids are a few dozen characters; longer ones would not fit the keys JourneyKit derives from them.
MAX_ID_LENGTH = 200
_MAX_AMOUNT = 2**63 - 1
_LATEST_TIMESTAMP = 2**40  # the year 36812: later is no Stripe time


def receive() -> Response:
    started = time.perf_counter()
    secrets = as_list(current_app.config["JOURNEYKIT_STRIPE_WEBHOOK_SECRET"])
    if not secrets:
        log.error("stripe webhook refused: JOURNEYKIT_STRIPE_WEBHOOK_SECRET is not set")
        raise ServiceUnavailable(
            "Stripe webhooks are not configured: set JOURNEYKIT_STRIPE_WEBHOOK_SECRET.",
            error_code="webhook_not_configured",
        )
    payload = request.get_data()  # kept: a run again after a deadlock must verify the same bytes
    event = _verified_event(payload, request.headers.get("Stripe-Signature", ""), secrets)
    claimed = store.store(event, payload, claim=True)
    reason = _ignore_reason(event)
    try:
        outcome = store.apply(event["id"], ignore_reason=reason, event=event, claimed=payload if claimed else None)
    except Exception:
        log.exception("stripe event %s %s: failed; Stripe will retry", event["id"], event.get("type"))
        raise
    log.info(
        "stripe event %s %s: %s%s (%.1f ms)",
        event["id"], event.get("type"), outcome, f" ({reason})" if reason else "",
        (time.perf_counter() - started) * 1000,
    )
    return jsonify({"received": True, "outcome": outcome})


#: Stripe's events may be larger than the API's default cap (read by the body-size limit of :mod:`journeykit.web`).
receive.journeykit_max_body = MAX_BODY_BYTES  # type: ignore[attr-defined]


def _verified_event(payload: bytes, header: str, secrets: list[str]) -> dict[str, Any]:
    """Check the signature against every configured secret (rotation), then parse."""
    if not header:
        log.warning("stripe webhook refused: no Stripe-Signature header")
        raise BadRequest("The webhook request could not be verified.", error_code="invalid_signature")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        log.warning("stripe webhook refused: the body is not UTF-8")
        raise BadRequest("The webhook request could not be verified.", error_code="invalid_signature")
    if not any(_signed_with(text, header, secret) for secret in secrets):
        raise BadRequest("The webhook request could not be verified.", error_code="invalid_signature")
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than any Stripe event
        event = None
    problem = _malformed(event)
    if problem:
        log.warning("stripe webhook refused: a signed body that is not a Stripe event (%s)", problem)
        raise BadRequest("The webhook body is not a Stripe event.", error_code="invalid_payload")
    return event


def _signed_with(text: str, header: str, secret: str) -> bool:
    try:
        stripe.WebhookSignature.verify_header(text, header, secret, TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        log.warning("stripe webhook signature not valid for one secret: %s", exc)
        return False
    return True


def _malformed(event: Any) -> str | None:
    """What makes a signed body no Stripe event JourneyKit can store and apply (Stripe's own never are)."""
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return "no event"
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        return "no data.object"
    for where, value in (("id", event.get("id")), ("object id", obj.get("id")),
                         ("payment_intent", obj.get("payment_intent")), ("customer", obj.get("customer"))):
        if where == "id" and not isinstance(value, str):
            return "no id"
        if isinstance(value, str) and len(value) > MAX_ID_LENGTH:
            return f"an {where} of {len(value)} characters"
    for key, most in (("amount_total", _MAX_AMOUNT), ("amount_refunded", _MAX_AMOUNT), ("amount", _MAX_AMOUNT),
                      ("created", _LATEST_TIMESTAMP)):
        value = obj.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most):
            return f"{key} is not a whole number from 0 to {most}"
    currency = obj.get("currency")
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3 and currency.isascii() and currency.isalpha()):
        return "currency is not an ISO 4217 code"
    created = event.get("created")
    if created is not None and (isinstance(created, bool) or not isinstance(created, int) or not 0 <= created <= _LATEST_TIMESTAMP):
        return "created is not a time"
    return None


def _ignore_reason(event: dict[str, Any]) -> str | None:
    """Events of the other mode than the configured API key (test vs live) are kept but not applied."""
    key = current_app.config.get("JOURNEYKIT_STRIPE_API_KEY") or ""
    if not key:
        return None
    live_key = "_live_" in key
    if bool(event.get("livemode")) != live_key:
        mode = "live" if event.get("livemode") else "test"
        return f"a {mode}-mode event, but the API key is for {'live' if live_key else 'test'} mode"
    return None


def create_blueprint() -> Blueprint:
    bp = Blueprint("stripe", __name__)
    # Both spellings answer directly: a redirect would be a failed delivery for Stripe.
    bp.add_url_rule("/webhook", view_func=receive, methods=["POST"], strict_slashes=False)
    return bp
