"""Which events take a person to which stage, and when a person reached each stage.

The rules are INTERFACE.md's "Journey stages".  A person's *reach* of a
stage is the first moment its rule held for them, from their events dated
by when they happened (events arrive out of order: Stripe dates its own):

- awareness: their earliest event of any kind;
- consideration: their earliest engagement: a consideration event, or a
  review, testimonial or converted referral of theirs (an advocacy event:
  before their first paid order it is what a non-buyer's review is,
  engagement), or their first paid order if that is earlier (a buyer
  considered);
- purchase: their earliest paid order (only a trusted purchase event);
- retention: their Nth paid order by time (``JOURNEYKIT_RETENTION_PURCHASES``);
- advocacy: the first moment they are a buyer with an advocacy event, the
  later of their first paid order and their earliest advocacy event.  A
  review published before the first paid order therefore makes an advocate
  at that order, not before: until then the reviewer was not a buyer.

Every stage after consideration implies awareness and consideration (their
reach times are never later); retention and advocacy both need purchase and
do not imply each other.  The stage is the furthest reached, in the order of
:class:`~.stages.Stage`: a one-time buyer who reviews is an advocate and has
no retention reach.  Each reach is a min or max of event times, so the order
in which the events arrive changes nothing.

The same rules serve the live path (an event at a time, :func:`advance`),
the merge of a visitor into a customer and ``flask journeykit stages
rebuild`` (both :func:`fold`, from the whole history); the tests hold the two
to the same answer on random histories.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

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
        """A paid order: the only thing that makes a buyer (never from the storefront)."""
        return name in self.purchase and source != UNTRUSTED_SOURCE

    def is_advocacy(self, name: str, source: str) -> bool:
        """A published review or testimonial, or a converted referral (advocacy for a buyer, engagement before)."""
        return name in self.advocacy and source != UNTRUSTED_SOURCE

    def raw_stage(self, name: str, source: str) -> int:
        """The furthest stage this one event can stand for by itself (whether it does depends on the rest)."""
        if self.is_advocacy(name, source):
            return ADVOCACY
        if self.is_purchase(name, source):
            return PURCHASE
        if name in self.consideration:
            return CONSIDERATION
        return AWARENESS

    def engages(self, name: str, source: str) -> bool:
        """Whether the event counts for consideration (an advocacy event or a purchase does too)."""
        return self.raw_stage(name, source) >= CONSIDERATION


def current_rules() -> Rules:
    """The current app's rules."""
    return Rules.from_config(current_app.config)


def day_of(moment: dt.datetime) -> dt.date:
    """The UTC day of an aware time."""
    return moment.astimezone(dt.timezone.utc).date()


def week_of(day: dt.date) -> dt.date:
    """The Monday of a day's ISO week."""
    return day - dt.timedelta(days=day.weekday())


#: The stage each one converts from (awareness converts from none): the journey's tree.
CONVERTS_FROM: dict[int, int | None] = {
    index: (stage.converts_from.rank if stage.converts_from is not None else None) for index, stage in enumerate(STAGES)
}


def implied_by(index: int) -> tuple[int, ...]:
    """The stages whose reach implies reaching stage ``index`` (itself included): itself and every stage after it in the tree."""
    return tuple(later for later in range(len(STAGES)) if _follows(later, index))


def _follows(later: int, earlier: int) -> bool:
    step: int | None = later
    while step is not None and step != earlier:
        step = CONVERTS_FROM[step]
    return step == earlier


def _earliest(old: dt.datetime | None, moment: dt.datetime) -> dt.datetime:
    return moment if old is None or moment < old else old


def stage_of(reach: Reach) -> Stage:
    """The furthest stage reached (awareness when nothing is)."""
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


def reach_from(
    seen: dt.datetime | None,
    engaged: dt.datetime | None,
    purchases: Sequence[dt.datetime],
    advocated: dt.datetime | None,
    rules: Rules,
) -> Reach:
    """The reach of every stage from a person's earliest event, engagement, advocacy event and their paid orders (the rules above)."""
    bought = min(purchases) if purchases else None
    considered = min(engaged, bought) if engaged is not None and bought is not None else engaged or bought
    repeat = sorted(purchases)[rules.retention_purchases - 1] if len(purchases) >= rules.retention_purchases else None
    advocate = max(bought, advocated) if bought is not None and advocated is not None else None
    return (seen, considered, bought, repeat, advocate)


def fold(events: Iterable[Sequence[Any]], rules: Rules) -> Facts:
    """A person's facts from their whole history, as ``(name, source, occurred_at, properties)`` in arrival (id) order."""
    facts = Facts()
    seen = engaged = advocated = None
    purchases: list[dt.datetime] = []
    for name, source, moment, properties in events:
        if name in IGNORED_EVENTS:
            continue
        seen = _earliest(seen, moment)
        if rules.engages(name, source):
            engaged = _earliest(engaged, moment)
        if rules.is_purchase(name, source):
            purchases.append(moment)
        if rules.is_advocacy(name, source):
            advocated = _earliest(advocated, moment)
        facts.first_widget = facts.first_widget or widget_of(name, properties)
        facts.referral_code = facts.referral_code or label(properties, "referral_code")
        facts.weeks.add(week_of(day_of(moment)))
    facts.paid_orders = len(purchases)
    facts.reach = reach_from(seen, engaged, purchases, advocated, rules)
    return facts


def advance(
    reach: Reach,
    name: str,
    source: str,
    moment: dt.datetime,
    rules: Rules,
    *,
    paid_orders: int,
    nth_purchase: Callable[[], dt.datetime],
    first_advocacy: Callable[[], dt.datetime | None],
) -> Reach:
    """``reach`` after one more event, as :func:`fold` of the whole history would give it (the live path).

    ``paid_orders`` counts this event already; the two callables read the
    person's log (this event included) only when the stored reach cannot
    tell: the Nth paid order by time, and the earliest advocacy event of a
    person whose advocacy, if any, is pinned to their first purchase (an
    advocacy event before it, or a non-buyer's, leaves no trace in the reach).
    """
    seen, considered, bought, repeat, advocate = reach
    seen = _earliest(seen, moment)
    if rules.engages(name, source):
        considered = _earliest(considered, moment)
    if rules.is_purchase(name, source):
        repeat = _nth_after(repeat, bought, moment, paid_orders, rules.retention_purchases, nth_purchase)
        if bought is None or moment < bought:
            if bought is None or advocate == bought:
                advocated = first_advocacy()
                advocate = max(moment, advocated) if advocated is not None else None
            # else: no advocacy event at all (a buyer with one has an advocacy reach), or the
            # earliest one came after the old first purchase and still does.
            bought = moment
    if rules.is_advocacy(name, source) and bought is not None:
        advocate = _earliest(advocate, max(bought, moment))
    return (seen, considered, bought, repeat, advocate)


def _nth_after(
    repeat: dt.datetime | None, bought: dt.datetime | None, moment: dt.datetime, paid_orders: int, nth: int,
    read: Callable[[], dt.datetime],
) -> dt.datetime | None:
    """When the ``nth`` paid order happened once one more, at ``moment``, makes ``paid_orders``; the log is read
    only when the stored reach cannot tell.

    A purchase no earlier than the Nth leaves the N earliest as they were, so a
    regular customer's next order reads nothing; the second of two purchases is
    the later of them and the first.
    """
    if paid_orders < nth:
        return repeat
    if repeat is not None and moment >= repeat:
        return repeat
    if nth == paid_orders == 2 and bought is not None:
        return max(bought, moment)
    return read()
