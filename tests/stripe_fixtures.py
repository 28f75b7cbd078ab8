"""Stripe's real event payloads (tests/fixtures/stripe), linked to one purchase.

The files come from different sources and name different payments; as their
SOURCES.md says, the refund and dispute must be pointed at the purchase's
payment intent (and, here, at its amount) before they describe one story.
"""

from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

#: A copy of the team's shared fixtures (with their license and SOURCES.md), so any clone runs the tests.
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "stripe"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def linked_family(suffix: str = "") -> dict[str, dict[str, Any]]:
    """One SEPA purchase by ``shopper-42`` and everything that can happen to it, keyed by role.

    A ``suffix`` makes every id (events, session, payment) unique, for tests
    that tell many such stories in one database.
    """
    if suffix:
        return {role: _suffixed(event, suffix) for role, event in linked_family().items()}
    completed = load("checkout.session.completed.async_unpaid")
    session = completed["data"]["object"]
    events = {
        "completed_unpaid": completed,
        "async_succeeded": load("checkout.session.async_payment_succeeded"),
        "async_failed": load("checkout.session.async_payment_failed"),
        "refund_partial": _charge(load("charge.refunded.partial"), session, refunded=400),
        "refund_full": _charge(load("charge.refunded"), session, refunded=session["amount_total"]),
        "dispute_created": _dispute(load("charge.dispute.created"), session),
        "dispute_won": _dispute(load("charge.dispute.closed.won"), session),
    }
    lost = _dispute(load("charge.dispute.closed.won"), session)
    lost["id"] = "evt_1MLuxRJDPojXS6LNq0dspLst"
    lost["data"]["object"]["status"] = "lost"
    events["dispute_lost"] = lost
    return events


def _suffixed(event: dict[str, Any], suffix: str) -> dict[str, Any]:
    event = copy.deepcopy(event)
    event["id"] += suffix
    obj = event["data"]["object"]
    for key in ("id", "payment_intent", "charge", "client_reference_id"):
        if obj.get(key):
            obj[key] += suffix
    return event


def _charge(event: dict[str, Any], session: dict[str, Any], *, refunded: int) -> dict[str, Any]:
    event = copy.deepcopy(event)
    charge = event["data"]["object"]
    charge.update(
        payment_intent=session["payment_intent"],
        amount=session["amount_total"],
        amount_captured=session["amount_total"],
        amount_refunded=refunded,
        refunded=refunded >= session["amount_total"],
        currency=session["currency"],
    )
    return event


def _dispute(event: dict[str, Any], session: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(event)
    event["data"]["object"].update(
        payment_intent=session["payment_intent"], amount=session["amount_total"], currency=session["currency"]
    )
    return event
