"""What a submitted review's text may hold, and whether it publishes without moderation."""

from __future__ import annotations

import re
from typing import Any, Mapping

from ..core import config, config_checks
from ..core.errors import ValidationError

_LINK = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|io|co|shop|store|biz|info|xyz|ru|cn)\b")


def count_links(*texts: str) -> int:
    return sum(len(_LINK.findall(text)) for text in texts)


def check_text(settings: Mapping[str, Any], *texts: str) -> int:
    """Refuse text with too many links or a blocked word (422); return the number of links."""
    links = count_links(*texts)
    most = int(settings["JOURNEYKIT_REVIEWS_MAX_LINKS"])
    if links > most:
        raise ValidationError(
            f"A review may hold at most {most} link(s).", error_code="too_many_links", fields={"body": ["Too many links."]}
        )
    blocked = [word.lower() for word in config.as_list(settings["JOURNEYKIT_REVIEWS_BLOCKED_WORDS"])]
    words = set(re.findall(r"\w+", " ".join(texts).lower()))
    if blocked and words.intersection(blocked):
        raise ValidationError(
            "The review contains words this shop does not accept.", error_code="blocked_words",
            fields={"body": ["Please rephrase."]},
        )
    return links


def publishes_at_once(settings: Mapping[str, Any], *, verified: bool, rating: int, links: int) -> bool:
    """The shop's policy; by default a verified buyer's 4–5 stars without links publish at once."""
    policy = settings["JOURNEYKIT_REVIEWS_AUTO_PUBLISH"]
    if policy == "all":
        return links == 0
    if policy == "none":
        return False
    return verified and rating >= 4 and links == 0


def describe(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The live settings, as the public "how reviews are collected" notice shows them."""
    return {
        "auto_publish": settings["JOURNEYKIT_REVIEWS_AUTO_PUBLISH"],
        "publish_after_days": config_checks.days_or_never(settings["JOURNEYKIT_REVIEWS_PUBLISH_AFTER_DAYS"]),
        "max_links": int(settings["JOURNEYKIT_REVIEWS_MAX_LINKS"]),
    }
