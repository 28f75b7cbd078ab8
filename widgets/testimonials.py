"""The testimonial grid, rendered on the server so the quotes are in the page without JavaScript."""

from __future__ import annotations

from typing import Any

from journeykit import testimonials

#: The most the server renders in one grid (a wall, not an archive).
MAX_SHOWN = 24


def testimonials_context(tag: str | None = None, limit: int = 6) -> dict[str, Any]:
    """What ``journeykit/widgets/testimonials.html`` shows: the first ``limit`` of the wall."""
    limit = max(1, min(int(limit), MAX_SHOWN))
    return {"testimonials": testimonials.wall(tag=tag or None, limit=limit), "tag": tag}
