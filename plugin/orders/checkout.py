"""What a shop passes to ``stripe.checkout.Session.create`` so purchases find their way back."""

from __future__ import annotations

from typing import Any, Iterable

from flask import has_request_context

from ..core.identity import current_visitor_id

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
        params["client_reference_id"] = _limited("customer_id", str(customer_id), MAX_REFERENCE)
    if email:
        params["customer_email"] = email
    product_ids = [str(product) for product in products]
    if any("," in product for product in product_ids):
        raise ValueError("Product ids must not contain commas: they are joined with commas for Stripe.")
    if product_ids:
        metadata["journeykit_products"] = _limited("products", ",".join(product_ids), MAX_METADATA_VALUE)
    if visitor_id is None and has_request_context():
        visitor_id = current_visitor_id()
    if visitor_id:
        metadata["journeykit_visitor"] = visitor_id
    if referral_code:
        metadata["journeykit_referral"] = _limited("referral_code", referral_code, MAX_METADATA_VALUE)
    if metadata:
        params["metadata"] = metadata
    return params


def _limited(name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise ValueError(f"{name} is {len(value)} characters long; Stripe accepts at most {limit}.")
    return value
