"""How long each stored text may be, read from the one place that decides it: its column.

Every path that stores text from outside asks here, so a value the database
cannot hold never reaches it (SQLite would keep it; PostgreSQL and MySQL
refuse the whole transaction):

* the shop's own calls (``checkout_params``, ``customer_token``, ``track``):
  :func:`check` raises a :class:`ValueError` naming the argument;
* the JSON API's schemas: :func:`max_length` validates to the column, so the
  caller gets a 400 naming the field;
* what arrives from elsewhere and must still be recorded (a Stripe webhook's
  metadata, a shop's customer loader, an import): :func:`fitted` cuts the
  value to fit or drops it, and logs a warning.
"""

from __future__ import annotations

import logging

from marshmallow import validate

from .db import metadata

log = logging.getLogger("journeykit")


def length(column: str) -> int:
    """The most characters ``"table.column"`` holds, e.g. ``length("journeykit_orders.referral_code")``."""
    table, _, name = column.rpartition(".")
    return metadata.tables[table].c[name].type.length


def check(column: str, value: str, *, field: str) -> str:
    """``value``, or a :class:`ValueError` naming ``field`` when ``column`` cannot hold it."""
    most = length(column)
    if len(value) > most:
        raise ValueError(f"{field} is {len(value)} characters long; JourneyKit stores at most {most}.")
    return value


def fitted(column: str, value: str | None, *, field: str, truncate: bool = False) -> str | None:
    """``value`` as ``column`` can hold it: whole, cut to its length (``truncate``), or dropped (``None``).

    Cut only what stays true when shortened (a display name); drop what a
    shortened copy would falsify (an id, a code, an address).
    """
    if value is None:
        return None
    most = length(column)
    if len(value) <= most:
        return value
    log.warning("journeykit: %s is %d characters long, over the %d JourneyKit stores: %s",
                field, len(value), most, "cut to fit" if truncate else "left out")
    return value[:most] if truncate else None


def max_length(column: str, *, min: int | None = None) -> validate.Length:  # noqa: A002 - marshmallow's own name
    """A marshmallow validator: at most what ``column`` holds (and at least ``min`` characters)."""
    return validate.Length(min=min, max=length(column))
