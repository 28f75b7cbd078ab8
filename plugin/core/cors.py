"""Which storefront origins may call JourneyKit from their pages (``JOURNEYKIT_ALLOWED_ORIGINS``), and the headers
that say so: one place for the app's answers and for the reads answered in front of it (:mod:`.early_reads`)."""

from __future__ import annotations

from typing import Any

from . import config
from .identity import TOKEN_HEADER, VISITOR_HEADER

_ALLOWED_HEADERS = ", ".join(["Content-Type", "Authorization", TOKEN_HEADER, VISITOR_HEADER])


def headers(origin: str | None, allowed: Any) -> list[tuple[str, str]]:
    """The ``Access-Control-*`` headers for a request from ``origin``: none unless it is one of ``allowed``."""
    if not origin or origin not in config.as_list(allowed):
        return []
    return [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Headers", _ALLOWED_HEADERS),
            ("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS"),
            ("Access-Control-Max-Age", "600")]


def vary(names: str | None) -> str:
    """A ``Vary`` header's value with ``Origin`` added (the CORS headers depend on it), the rest kept as written."""
    if not names:
        return "Origin"
    if "origin" in (name.strip().lower() for name in names.split(",")):
        return names
    return f"{names}, Origin"
