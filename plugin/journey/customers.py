"""Finding and creating JourneyKit's record of a shop's customer.

A new customer is logged (``customer_created``) through :mod:`.tracking`,
which never creates customers itself: the two modules depend one way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable

import sqlalchemy as sa

from flask import current_app

from ..core import limits, signals
from ..core.db import session, utcnow
from ..core.dialects import insert_if_absent
from ..core.errors import BadRequest, NotFound, Unauthorized
from ..core.identity import Shopper
from ..core.written import write_changes
from .models import Customer
from .stages import Stage
from .tracking import record_event


def normalize_email(email: str | None) -> str | None:
    """Strip and lower-case an address, so ``Jo@Shop.com `` and ``jo@shop.com`` match."""
    if email is None:
        return None
    email = email.strip().lower()
    return email or None


#: Called as ``handler(customer)`` inside the transaction that first records a customer of the shop
#: (loyalty's sign-up bonus).
signup_handlers: list[Callable[[Customer], None]] = []


#: Built once: every purchase and shopper's request asks it (building a query costs more than running it here).
_BY_SHOP_ID = sa.select(Customer).where(Customer.shop_customer_id == sa.bindparam("shop_customer_id"))


def ensure_customer(
    shop_customer_id: str, *, email: str | None = None, name: str | None = None, seen_at: dt.datetime | None = None
) -> Customer:
    """The customer with the shop's id ``shop_customer_id``, created if new.

    Safe under concurrency: two first requests of one shopper insert one row.
    A known e-mail or name is updated when the shop tells us a new one.  A new
    customer is logged as ``customer_created`` (once), dated ``seen_at`` when
    the news is older than its arrival (a Stripe event is dated by Stripe), so
    a late webhook does not make the customer look active this week.  An id
    longer than JourneyKit stores raises :class:`ValueError`; an e-mail or a
    name too long to store is left out or cut (:func:`_contact`).
    """
    shop_customer_id = limits.check("journeykit_customers.shop_customer_id", str(shop_customer_id), field="customer id")
    email, name = _contact(email, name)
    now = utcnow()
    values = {
        "shop_customer_id": shop_customer_id,
        "email": email,
        "name": name,
        "stage": Stage.AWARENESS,
        "stage_changed_at": now,
        "created_at": now,
        "updated_at": now,
    }
    # Looked up first: a known customer (nearly every call) takes no lock on its row, which the
    # events of the same request reference (on MySQL such references wait for a row's writer).
    known = {"shop_customer_id": shop_customer_id}
    customer = session().scalars(_BY_SHOP_ID, known).first()
    created = customer is None and insert_if_absent(Customer.__table__, values, on=["shop_customer_id"])
    if customer is None:
        customer = session().scalars(_BY_SHOP_ID, known).one()
    if email and customer.email != email:
        customer.email = email
    if name and customer.name != name:
        customer.name = name
    write_changes(customer)
    if created:
        record_event("customer_created", customer=customer, dedupe_key=f"customer_created:{customer.id}", at=seen_at or now)
        for handler in signup_handlers:
            handler(customer)
    return customer


def identify(
    shop_customer_id: str | None = None,
    *,
    email: str | None = None,
    name: str | None = None,
    stripe_customer_id: str | None = None,
    create: bool = True,
    seen_at: dt.datetime | None = None,
) -> Customer | None:
    """The customer a purchase or an imported review names, created when new and ``create``.

    By the shop's id, else the Stripe customer, else the e-mail; someone
    known only by e-mail becomes a guest customer (no shop id).  A Stripe
    customer id is remembered on the customer that first comes with it.
    """
    email, name = _contact(email, name)
    stripe_customer_id = limits.fitted("journeykit_customers.stripe_customer_id", stripe_customer_id, field="Stripe customer id")
    if shop_customer_id is not None:
        customer = ensure_customer(shop_customer_id, email=email, name=name, seen_at=seen_at)
    else:
        customer = _find_by(Customer.stripe_customer_id, stripe_customer_id) or _find_by(Customer.email, email)
        if customer is None and create and email:
            customer = Customer(email=email, name=name)
            session().add(customer)
            session().flush()
    if customer is not None and stripe_customer_id and customer.stripe_customer_id is None:
        if _find_by(Customer.stripe_customer_id, stripe_customer_id) is None:
            customer.stripe_customer_id = stripe_customer_id
    return customer


def _contact(email: str | None, name: str | None) -> tuple[str | None, str | None]:
    """The e-mail (normalized; left out when too long to be real) and the name (cut to fit) to store."""
    email = limits.fitted("journeykit_customers.email", normalize_email(email), field="an e-mail address")
    return email, limits.fitted("journeykit_customers.name", name, field="a customer's name", truncate=True)


def find_member_by_email(email: str | None) -> Customer | None:
    """The shop's own customer (one with the shop's id) with this e-mail, the oldest if several.

    Unlike :func:`identify`, a guest checkout under the same address before
    the account was made is passed over: it has no account to hold points.
    """
    email = normalize_email(email)
    if not email:
        return None
    return session().scalars(sa.select(Customer).where(Customer.email == email, Customer.shop_customer_id.is_not(None))
                             .order_by(Customer.id)).first()


def _find_by(column: Any, value: str | None) -> Customer | None:
    if not value:
        return None
    return session().scalars(sa.select(Customer).where(column == value).order_by(Customer.id)).first()


def customer_for(shopper: Shopper | None) -> Customer | None:
    """JourneyKit's customer row for an identified shopper (created on first sight)."""
    if shopper is None:
        return None
    check_customer_id(shopper)
    return ensure_customer(shopper.customer_id, email=shopper.email, name=shopper.name)


def check_customer_id(shopper: Shopper | None) -> None:
    """A 400 for a shop's customer id longer than JourneyKit stores (only a ``customer_loader`` can name one)."""
    most = limits.length("journeykit_customers.shop_customer_id")
    if shopper is not None and len(shopper.customer_id) > most:
        raise BadRequest(f"The shop's customer id is {len(shopper.customer_id)} characters long; JourneyKit "
                         f"stores at most {most}.", error_code="customer_id_too_long")


def signed_in_customer() -> tuple[Shopper, Customer]:
    """The request's signed-in shopper and their customer row, recorded and committed first; else a 401.

    Committed in a transaction of its own because a new customer, or a
    changed e-mail or name, locks the customer's row until commit, and the
    shopper's request then writes rows that reference it: on MySQL/MariaDB
    (whose foreign-key checks lock the parent row) two such requests of one
    shopper would deadlock.
    """
    shopper = current_app.extensions["journeykit"].journey.current_shopper()
    if shopper is None:
        raise Unauthorized("Sign in first: this needs the shop's customer (a customer token or the shop's login).",
                           error_code="customer_required")
    customer = customer_for(shopper)
    signals.commit()
    return shopper, customer  # type: ignore[return-value]


def find_customer(shop_customer_id: str) -> Customer | None:
    """The customer with the shop's id, if JourneyKit knows them."""
    return session().scalars(sa.select(Customer).where(Customer.shop_customer_id == str(shop_customer_id))).first()


def require_customer(shop_customer_id: str) -> Customer:
    """The customer with the shop's id, or a 404 ``customer_not_found`` (for the owner's APIs)."""
    customer = find_customer(shop_customer_id)
    if customer is None:
        raise NotFound(f"No customer with id {shop_customer_id!r}.", error_code="customer_not_found")
    return customer


def customers_by_id(ids: Iterable[int]) -> dict[int, Customer]:
    """JourneyKit's customers with these row ids, by id (for a batch of rows that name them)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {customer.id: customer for customer in session().scalars(sa.select(Customer).where(Customer.id.in_(wanted)))}
