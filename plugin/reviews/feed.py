"""The Google product-reviews feed: ``GET {prefix}/feeds/google-product-reviews.xml``.

Public (Google Merchant Center fetches it), published reviews only, keyed by
the shop's product ids as SKUs, with GTIN, MPN and brand where the shop's
``@journey.product_loader`` supplies them.

Element names and order follow Google's "Product review feeds" XML schema
reference and sample feed (developers.google.com/product-review-feeds).  That
reference now says only ``<version>2.4</version>`` is supported, so the feed
declares 2.4, whose elements are those of 2.3 plus ``is_verified_purchase``
and ``is_incentivized_review`` (which we know for every review).

Every element is built with :mod:`xml.etree.ElementTree`, so hostile review
text is escaped by construction; the reviews are read and written in id
batches, so the feed streams for a shop of any size.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any, Iterator

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request, stream_with_context, url_for

from ..core.paging import keyset_batches
from .models import Review, ReviewStatus

VERSION = "2.4"
SCHEMA = f"http://www.google.com/shopping/reviews/schema/product/{VERSION}/product_reviews.xsd"
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<feed xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="{SCHEMA}">'
)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    element.text = text
    return element


def _timestamp(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Products:
    """The shop's product facts, asked once per product and feed."""

    def __init__(self) -> None:
        self._loader = current_app.extensions["journeykit"].journey._product_loader
        self._known: dict[str, dict[str, Any]] = {}

    def __call__(self, product_id: str) -> dict[str, Any]:
        if product_id not in self._known:
            info = (self._loader(product_id) if self._loader else None) or {}
            # Without a product page from the shop, the server-rendered reviews fragment is the page.
            url = info.get("url") or url_for("journeykit.widgets.fragment", kind="reviews", product=product_id, _external=True)
            self._known[product_id] = {**info, "url": url}
        return self._known[product_id]


def review_element(row: sa.Row, product: dict[str, Any]) -> ET.Element:
    """One ``<review>``, its children in the schema's order."""
    review = ET.Element("review")
    _sub(review, "review_id", str(row.id))
    _sub(_sub(review, "reviewer"), "name", row.author)
    _sub(review, "is_verified_purchase", "true" if row.verified_order_id is not None else "false")
    _sub(review, "is_incentivized_review", "true" if row.incentivised else "false")
    _sub(review, "review_timestamp", _timestamp(row.created_at))
    if row.title:
        _sub(review, "title", row.title)
    _sub(review, "content", row.body)
    # "group": the product page shows all of the product's reviews, not this one alone.
    _sub(review, "review_url", f"{product['url']}#journeykit-review-{row.id}", type="group")
    _sub(_sub(review, "ratings"), "overall", str(row.rating), min="1", max="5")
    item = _sub(_sub(review, "products"), "product")
    ids = _sub(item, "product_ids")
    for plural, key in (("gtins", "gtin"), ("mpns", "mpn")):
        if product.get(key):
            _sub(_sub(ids, plural), key, str(product[key]))
    _sub(_sub(ids, "skus"), "sku", row.product_id)
    if product.get("brand"):
        _sub(_sub(ids, "brands"), "brand", str(product["brand"]))
    if product.get("name"):
        _sub(item, "product_name", str(product["name"]))
    _sub(item, "product_url", product["url"])
    _sub(review, "is_spam", "false")
    return review


def feed() -> Iterator[str]:
    """The whole feed, in chunks: Google expects every review in every fetch."""
    yield _HEAD
    head = ET.Element("head")
    _sub(head, "version", VERSION)
    _sub(_sub(head, "publisher"), "name", current_app.config["JOURNEYKIT_SHOP_NAME"] or request.host)
    yield "".join(ET.tostring(child, encoding="unicode") for child in head)
    yield "<reviews>"
    products = _Products()
    query = sa.select(
        Review.id, Review.product_id, Review.author, Review.rating, Review.title, Review.body, Review.created_at,
        Review.verified_order_id, Review.incentivised,
    ).where(Review.status == ReviewStatus.PUBLISHED)
    for rows in keyset_batches(query, Review.id):
        yield "".join(ET.tostring(review_element(row, products(row.product_id)), encoding="unicode") for row in rows)
    yield "</reviews></feed>\n"


def feed_view() -> Response:
    return Response(stream_with_context(feed()), mimetype="application/xml")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/feeds/google-product-reviews.xml", view_func=feed_view, methods=["GET"])
