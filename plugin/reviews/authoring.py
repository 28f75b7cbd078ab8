"""The shopper's own side of reviews: writing one (through the JSON API or the widget's form, checked alike),
reading their own back in whatever state, and the products they bought and have not reviewed yet (the prompts).

One review per shopper and product: writing again edits it (:func:`.lifecycle.submit`).  A shopper is
the shop's signed-in customer or the holder of their customer token; a buyer who checked out as a guest
writes through the order's signed link (:mod:`.requests`), as the same customer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import marshmallow
import sqlalchemy as sa

from .. import journey, orders
from ..core import limits, products, rate_limits
from ..core.db import session
from ..core.errors import Unauthorized, ValidationError
from . import lifecycle, requests
from .models import Review
from .schemas import SubmitSchema

if TYPE_CHECKING:
    from ..core.identity import Shopper
    from ..journey.models import Customer

_PRODUCT_ID = "journeykit_reviews.product_id"
_submit = SubmitSchema()
#: The fields a review form sends (the honeypot ``website`` included).
FORM_FIELDS = ("rating", "title", "body", "website")


def check_product(product_id: str) -> None:
    """A 422 for a product id too long to store; a 404 for one the shop's product loader does not know."""
    if len(product_id) > limits.length(_PRODUCT_ID):
        raise ValidationError(f"A product id may be at most {limits.length(_PRODUCT_ID)} characters long.",
                              fields={"product_id": ["Too long."]})
    products.require(product_id)


def write(shopper: Shopper | None, product_id: str, data: dict[str, Any]) -> tuple[Review, bool]:
    """The shopper's review of the product, new (``True``) or their earlier one edited; the caller commits.

    ``data`` is what :class:`~.schemas.SubmitSchema` loaded.  A filled-in
    honeypot is refused as spam (422), no shopper is a 401, and a shopper or
    an address writing too often a 429; nothing is changed by a refusal.
    """
    if data.pop("website", ""):
        raise ValidationError("The review could not be accepted.", error_code="rejected_as_spam")
    if shopper is None:
        raise Unauthorized("Sign in to write a review.", error_code="customer_required")
    rate_limits.hit("review", "JOURNEYKIT_REVIEWS_RATE_LIMIT", f"shopper:{shopper.customer_id}",
                    f"address:{rate_limits.client_address()}")
    customer = journey.customer_for(shopper)
    data["author"] = data.get("author") or lifecycle.author_for(shopper.name)
    return lifecycle.submit(customer, product_id, data)


def form_data(form: Mapping[str, str]) -> dict[str, Any]:
    """A review sent by a plain HTML form (the widget's), validated as the JSON API validates one (422 with ``fields``).

    Form fields are text: the rating arrives as ``"4"``; a text of blanks only counts as no text; the
    schema refuses a NUL character.
    """
    data: dict[str, Any] = {name: form[name] for name in FORM_FIELDS if name in form}
    stars = data.get("rating", "")
    if stars.isascii() and stars.isdigit():
        data["rating"] = int(stars)
    if not data.get("body", "").strip():
        data.pop("body", None)
    try:
        return _submit.load(data)
    except marshmallow.ValidationError as exc:
        raise ValidationError("Some fields are not valid.", fields=exc.messages)  # type: ignore[arg-type]


def _customer(shopper: Shopper | None) -> Customer | None:
    """The shopper's customer row, if JourneyKit knows them (reading never creates one)."""
    return journey.find_customer(shopper.customer_id) if shopper is not None else None


def own_review(shopper: Shopper | None, product_id: str) -> Review | None:
    """The shopper's review of the product, whatever its state: their pending one is theirs alone to see."""
    customer = _customer(shopper)
    if customer is None:
        return None
    return session().scalars(sa.select(Review).where(Review.product_id == product_id, Review.customer_id == customer.id)).first()


def _unreviewed(customer: Customer, product_ids: list[str]) -> list[str]:
    """Of ``product_ids``, those the customer bought (a paid order, not reversed: the verified mark) and has not reviewed."""
    reviewed = set(session().scalars(
        sa.select(Review.product_id).where(Review.customer_id == customer.id, Review.product_id.in_(product_ids))))
    return [product_id for product_id in product_ids
            if product_id not in reviewed and orders.verifying_order(customer.id, product_id) is not None]


def awaits_review(shopper: Shopper | None, product_id: str) -> bool:
    """Whether the shopper bought the product and has not reviewed it yet (their reviews widget opens with a prompt)."""
    customer = _customer(shopper)
    return customer is not None and bool(_unreviewed(customer, [product_id]))


def order_prompt(checkout_session_id: str, shopper: Shopper | None) -> dict[str, Any] | None:
    """What an order's thank-you page asks its buyer: the products they have not reviewed, and where to write.

    ``{"products": [product ids], "url": the order's signed review link}``, or
    ``None`` when there is nothing to ask: no such order yet (its webhook is
    still on the way), an order nobody bought or with every product
    reviewed, or a signed-in shopper who is not its buyer.  The link is the
    one the review-request e-mail carries: it needs no sign-in, so guests can
    use it too, and whoever sees the page may write as the buyer.
    """
    order = orders.by_checkout_session(checkout_session_id)
    customer = order.customer if order is not None else None
    if customer is None or (shopper is not None and shopper.customer_id != customer.shop_customer_id):
        return None
    waiting = _unreviewed(customer, order.product_ids)
    return {"products": waiting, "url": requests.link(order)} if waiting else None
