"""The five stages of the customer journey, as an ordered enum."""

from __future__ import annotations

import enum
import functools


@functools.total_ordering
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

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Stage):
            return NotImplemented
        return self.rank < other.rank

    def __str__(self) -> str:
        return self.value


_ORDER = list(Stage)
