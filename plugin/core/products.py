"""The shop's products as its ``@journey.product_loader`` describes them, asked once per product and request.

Without a loader every product id of the right shape is accepted and shown
by its id; with one, a product it does not know (``None``) gets no reviews,
photos or events, and every page and widget shows the loader's name.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urljoin

from flask import current_app, g, has_request_context, request

from .errors import NotFound

_CACHE = "journeykit_products"
_FAILED = "journeykit_products_failed"

log = logging.getLogger("journeykit")


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


def label(product_id: str) -> dict[str, Any]:
    """What an owner's page calls the product: ``name`` (the loader's, else the id), ``url``, whether ``named``.

    Only for showing it: a loader that raises, returns ``None`` or no name
    leaves the product shown by its id (a raise is logged once a request), so
    one broken product never takes a page down.  :func:`require` still lets
    the loader's error through where the product's existence matters.
    """
    failed: set[str] = g.setdefault(_FAILED, set()) if has_request_context() else set()
    try:
        facts = {} if product_id in failed else describe(product_id) or {}
    except Exception:  # the shop's code: anything may go wrong in it, and a page must still show
        log.exception("journeykit: the product loader failed for %r; showing the product by its id", product_id)
        failed.add(product_id)  # not asked again in this request (nor cached as known: require() asks anew)
        facts = {}
    if not isinstance(facts, dict):
        facts = {}
    name, url = facts.get("name"), facts.get("url")
    named = isinstance(name, str) and bool(name.strip())
    return {"name": name if named else product_id, "url": url if isinstance(url, str) else None, "named": named}


def name(product_id: str) -> str:
    """What to call the product on a page: the loader's name, else its id (see :func:`label`)."""
    return label(product_id)["name"]


def require(product_id: str) -> dict[str, Any]:
    """The product's facts, or a 404 ``unknown_product`` when the shop's loader does not know it."""
    found = describe(product_id)
    if found is None:
        raise NotFound(f"The shop has no product {product_id!r}.", error_code="unknown_product")
    return found
