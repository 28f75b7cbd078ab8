"""The time between stages from per-day histograms of waits: within the stated 1%, at a cost that follows the days.

The quantiles are checked against exact ones in tests/test_stage_figures.py
(random histories, every period) and tests/test_funnel.py; here: the bound
itself on waits of every size, what the read costs, and the migration that
fills the histograms from the people already stored.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
from collections import Counter

import pytest
import sqlalchemy as sa

from journeykit.core import migrate
from journeykit.core.db import session
from journeykit.journey import waits
from journeykit.journey.rollups import STAGE_WAITS, snapshot

from .people_helpers import day, log
from .sql_statements import recorded

SHARES = (0.1, 0.5, 0.9, 0.99)


def _exact(values: list[float], share: float) -> float:
    return values[0] if len(values) == 1 else statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


@pytest.mark.parametrize("seed", range(20))
def test_every_quantile_is_within_the_stated_relative_error(seed):
    rng = random.Random(seed)
    # from a microsecond to years, with ties at zero (a purchase is consideration at the same moment)
    values = [0.0] * rng.randrange(3) + [round(10 ** rng.uniform(-6, 8), 6) for _ in range(rng.randrange(1, 300))]
    counts = Counter(waits.bucket_of(dt.timedelta(seconds=value)) for value in values)
    values.sort()
    for share in SHARES:
        exact = _exact(values, share)
        assert abs(waits.quantile(counts, share) - exact) <= waits.RELATIVE_ERROR * exact + 1e-9, (share, exact)


def test_no_wait_and_no_one_are_answered_as_such():
    assert waits.quantile({}, 0.5) is None
    assert waits.quantile({waits.bucket_of(dt.timedelta(0)): 3}, 0.9) == 0.0


def test_the_time_between_stages_is_one_read_of_the_histograms_not_of_the_people(app, journey):
    for n in range(6):
        log(app, "page_viewed", visitor=f"histogram-visitor-{n:02d}-0123456789", at=day(n))
        log(app, "product_viewed", visitor=f"histogram-visitor-{n:02d}-0123456789", at=day(n + 0.5 * n))
    with recorded(app) as statements, app.app_context():
        times = journey.metrics.time_between_stages(day(0).date(), day(30).date())
    assert times["consideration"]["people"] == 6
    assert len(statements) == 1 and "journeykit_stage_waits" in statements[0].sql, statements
    assert "journeykit_people" not in statements[0].sql


def test_the_migration_fills_the_histograms_from_the_people_stored(app, journey):
    """Upgrading a database whose people predate the histograms counts them all, as the live path did."""
    for n in range(12):
        who = {"customer": f"c-{n}"} if n % 3 else {"visitor": f"histogram-visitor-{n:02d}-0123456789"}
        log(app, "page_viewed", at=day(n), **who)
        log(app, "product_viewed", at=day(n + n / 7), **who)
        if "customer" in who:
            log(app, "purchase", source="stripe", at=day(n + n / 5), **who)
        if n % 4 == 1:
            log(app, "purchase", source="stripe", at=day(n + 3), **who)
    with app.app_context():
        live = snapshot()[STAGE_WAITS]
        assert sum(live.values()) > 12
        session().remove()  # no open transaction for the DROP TABLE to wait on
        migrate.downgrade("7c2e4a1b9d03")
        assert "journeykit_stage_waits" not in sa.inspect(session().get_bind()).get_table_names()
        session().remove()
        migrate.upgrade()
        assert snapshot()[STAGE_WAITS] == live
