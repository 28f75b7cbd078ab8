"""The five stages of the customer journey, as an ordered enum."""

from __future__ import annotations

import enum


class Stage(str, enum.Enum):
    """A stage of the customer journey.

    Stages are ordered by how far into the journey they are
    (``Stage.AWARENESS < Stage.PURCHASE``), and a person's stage is the
    furthest whose rule holds.  The journey is not a single line, though:
    retention and advocacy both follow purchase and do not imply each other
    (:attr:`converts_from`), so ``stage >= Stage.PURCHASE`` means "has bought"
    but ``stage >= Stage.RETENTION`` does not mean "bought again": a one-time
    buyer who reviews is an advocate.  The values are the lowercase names that
    the JSON API and the database use.
    """

    AWARENESS = "awareness"
    CONSIDERATION = "consideration"
    PURCHASE = "purchase"
    RETENTION = "retention"
    ADVOCACY = "advocacy"

    @property
    def rank(self) -> int:
        """Position in the journey, from 0 (awareness) to 4 (advocacy)."""
        return _ORDER.index(self)

    @property
    def converts_from(self) -> Stage | None:
        """The stage people reach this one from, which its conversion is a share of (``None`` for awareness).

        Consideration from awareness, purchase from consideration, retention
        and advocacy both from purchase.
        """
        return _CONVERTS_FROM[self]

    # Each comparison is spelled out: ``functools.total_ordering`` keeps ``str``'s own
    # ``<=``, ``>`` and ``>=``, which would compare the names alphabetically.
    def __lt__(self, other: object) -> bool:
        return self.rank < other.rank if isinstance(other, Stage) else NotImplemented

    def __le__(self, other: object) -> bool:
        return self.rank <= other.rank if isinstance(other, Stage) else NotImplemented

    def __gt__(self, other: object) -> bool:
        return self.rank > other.rank if isinstance(other, Stage) else NotImplemented

    def __ge__(self, other: object) -> bool:
        return self.rank >= other.rank if isinstance(other, Stage) else NotImplemented

    def __str__(self) -> str:
        return self.value


_ORDER = list(Stage)
_CONVERTS_FROM: dict[Stage, Stage | None] = {
    Stage.AWARENESS: None,
    Stage.CONSIDERATION: Stage.AWARENESS,
    Stage.PURCHASE: Stage.CONSIDERATION,
    Stage.RETENTION: Stage.PURCHASE,
    Stage.ADVOCACY: Stage.PURCHASE,
}
