"""The five stages of the customer journey, as an ordered enum."""

from __future__ import annotations

import enum


class Stage(str, enum.Enum):
    """A stage of the customer journey.

    Stages are ordered (``Stage.AWARENESS < Stage.PURCHASE``): reaching a
    stage counts as having reached every stage before it.  The values are the
    lowercase names that the JSON API and the database use.
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
