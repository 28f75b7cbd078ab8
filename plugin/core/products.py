"""The shop's products as its ``@journey.product_loader`` describes them, asked once per product and request.

Without a loader every product id of the right shape is accepted and shown
by its id; with one, a product it does not know (``None``) gets no reviews,
photos or events, and every page and widget shows the loader's name.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from flask import current_app, g, has_request_context, request

from .errors import NotFound

_CACHE = "journeykit_products"


def describe(product_id: str) -> dict[str, Any] | None:
    """The loader's facts about the product (``name``, ``url``, ``image``, ``price``, ``gtin``, ``mpn``, ``brand``);
    ``{}`` without a loader, ``None`` for a product the loader does not know."""
    loader = current_app.extensions["journeykit"].journey._product_loader
    if loader is None:
        return {}
    cache = g.setdefault(_CACHE, {}) if has_request_context() else {}
    if product_id not in cache:
        cache[product_id] = _absolute(loader(product_id))
    return cache[product_id]


def _absolute(facts: dict[str, Any] | None) -> dict[str, Any] | None:
    """Paths (``url_for`` gives them) made whole addresses on the request's site: schema.org and feeds need them."""
    if facts is None or not has_request_context():
        return facts
    return {key: urljoin(request.url_root, value) if key in ("url", "image") and isinstance(value, str) else value
            for key, value in facts.items()}


def name(product_id: str) -> str:
    """What to call the product on a page: the loader's name, else its id."""
    return (describe(product_id) or {}).get("name") or product_id


def require(product_id: str) -> dict[str, Any]:
    """The product's facts, or a 404 ``unknown_product`` when the shop's loader does not know it."""
    found = describe(product_id)
    if found is None:
        raise NotFound(f"The shop has no product {product_id!r}.", error_code="unknown_product")
    return found
