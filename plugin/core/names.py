"""How the owner's pages name the shop's customers: in the shop's words first, the ids beneath.

A customer's name and e-mail are what the shop told JourneyKit (its
``@journey.customer_loader``, a customer token, or the buyer's details from
Stripe).  The shop's own customer id stays as a detail, so the owner can
still find the person in the shop; without a name or an e-mail, the id is
all there is, and it is shown.  Products are named by :func:`journeykit.core.products.label`.
"""

from __future__ import annotations

from typing import Any

#: What a customer known by nothing at all (an erased or anonymous buyer) is called.
NOBODY = "A guest"


def person(name: Any = None, email: Any = None, customer_id: Any = None) -> dict[str, str | None]:
    """``{"name": …, "detail": …}``: the name, else the e-mail, else the shop's id; ``detail`` the rest, or ``None``."""
    given = [str(part).strip() for part in (name, email) if part is not None and str(part).strip()]
    shop_id = str(customer_id) if customer_id is not None and str(customer_id) else None
    if not given:
        return {"name": shop_id or NOBODY, "detail": None}
    rest = [*given[1:], *([f"id {shop_id}"] if shop_id else [])]
    return {"name": given[0], "detail": " · ".join(rest) or None}


def customer(who: Any) -> dict[str, str | None]:
    """:func:`person` for a customer row (``name``, ``email``, ``shop_customer_id``) or ``None`` (a guest)."""
    if who is None:
        return person()
    return person(who.name, who.email, who.shop_customer_id)
