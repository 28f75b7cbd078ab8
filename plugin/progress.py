"""Moving a customer forward through the journey's stages."""

from __future__ import annotations

import datetime as dt

from . import signals
from .db import utcnow
from .models import Customer
from .stages import Stage
from .tracking import record_event


def advance(customer: Customer, stage: Stage, *, visitor_id: str | None = None, at: dt.datetime | None = None) -> bool:
    """Move ``customer`` to ``stage`` if that is further along; stages never go back.

    Logs a ``stage_changed`` event and queues the signal; returns whether the
    stage changed.
    """
    old = Stage(customer.stage)
    if stage <= old:
        return False
    customer.stage = stage
    customer.stage_changed_at = at or utcnow()
    record_event(
        "stage_changed",
        customer=customer,
        at=customer.stage_changed_at,
        properties={"from": old.value, "to": stage.value},
    )
    signals.queue(
        signals.stage_changed,
        customer_id=customer.shop_customer_id,
        visitor_id=visitor_id,
        old=old,
        new=stage,
    )
    return True
