"""The testimonial grid or carousel, rendered on the server so the quotes are in the page without JavaScript."""

from __future__ import annotations

from typing import Any

from journeykit import testimonials
from journeykit.core.errors import ValidationError

#: The most the server renders in one grid (a wall, not an archive).
MAX_SHOWN = 24
LAYOUTS = ("grid", "carousel")


def testimonials_context(
    tag: str | None = None, limit: int = 6, layout: str = "grid", autoplay: int | None = None
) -> dict[str, Any]:
    """What ``journeykit/widgets/testimonials.html`` shows: the first ``limit`` of the wall."""
    if layout not in LAYOUTS:
        raise ValidationError(f"layout must be one of {', '.join(LAYOUTS)}.", fields={"layout": ["Not a valid layout."]})
    limit = max(1, min(int(limit), MAX_SHOWN))
    return {
        "testimonials": testimonials.wall(tag=tag or None, limit=limit),
        "tag": tag,
        "layout": layout,
        "autoplay": max(3, int(autoplay)) if autoplay else None,
    }
