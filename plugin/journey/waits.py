"""Log-spaced buckets of waits between stages: quantiles of any period from per-day counts, within 1%.

A wait of ``w`` microseconds (``w >= 1``) falls in bucket ``ceil(log(w) / log(GAMMA))``,
which holds the waits in ``(GAMMA**(b-1), GAMMA**b]``; the bucket stands for
``2 * GAMMA**b / (GAMMA + 1)``, which is within :data:`RELATIVE_ERROR` of every
wait in it (the scheme of DDSketch, Masson et al., VLDB 2019).  A quantile
interpolated between two such values is within the same relative error of
the quantile of the exact waits.  A wait of zero (both stages reached at
once) has its own bucket, :data:`NO_WAIT`, and stands for zero.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Iterable, Mapping

#: The largest relative error of a reported wait (1%), before its rounding to a tenth of a second.
RELATIVE_ERROR = 0.01
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(GAMMA)
#: The bucket of a wait of zero.
NO_WAIT = -1


def bucket_of(wait: dt.timedelta) -> int:
    """The bucket of a wait (never negative: a stage is never reached before the one it is timed from)."""
    microseconds = max(wait // dt.timedelta(microseconds=1), 0)
    if microseconds == 0:
        return NO_WAIT
    return max(math.ceil(math.log(microseconds) / _LOG_GAMMA), 0)


def seconds_of(bucket: int) -> float:
    """The wait, in seconds, a bucket stands for."""
    if bucket == NO_WAIT:
        return 0.0
    return 2 * GAMMA**bucket / (GAMMA + 1) / 1_000_000


def quantile(counts: Mapping[int, int], share: float) -> float | None:
    """The ``share`` quantile (type 7, as :func:`statistics.quantiles` ``method="inclusive"``) of the waits
    counted by bucket, in seconds; ``None`` without any."""
    ordered = sorted((bucket, people) for bucket, people in counts.items() if people > 0)
    total = sum(people for _, people in ordered)
    if not total:
        return None
    position = share * (total - 1)
    low = int(position)
    low_value, high_value = _at_rank(ordered, low), _at_rank(ordered, min(low + 1, total - 1))
    return low_value + (high_value - low_value) * (position - low)


def _at_rank(ordered: Iterable[tuple[int, int]], rank: int) -> float:
    """The value of the wait of ``rank`` (from 0) in bucket order."""
    seen = 0
    for bucket, people in ordered:
        seen += people
        if rank < seen:
            return seconds_of(bucket)
    raise IndexError(rank)
