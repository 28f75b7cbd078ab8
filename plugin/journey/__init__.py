"""The journey: customers and visitors, the append-only event log, and each person's stage.

Events come in from the storefront (:mod:`.events`), from the shop's own
code (``journey.track``) and from the other capabilities (a purchase, a
published review); :mod:`.tracking` appends them and moves the person's
stage (:mod:`.people`, by the rules of :mod:`.stage_rules`), keeping the
daily rollups (:mod:`.rollups`) that :mod:`.reports` reads.  Everything
derived can be rebuilt from the log (:mod:`.rebuild`).

The names below are the journey's public functions: the other capabilities
use these and nothing else of this package.
"""

from __future__ import annotations

from .customers import (
    customer_for,
    customers_by_id,
    ensure_customer,
    find_customer,
    find_member_by_email,
    identify,
    normalize_email,
    require_customer,
    signed_in_customer,
    signup_handlers,
)
from .events import ignored_agent, owner_request
from .people import gathered as shared_rows_last
from .people import stage_of_customer
from .privacy import forget, personal_data
from .reports import (
    BREAKDOWNS,
    HELD_OUT,
    INTERVALS,
    SHOWN,
    breakdown,
    cohorts,
    count_events,
    customer_stages,
    funnel,
    stages_over_time,
    time_between_stages,
    widget_exposures,
)
from .stage_rules import STAGES
from .stages import Stage
from .tracking import ensure_visitor, record_event, record_events

__all__ = [
    "BREAKDOWNS",
    "HELD_OUT",
    "INTERVALS",
    "SHOWN",
    "STAGES",
    "Stage",
    "breakdown",
    "cohorts",
    "count_events",
    "customer_for",
    "customer_stages",
    "customers_by_id",
    "ensure_customer",
    "ensure_visitor",
    "find_customer",
    "find_member_by_email",
    "forget",
    "funnel",
    "identify",
    "ignored_agent",
    "normalize_email",
    "owner_request",
    "require_customer",
    "shared_rows_last",
    "signed_in_customer",
    "signup_handlers",
    "personal_data",
    "record_event",
    "record_events",
    "stage_of_customer",
    "stages_over_time",
    "time_between_stages",
    "widget_exposures",
]
