"""The shop's products as its ``@journey.product_loader`` describes them, asked once per product and request.

Without a loader every product id of the right shape is accepted and shown
by its id; with one, a product it does not know (``None``) gets no reviews,
photos or events, and every page and widget shows the loader's name.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context

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
        cache[product_id] = loader(product_id)
    return cache[product_id]


def name(product_id: str) -> str:
    """What to call the product on a page: the loader's name, else its id."""
    return (describe(product_id) or {}).get("name") or product_id


def require(product_id: str) -> dict[str, Any]:
    """The product's facts, or a 404 ``unknown_product`` when the shop's loader does not know it."""
    found = describe(product_id)
    if found is None:
        raise NotFound(f"The shop has no product {product_id!r}.", error_code="unknown_product")
    return found
