"""The reviews and rating widgets, rendered on the server so search engines see them.

The reviews fragment carries schema.org JSON-LD (a Product with its
AggregateRating and Review items, as Google's review snippets require), so a
shop's reviews count for search without any JavaScript.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from journeykit import reviews
from journeykit.core import products

if TYPE_CHECKING:
    from journeykit.reviews.models import Review

#: How many reviews the server renders (the embed script pages through the rest).
FIRST_PAGE = 5


def rating_context(product_id: str) -> dict[str, Any]:
    summary = reviews.rating(product_id)
    average = summary["average"]
    # "5" and "4.5" as embed.js writes them (JSON numbers), not "5.0": the page reads the same before and after the script.
    return {"rating": summary, "stars_percent": round(average / 5 * 100) if average else 0,
            "average_text": f"{average:g}" if average else ""}


def reviews_context(product_id: str, name: str | None = None) -> dict[str, Any]:
    """What ``journeykit/widgets/reviews.html`` shows: the first page, the summary, the JSON-LD.

    The product is named by ``name``, else by the shop's product loader, else
    by its id.  The first page is the API's ``newest`` page, and its cursor
    goes into the page, so embed.js pages on from there without fetching it again.
    """
    facts = products.describe(product_id) or {}
    name = name or facts.get("name") or product_id
    shown, next_cursor = reviews.published_page(product_id, "newest", limit=FIRST_PAGE)
    context = rating_context(product_id)
    context.update(reviews=shown, next_cursor=next_cursor, product_name=name,
                   json_ld=json_ld(product_id, {**facts, "name": name}, context["rating"], shown))
    return context


#: The loader's facts that schema.org's Product carries as they are.
_SCHEMA_FACTS = ("url", "image", "gtin", "mpn")


def json_ld(product_id: str, facts: dict[str, Any], summary: dict[str, Any], shown: list[Review]) -> dict[str, Any]:
    """A schema.org Product with its rating and reviews (Google's review-snippet shape)."""
    product: dict[str, Any] = {"@context": "https://schema.org", "@type": "Product", "name": facts["name"], "sku": product_id,
                               **{key: facts[key] for key in _SCHEMA_FACTS if facts.get(key)}}
    if facts.get("brand"):
        product["brand"] = {"@type": "Brand", "name": facts["brand"]}
    if summary["count"]:
        product["aggregateRating"] = {
            "@type": "AggregateRating", "ratingValue": summary["average"], "reviewCount": summary["count"],
            "bestRating": 5, "worstRating": 1,
        }
        product["review"] = [
            {
                "@type": "Review",
                "author": {"@type": "Person", "name": review.author},
                "datePublished": review.published_at.date().isoformat(),
                "name": review.title or None,
                "reviewBody": review.body,
                "reviewRating": {"@type": "Rating", "ratingValue": review.rating, "bestRating": 5, "worstRating": 1},
            }
            for review in shown
        ]
    return product
