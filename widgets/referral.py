"""The shopper's referral widget and the friend's banner, rendered on the server.

A signed-in shopper sees their own link (absolute, with a Copy button), plain
share links (e-mail, WhatsApp, X, Facebook: no third-party script), their
clicks, the friends who bought and their rewards; anyone else sees the offer
and a call to join.  The banner greets a friend who came through a link with
the friend's offer.  Everything is drawn here in its final layout, so embed.js
only wires up the Copy button: nothing moves when it arrives.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import current_app, g, request

from journeykit import journey, referrals
from journeykit.core import signals
from journeykit.core.identity import is_visitor_id

#: The subject of the e-mail a shopper sends a friend.
SUBJECT = "A shop I think you will like"


def referral_context() -> dict[str, Any]:
    """What ``journeykit/widgets/referral.html`` shows: the offer, and the signed-in shopper's own link if any."""
    me = _shoppers_referral()
    context: dict[str, Any] = {"offer": referrals.offer.sentence(), "me": me, "uid": _next_id(),
                               "signup_url": current_app.config["JOURNEYKIT_LOYALTY_SIGNUP_URL"]}
    if me is not None:
        context.update(share=share_links(me["url"], referrals.offer.friend_words()), stats=stats(me), coupons=coupons(me))
    return context


def banner_context() -> dict[str, Any] | None:
    """What ``journeykit/widgets/referral_banner.html`` shows, or ``None`` when this visitor was not referred."""
    code = referred_code()
    if code is None:
        return None
    return {"code": code, "reward": referrals.offer.friend_words()}


def referred_code() -> str | None:
    """The live code this request came with: ``?ref=CODE`` of a code in use, else the visitor's attribution.

    A forged ``?ref=`` (any length or alphabet) is simply not a code: no banner.
    """
    code = referrals.live_code(request.args.get("ref", ""))
    if code is not None:
        return code
    visitor = request.cookies.get(current_app.config["JOURNEYKIT_VISITOR_COOKIE"], "")
    return referrals.attributed_code(visitor) if is_visitor_id(visitor) else None


def _shoppers_referral() -> dict[str, Any] | None:
    """The signed-in shopper's ``/me/referral`` view (their code made on first use), or ``None`` for anyone else.

    As the loyalty widget does, a shopper JourneyKit has not met is recorded
    (and committed) on first sight, and so is their new code.
    """
    shopper = current_app.extensions["journeykit"].journey.current_shopper()
    if shopper is None:
        return None
    me = referrals.for_shopper(journey.find_customer(shopper.customer_id) or journey.customer_for(shopper))
    signals.commit()
    return me


def coupons(me: dict[str, Any]) -> list[str]:
    """The referrer's coupon codes still theirs to use (a reversed referral's coupon was withdrawn)."""
    return [coupon["code"] for coupon in me["rewards"]["coupons"] if coupon["status"] == "rewarded"]


def stats(me: dict[str, Any]) -> list[tuple[str, str]]:
    """The shopper's figures, ``(label, value)``: clicks, friends who bought, rewards earned and still pending."""
    count = len(coupons(me))
    earned = [referrals.offer.points(me["rewards"]["points"])] if me["rewards"]["points"] or not count else []
    if count:
        earned.append(f"{count} coupon{'s' if count != 1 else ''}")
    return [("Clicks", f"{me['clicks']:,}"), ("Friends who bought", f"{me['conversions']:,}"),
            ("Rewards earned", " and ".join(earned)), ("Rewards pending", f"{me['pending']:,}")]


def share_links(url: str, friend: str | None) -> list[dict[str, str]]:
    """Where a shopper can share ``url``: ``{network, name, label, href}`` (``name`` shown, ``label`` read out).

    Plain links, every part percent-encoded (``%20``, never ``+``, which mail clients keep as is).
    """
    message = f"Get {friend} your first order with my link:" if friend else f"{SUBJECT}:"

    def q(text: str) -> str:
        return quote(text, safe="")

    return [
        {"network": "email", "name": "E-mail", "label": "Share by e-mail",
         "href": f"mailto:?subject={q(SUBJECT)}&body={q(f'{message} {url}')}"},
        {"network": "whatsapp", "name": "WhatsApp", "label": "Share on WhatsApp",
         "href": f"https://wa.me/?text={q(f'{message} {url}')}"},
        {"network": "x", "name": "X", "label": "Share on X",
         "href": f"https://twitter.com/intent/tweet?text={q(message)}&url={q(url)}"},
        {"network": "facebook", "name": "Facebook", "label": "Share on Facebook",
         "href": f"https://www.facebook.com/sharer/sharer.php?u={q(url)}"},
    ]


def _next_id() -> str:
    """An id prefix unique in the page, for the link's label."""
    g.journeykit_referral_ids = g.get("journeykit_referral_ids", 0) + 1
    return f"journeykit-referral-{g.journeykit_referral_ids}"
