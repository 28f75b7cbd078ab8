"""What the testimonials' table says: the testimonials' Prometheus family."""

from __future__ import annotations

from ..core.prometheus import grouped, source
from .models import Testimonial


@source("testimonials", "gauge", "Testimonials by curation status.", ("status",))
def _testimonials_by_status():
    return grouped(Testimonial.status)
