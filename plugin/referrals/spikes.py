"""Codes whose clicks jump far above their usual rate (leaked to a coupon site), flagged for the owner.

Each link click a visitor makes counts once a day (:func:`record_click`,
called by the link's view when it records ``referral_clicked``).  A code
is flagged when its clicks in the last day (today's, or yesterday's if
more) are over ``JOURNEYKIT_REFERRAL_CLICK_SPIKE`` times its daily average
over the 28 days before, and at least :data:`MINIMUM` (a quiet code going
from 0 to 3 clicks is no leak).  A flagged code still works; its
conversions score higher (:mod:`.fraud`) until the owner clears the flag.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from ..core import limits, settings
from ..core.db import session, utcnow
from ..core.dialects import upsert_adding
from .models import ClickDay, ReferralCode

#: The fewest clicks in a day that can be a spike.
MINIMUM = 20
#: The days of a code's usual rate, before the last day's.
BASELINE_DAYS = 28


def record_click(code_id: int, at: dt.datetime | None = None) -> None:
    """Count one visitor's click on the code's link on ``at``'s day (UTC), in the caller's transaction."""
    day = (at or utcnow()).astimezone(dt.timezone.utc).date()
    row = {"code_id": code_id, "day": day, "clicks": 1}
    upsert_adding(ClickDay.__table__, [row], add="clicks")  # type: ignore[arg-type]


def clicks_of(code_id: int) -> int:
    """Every click the code's link counted."""
    return int(session().scalar(sa.select(sa.func.coalesce(sa.func.sum(ClickDay.clicks), 0))
                                .where(ClickDay.code_id == code_id)) or 0)


def flag_spikes(now: dt.datetime | None = None) -> list[str]:
    """Flag every unflagged code whose last day is a spike; the codes flagged now.  The caller commits."""
    today = (now or utcnow()).astimezone(dt.timezone.utc).date()
    factor = settings.value("JOURNEYKIT_REFERRAL_CLICK_SPIKE")
    recent_days = (today - dt.timedelta(days=1), today)
    start = recent_days[0] - dt.timedelta(days=BASELINE_DAYS)
    recent = sa.func.max(sa.case((ClickDay.day >= recent_days[0], ClickDay.clicks), else_=0))
    before = sa.func.sum(sa.case((ClickDay.day < recent_days[0], ClickDay.clicks), else_=0))
    rows = session().execute(
        sa.select(ClickDay.code_id, recent.label("recent"), before.label("before"))
        .join(ReferralCode, ReferralCode.id == ClickDay.code_id)
        .where(ClickDay.day >= start, ClickDay.day <= today, ReferralCode.flagged_at.is_(None))
        .group_by(ClickDay.code_id)
        .having(recent >= MINIMUM))
    flagged = []
    for code_id, last_day, baseline in rows:
        last_day, baseline = int(last_day), int(baseline or 0)
        if last_day * BASELINE_DAYS <= factor * baseline:  # exact: last_day > factor × baseline ÷ 28
            continue
        code = session().get(ReferralCode, code_id)
        code.flagged_at = utcnow()
        code.flag_reason = limits.fitted("journeykit_referral_codes.flag_reason", (
            f"{last_day} clicks in a day against {baseline / BASELINE_DAYS:.1f} a day over the {BASELINE_DAYS} days "
            f"before: shared on a coupon site?"), field="flag_reason")
        flagged.append(code.code)
    return flagged
