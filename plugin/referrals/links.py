"""The referral link ``{prefix}/r/<code>``: the click, the visitor's attribution, and the landing on the shop.

Whatever follows ``/r/``, the answer is a 302 to the shop's own landing
path (``JOURNEYKIT_REFERRAL_LANDING_PATH``, checked at start to be a path
on this site), so the link can never send anyone elsewhere.  A live code
adds ``?ref=CODE`` (the shop shows the friend's offer), logs
``referral_clicked`` once per visitor, code and day, and attributes the
visitor to the code for ``JOURNEYKIT_REFERRAL_ATTRIBUTION_DAYS`` (the last
click wins).  Bots (as the journey's events judge them) and visitors over
the rate limit land the same way with nothing recorded.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode, urlsplit, urlunsplit

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, redirect, request

from .. import journey
from ..core import dialects, rate_limits, settings, signals
from ..core.db import session, utcnow
from ..core.dialects import insert_if_absent
from ..core.identity import is_visitor_id, new_visitor_id
from . import codes, spikes
from .models import Attribution, ReferralClick, ReferralCode

#: The journey event a click logs.
CLICKED = "referral_clicked"
#: The visitor cookie a link sets lasts a year (the embed script and ``checkout_params`` read it).
COOKIE_DAYS = 365
#: A click this much after a payment's time still counts for it (Stripe's clock and seconds against ours).
CLOCK_GRACE = dt.timedelta(minutes=1)


def follow(code: str) -> Response:
    """Record the click of a live code and send the visitor to the shop's landing page."""
    found = codes.live(code)
    visitor_id, fresh = _visitor()
    if found is not None and _recordable():
        click(found, visitor_id)
        signals.commit()
    response = redirect(landing_url(found.code if found is not None else None), code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    if fresh:
        response.set_cookie(current_app.config["JOURNEYKIT_VISITOR_COOKIE"], visitor_id,
                            max_age=COOKIE_DAYS * 24 * 3600, secure=request.is_secure, httponly=True, samesite="Lax")
    return response


def _visitor() -> tuple[str, bool]:
    """The visitor's id from their cookie, or a new one (``True``: set the cookie)."""
    cookie = request.cookies.get(current_app.config["JOURNEYKIT_VISITOR_COOKIE"], "")
    if is_visitor_id(cookie):
        return cookie, False
    return new_visitor_id(), True


def _recordable() -> bool:
    """A person's click (a GET) within the rate limit: bots, HEAD probes, floods and the owner testing a link land
    unrecorded, never refused."""
    if request.method != "GET" or journey.ignored_agent(request.user_agent.string) or journey.owner_request():
        return False
    try:
        rate_limits.hit("referral_link", "JOURNEYKIT_EVENTS_RATE_LIMIT", f"address:{rate_limits.client_address()}")
    except rate_limits.TooManyRequests:
        return False
    return True


def click(code: ReferralCode, visitor_id: str, at: dt.datetime | None = None) -> None:
    """Count the visitor's click (once a day per code) and attribute them to the code; the caller commits."""
    now = at or utcnow()
    day = now.astimezone(dt.timezone.utc).date()
    first_today = insert_if_absent(ReferralClick.__table__, {"code_id": code.id, "day": day, "visitor_id": visitor_id,
                                                             "clicked_at": now}, on=["code_id", "day", "visitor_id"])
    if first_today:
        spikes.record_click(code.id, now)
        journey.record_event(CLICKED, visitor_id=visitor_id, properties={"referral_code": code.code}, source="browser",
                             at=now)
    attribute(code, visitor_id, now)


def attribute(code: ReferralCode, visitor_id: str, at: dt.datetime) -> None:
    """Join the visitor to the code until the window closes; a later click replaces an earlier one (last click wins)."""
    values = {"code_id": code.id, "clicked_at": at,
              "expires_at": at + dt.timedelta(days=settings.value("JOURNEYKIT_REFERRAL_ATTRIBUTION_DAYS"))}
    if not insert_if_absent(Attribution.__table__, {"visitor_id": visitor_id, **values}, on=["visitor_id"]):
        session().execute(sa.update(Attribution).where(Attribution.visitor_id == visitor_id,
                                                       Attribution.clicked_at <= at).values(**values))


def attributed(visitor_id: str | None, at: dt.datetime | None = None) -> ReferralCode | None:
    """The live code the visitor is attributed to at ``at`` (default now): clicked by then, window still open.

    "By then" allows :data:`CLOCK_GRACE`: Stripe dates a payment to the
    second, by its own clock.
    """
    if not visitor_id or not is_visitor_id(visitor_id):
        return None
    at = at or utcnow()
    return session().scalars(sa.select(ReferralCode).join(Attribution, Attribution.code_id == ReferralCode.id).where(
        Attribution.visitor_id == visitor_id, Attribution.clicked_at <= at + CLOCK_GRACE, Attribution.expires_at > at,
        ReferralCode.disabled_at.is_(None))).first()


def attributed_code(visitor_id: str | None, at: dt.datetime | None = None) -> str | None:
    """The code a visitor came through and whose window is open at ``at`` (default now), or ``None``."""
    found = attributed(visitor_id, at)
    return found.code if found is not None else None


def landing_url(code: str | None) -> str:
    """The shop's landing path, with ``ref=CODE`` added to its query for a live code."""
    parts = urlsplit(settings.value("JOURNEYKIT_REFERRAL_LANDING_PATH"))
    query = parts.query
    if code is not None:
        query = f"{query}&{urlencode({'ref': code})}" if query else urlencode({"ref": code})
    return urlunsplit(("", "", parts.path, query, parts.fragment))


def register(root: Blueprint) -> None:
    """``GET {prefix}/r/<code>`` (anything after ``/r/`` lands on the shop)."""
    # A GET that writes: run again after a deadlock, as the writing API views are (web.retry_writes_after_deadlocks).
    root.add_url_rule("/r/<path:code>", view_func=dialects.retry_deadlocks(follow), endpoint="referral_link",
                      methods=["GET"])
