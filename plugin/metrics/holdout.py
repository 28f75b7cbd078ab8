"""Widget hold-out groups: a stable share of visitors who are not shown a widget.

Comparing the people shown a widget with those held out of it is the only
way to tell whether the widget moves anyone, rather than merely being seen by
people who would have bought anyway.  A visitor's group is a pure function of
their visitor id and the widget, computed identically here and in
``embed.js`` (32-bit FNV-1a, which needs nothing a plain-HTTP page lacks), so
a visitor stays in one group on every page and every visit.

Only the widgets that ``embed.js`` draws from the API are held out; the
server-rendered fragments are not, so search engines always see the reviews.
The embed script logs ``widget_held_out`` where it would have logged
``widget_viewed``: both groups are counted at the same moment.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from ..core import config, openapi
from ..core import settings as shop_settings

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
#: Buckets per visitor: a share is honoured to 1/10,000.
BUCKETS = 10_000


def fnv1a_32(text: str) -> int:
    """The 32-bit FNV-1a hash of ``text``'s UTF-8 bytes."""
    value = _FNV_OFFSET
    for byte in text.encode():
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def bucket(visitor_id: str, widget: str) -> int:
    """The visitor's bucket for ``widget``, from 0 to ``BUCKETS - 1``; each widget splits independently."""
    return fnv1a_32(f"{widget}:{visitor_id}") % BUCKETS


def settings() -> dict[str, Any]:
    """The hold-out as the embed script needs it: the share, and the widgets it applies to."""
    app_config = current_app.config
    share = float(shop_settings.value("JOURNEYKIT_HOLDOUT_SHARE"))
    widgets = config.as_list(app_config["JOURNEYKIT_HOLDOUT_WIDGETS"]) if share else []
    return {"share": share, "buckets": round(share * BUCKETS), "widgets": widgets}


def is_held_out(visitor_id: str, widget: str) -> bool:
    """Whether this visitor is in ``widget``'s hold-out group."""
    current = settings()
    return widget in current["widgets"] and bucket(visitor_id, widget) < current["buckets"]


#: How long browsers and proxies may keep the embed settings (seconds).
SETTINGS_MAX_AGE = 300


@openapi.documented(response=openapi.json_object(holdout={"type": "object", "properties": {
    "share": {"type": "number"}, "buckets": {"type": "integer"}, "widgets": {"type": "array", "items": {"type": "string"}},
}}))
def embed_settings() -> tuple[dict[str, Any], int, dict[str, str]]:
    """``GET /api/v1/embed/settings``: what every copy of the embed script must agree on."""
    return {"holdout": settings()}, 200, {"Cache-Control": f"public, max-age={SETTINGS_MAX_AGE}"}


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/embed/settings", view_func=embed_settings, methods=["GET"])
