"""Reviews of products: submitting and editing (:mod:`.lifecycle`; the shopper's side, forms and
prompts in :mod:`.authoring`), the shop's policy (:mod:`.policy`), moderation, publishing with
the product's rating kept in step, photos, review requests after a purchase, the Google feed,
CSV export and import.

A review is verified by a paid order of the product (asked of the orders
capability), and its publication takes the author to advocacy (logged in the
journey); other capabilities react to a review going on or off the
storefront through :data:`publication_handlers`.  The names below are the reviews' public functions: the other
capabilities use these and nothing else of this package.
"""

from __future__ import annotations

from .authoring import awaits_review, check_product, form_data, order_prompt, own_review, write
from .lifecycle import get, publication_handlers, publish, rating
from .listing import published_page
from .models import ReviewStatus
from .photo_storage import PhotoStorage
from .privacy import forget, personal_data
from .reports import review_rate, top_rated_products, waiting  # and the reviews' Prometheus family

__all__ = [
    "PhotoStorage",
    "ReviewStatus",
    "awaits_review",
    "check_product",
    "forget",
    "form_data",
    "get",
    "order_prompt",
    "own_review",
    "publish",
    "published_page",
    "personal_data",
    "publication_handlers",
    "rating",
    "review_rate",
    "top_rated_products",
    "waiting",
    "write",
]
