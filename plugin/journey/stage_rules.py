"""Which events take a person to which stage, and a person's facts folded from their events.

One definition serves the live path (an event at a time), the merge of a
visitor into a customer, and ``flask journeykit stages rebuild``: that is
what makes a rebuild reproduce the live state exactly.

A person's *raw* reach of a stage is the earliest qualifying event (events
may arrive out of order: Stripe's are dated by Stripe); the *effective* reach
of stage T is the earliest raw reach of T or any later stage, since reaching
a stage counts as reaching every stage before it.  The stage is the highest
one reached.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from flask import current_app

from .stages import Stage

STAGES: list[Stage] = list(Stage)
AWARENESS, CONSIDERATION, PURCHASE, RETENTION, ADVOCACY = range(5)
#: Derived rows an older JourneyKit wrote into the log; they are not something a person did.
IGNORED_EVENTS = frozenset({"stage_changed"})
#: Events from this source never count as purchases or advocacy (a storefront could fake them).
UNTRUSTED_SOURCE = "browser"
#: Longest ``first_widget`` / ``referral_code`` kept (the columns' size).
_LABEL_LENGTH = 64

Reach = tuple["dt.datetime | None", ...]
NO_REACH: Reach = (None,) * len(STAGES)


@dataclass(frozen=True)
class Rules:
    """The configured stage rules (``JOURNEYKIT_STAGE_EVENTS``, ``JOURNEYKIT_RETENTION_PURCHASES``)."""

    consideration: frozenset[str]
    purchase: frozenset[str]
    advocacy: frozenset[str]
    retention_purchases: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Rules:
        from ..core.config import STAGE_EVENTS  # noqa: PLC0415 - config imports nothing of ours; keep it that way

        given = config.get("JOURNEYKIT_STAGE_EVENTS") or {}
        unknown = set(given) - set(STAGE_EVENTS)
        if unknown:
            raise ValueError(f"JOURNEYKIT_STAGE_EVENTS knows {sorted(STAGE_EVENTS)}, not {sorted(unknown)}.")
        names = {stage: frozenset(given.get(stage, default)) for stage, default in STAGE_EVENTS.items()}
        retention = config.get("JOURNEYKIT_RETENTION_PURCHASES", 2)
        if not isinstance(retention, int) or isinstance(retention, bool) or retention < 1:
            raise ValueError(f"JOURNEYKIT_RETENTION_PURCHASES must be a whole number from 1, not {retention!r}.")
        return cls(names["consideration"], names["purchase"], names["advocacy"], retention)

    def is_purchase(self, name: str, source: str) -> bool:
        return name in self.purchase and source != UNTRUSTED_SOURCE

    def raw_stage(self, name: str, source: str) -> int:
        """The highest stage this one event reaches by itself (retention needs several purchases)."""
        trusted = source != UNTRUSTED_SOURCE
        if trusted and name in self.advocacy:
            return ADVOCACY
        if trusted and name in self.purchase:
            return PURCHASE
        if name in self.consideration:
            return CONSIDERATION
        return AWARENESS


def current_rules() -> Rules:
    """The current app's rules."""
    return Rules.from_config(current_app.config)


def day_of(moment: dt.datetime) -> dt.date:
    """The UTC day of an aware time."""
    return moment.astimezone(dt.timezone.utc).date()


def week_of(day: dt.date) -> dt.date:
    """The Monday of a day's ISO week."""
    return day - dt.timedelta(days=day.weekday())


def lowered(reach: Reach, upto: int, moment: dt.datetime) -> Reach:
    """``reach`` after a raw reach of stage ``upto`` at ``moment`` (it reaches every stage up to it)."""
    return tuple(
        moment if index <= upto and (old is None or moment < old) else old for index, old in enumerate(reach)
    )


def stage_of(reach: Reach) -> Stage:
    """The highest stage reached (awareness when nothing is)."""
    reached = [index for index, moment in enumerate(reach) if moment is not None]
    return STAGES[reached[-1]] if reached else Stage.AWARENESS


def label(properties: Mapping[str, Any] | None, key: str) -> str | None:
    """A string property, cut to the column's size; anything else is ``None``."""
    value = (properties or {}).get(key) if isinstance(properties, Mapping) else None
    return value[:_LABEL_LENGTH] if isinstance(value, str) and value else None


def widget_of(name: str, properties: Mapping[str, Any] | None) -> str | None:
    """The widget a ``widget_viewed`` event names."""
    return label(properties, "widget") if name == "widget_viewed" else None


@dataclass
class Facts:
    """Everything derived about one person (what the people table and the rollups hold)."""

    reach: Reach = NO_REACH
    paid_orders: int = 0
    first_widget: str | None = None
    referral_code: str | None = None
    weeks: set[dt.date] = field(default_factory=set)

    @property
    def stage(self) -> Stage:
        return stage_of(self.reach)

    @property
    def last_active_week(self) -> dt.date | None:
        return max(self.weeks) if self.weeks else None


def fold(events: Iterable[Sequence[Any]], rules: Rules) -> Facts:
    """A person's facts from their events, as ``(name, source, occurred_at, properties)`` in arrival (id) order."""
    facts = Facts()
    raw: list[dt.datetime | None] = [None] * len(STAGES)
    purchases: list[dt.datetime] = []
    for name, source, moment, properties in events:
        if name in IGNORED_EVENTS:
            continue
        stage = rules.raw_stage(name, source)
        if raw[stage] is None or moment < raw[stage]:
            raw[stage] = moment
        if rules.is_purchase(name, source):
            purchases.append(moment)
        facts.first_widget = facts.first_widget or widget_of(name, properties)
        facts.referral_code = facts.referral_code or label(properties, "referral_code")
        facts.weeks.add(week_of(day_of(moment)))
    if len(purchases) >= rules.retention_purchases:
        raw[RETENTION] = sorted(purchases)[rules.retention_purchases - 1]
    facts.paid_orders = len(purchases)
    reach: list[dt.datetime | None] = [None] * len(STAGES)
    earliest: dt.datetime | None = None
    for index in reversed(range(len(STAGES))):
        if raw[index] is not None and (earliest is None or raw[index] < earliest):
            earliest = raw[index]
        reach[index] = earliest
    facts.reach = tuple(reach)
    return facts
