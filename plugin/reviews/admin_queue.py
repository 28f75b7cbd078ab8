"""What the owner looks for among the reviews: filters, counts per status and pages of the moderation inbox.

The same filters serve the JSON list (``GET /api/v1/admin/reviews``) and the
moderation page, read from query arguments: ``status``, ``rating``,
``verified``, ``photos``, ``product`` and ``q``.  An empty value means "any"
(an HTML form sends every field); anything else out of place is a 422.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..core import limits, paging
from ..core.db import session
from ..core.errors import ValidationError
from .models import Review, ReviewPhoto, ReviewStatus

#: The longest text search: longer ones are no search an owner types.
SEARCH_LENGTH = 200
#: The filters' query arguments, in the order links write them.
FILTER_ARGS = ("status", "rating", "verified", "photos", "product", "q")
#: ``status=all`` (or none) lists every status.
ALL = "all"


@dataclasses.dataclass(frozen=True)
class Filters:
    """Which reviews to show; ``None`` for "any"."""

    status: ReviewStatus | None = None
    rating: int | None = None
    verified: bool | None = None
    photos: bool | None = None
    product: str | None = None
    q: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str], *, status: ReviewStatus | None = None) -> Filters:
        """Read the filters from query arguments (``status`` is the default status); a bad value is a 422."""
        return cls(
            status=_status(args.get("status"), status),
            rating=_whole(args, "rating", 1, 5),
            verified=_yes_no(args, "verified"),
            photos=_yes_no(args, "photos"),
            product=_text(args, "product", limits.length("journeykit_reviews.product_id")),
            q=_text(args, "q", SEARCH_LENGTH),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """These filters as query arguments for a link (with ``changes``), leaving out the ones not set."""
        values = {**dataclasses.asdict(self), **changes}
        encoded = {
            "status": values["status"].value if isinstance(values["status"], ReviewStatus) else values["status"] or ALL,
            "rating": values["rating"],
            "verified": None if values["verified"] is None else int(values["verified"]),
            "photos": None if values["photos"] is None else int(values["photos"]),
            "product": values["product"],
            "q": values["q"],
        }
        return {name: value for name, value in encoded.items() if value is not None}

    @property
    def narrowed(self) -> bool:
        """Whether any filter but the status is set."""
        return any(getattr(self, name) is not None for name in FILTER_ARGS if name != "status")

    def where(self, query: sa.Select, *, with_status: bool = True) -> sa.Select:
        """``query`` of reviews narrowed to these filters (the status left out unless ``with_status``)."""
        conditions: list[sa.ColumnElement[bool]] = []
        if with_status and self.status is not None:
            conditions.append(Review.status == self.status)
        if self.rating is not None:
            conditions.append(Review.rating == self.rating)
        if self.verified is not None:
            conditions.append(Review.verified_order_id.is_not(None) if self.verified else Review.verified_order_id.is_(None))
        if self.photos is not None:
            has_photos = sa.exists().where(ReviewPhoto.review_id == Review.id)
            conditions.append(has_photos if self.photos else ~has_photos)
        if self.product is not None:
            conditions.append(Review.product_id == self.product)
        if self.q is not None:
            conditions.append(sa.or_(*(column.icontains(self.q, autoescape=True)
                                       for column in (Review.title, Review.body, Review.author, Review.product_id))))
        return query.where(*conditions)


def _status(raw: str | None, default: ReviewStatus | None) -> ReviewStatus | None:
    if not raw:
        return default
    if raw == ALL:
        return None
    try:
        return ReviewStatus(raw)
    except ValueError:
        allowed = ", ".join([*(status.value for status in ReviewStatus), ALL])
        raise ValidationError(f"status must be one of {allowed}.", fields={"status": ["Not a valid choice."]})


def _whole(args: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = args.get(name) or None
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ValidationError(f"{name} must be a whole number from {low} to {high}.", fields={name: ["Not a valid value."]})
    return int(raw)


def _yes_no(args: Mapping[str, str], name: str) -> bool | None:
    value = _whole(args, name, 0, 1)
    return None if value is None else bool(value)


def _text(args: Mapping[str, str], name: str, most: int) -> str | None:
    raw = (args.get(name) or "").strip()
    if len(raw) > most:
        raise ValidationError(f"{name} may be at most {most} characters long.", fields={name: ["Too long."]})
    return raw or None


def counts(filters: Filters) -> dict[str, int]:
    """How many reviews each status has under ``filters`` (their status left out), and ``all`` of them."""
    query = filters.where(sa.select(Review.status, sa.func.count()).select_from(Review), with_status=False)
    found = {status.value: 0 for status in ReviewStatus}
    for status, count in session().execute(query.group_by(Review.status)):
        found[ReviewStatus(status).value] = count
    return {**found, ALL: sum(found.values())}


def page(filters: Filters, *, limit: int, cursor: str | None) -> tuple[list[Review], str | None]:
    """One page of the inbox: pending reviews oldest first (first come, first served), others newest first."""
    keys: list[paging.Key] = [(Review.id, filters.status is not ReviewStatus.PENDING)]
    query = filters.where(sa.select(Review).options(selectinload(Review.customer)))
    return paging.page(query, keys, limit=limit, cursor=cursor, scalars=session().scalars)


def reviewed_products(most: int = 100) -> list[str]:
    """The ids of the products with the most reviews (``most`` of them), for the page's product filter."""
    count = sa.func.count()
    return list(session().scalars(
        sa.select(Review.product_id).group_by(Review.product_id).order_by(count.desc(), Review.product_id).limit(most)
    ))
