"""Testimonials: short quotes from customers (or promoted from published reviews) that the
owner curates onto a wall (:mod:`.lifecycle`); publishing one takes a buyer to advocacy.

The names below are the testimonials' public functions: the other
capabilities use these and nothing else of this package.
"""

from __future__ import annotations

from . import reports  # noqa: F401 - registers the testimonials' Prometheus family
from .lifecycle import get, publish, wall
from .privacy import forget, personal_data

__all__ = ["forget", "get", "personal_data", "publish", "wall"]
