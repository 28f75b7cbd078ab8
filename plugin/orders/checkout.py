"""What a shop passes to ``stripe.checkout.Session.create`` so purchases find their way back."""

from __future__ import annotations

from typing import Any, Iterable

from flask import has_request_context

from ..core import limits
from ..core.identity import current_visitor_id, is_visitor_id

#: Stripe's limits: ``client_reference_id`` up to 200 characters, metadata values up to 500.
MAX_REFERENCE = 200
MAX_METADATA_VALUE = 500


def checkout_params(
    *,
    customer_id: Any = None,
    email: str | None = None,
    products: Iterable[str] = (),
    visitor_id: str | None = None,
    referral_code: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments to merge into ``stripe.checkout.Session.create(...)``.

    Sets ``client_reference_id`` to the shop's customer id, ``customer_email``
    (prefills Checkout; leave ``email`` out when passing ``customer=``) and the
    metadata keys ``journeykit_visitor``, ``journeykit_products`` and
    ``journeykit_referral``.  The visitor id defaults to the current request's.
    """
    params: dict[str, Any] = {}
    metadata: dict[str, str] = {}
    if customer_id is not None:
        reference = limits.check("journeykit_customers.shop_customer_id", str(customer_id), field="customer_id")
        params["client_reference_id"] = _limited("customer_id", reference, MAX_REFERENCE)
    if email:
        params["customer_email"] = limits.check("journeykit_customers.email", email, field="email")
    product_ids = [limits.check("journeykit_order_items.product_id", str(product), field="product id") for product in products]
    if any("," in product for product in product_ids):
        raise ValueError("Product ids must not contain commas: they are joined with commas for Stripe.")
    if product_ids:
        metadata["journeykit_products"] = _limited("products", ",".join(product_ids), MAX_METADATA_VALUE)
    if visitor_id is None and has_request_context():
        visitor_id = current_visitor_id()
    if visitor_id:
        if not is_visitor_id(visitor_id):
            raise ValueError("visitor_id must be 16 to 64 URL-safe characters (A-Z, a-z, 0-9, _ and -).")
        metadata["journeykit_visitor"] = visitor_id
    if referral_code:
        metadata["journeykit_referral"] = limits.check("journeykit_orders.referral_code", referral_code, field="referral_code")
    if metadata:
        params["metadata"] = metadata
    return params


def _limited(name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise ValueError(f"{name} is {len(value)} characters long; Stripe accepts at most {limit}.")
    return value
