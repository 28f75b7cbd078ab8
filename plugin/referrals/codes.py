"""Referral codes: one per customer made on first use, vanity codes the owner sets, disabling; all case-insensitive.

Codes are stored upper-case and compared that way, so ``ann-7`` in a link
is ``ANN-7``.  :func:`normalize` is the one gate for text from outside (a
link's path, checkout metadata, a query string): anything that cannot be
a code is ``None``, never an error, whatever its length or alphabet.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import sqlalchemy as sa
from flask import current_app

from ..core.config import secret_key
from ..core.db import session, utcnow
from ..core.dialects import insert_if_absent
from ..core.errors import Conflict, ValidationError
from .models import ReferralCode

#: Letters and digits nobody misreads (no 0/O, 1/I/L): what a made code is drawn from.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#: A made code's length: 31⁸ ≈ 8.5 × 10¹¹ codes, far beyond what guessing at link speed covers.
LENGTH = 8
#: A vanity code: 4 to 32 of A-Z, 0-9 and hyphens, starting and ending with a letter or digit.
VANITY = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,30}[A-Z0-9]$")
#: How many made codes are tried before giving up (each collides with odds of about one in 10¹¹).
ATTEMPTS = 20


def normalize(text: object) -> str | None:
    """The code ``text`` names (stripped, upper-case), or ``None`` when it cannot be one (any input, never an error)."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    text = text.strip().upper()
    return text if text.isascii() and VANITY.match(text) else None


def find(text: object) -> ReferralCode | None:
    """The code row ``text`` names, disabled or not; ``None`` for anything else."""
    code = normalize(text)
    if code is None:
        return None
    return session().scalars(sa.select(ReferralCode).where(ReferralCode.code == code)).first()


def live(text: object) -> ReferralCode | None:
    """The code row ``text`` names if it is in use (not disabled)."""
    found = find(text)
    return found if found is not None and found.disabled_at is None else None


def live_code(text: object) -> str | None:
    """The code ``text`` names, as stored, if it is in use; ``None`` otherwise (forged ``?ref=`` values included)."""
    found = live(text)
    return found.code if found is not None else None


def current(customer_id: int) -> ReferralCode | None:
    """The customer's code in use: the newest one not disabled (a vanity code set later wins)."""
    return session().scalars(sa.select(ReferralCode).where(
        ReferralCode.customer_id == customer_id, ReferralCode.disabled_at.is_(None))
        .order_by(ReferralCode.id.desc())).first()


def ensure_code(customer_id: int) -> ReferralCode:
    """The customer's code in use, made now if they have none (the caller commits).

    A made code is derived from the shop's secret and the customer (an HMAC
    in :data:`ALPHABET`): unguessable without the secret, and the same for two
    first requests of one customer at once, so they insert one row, not two.
    A candidate taken by someone else, or one of theirs the owner disabled,
    moves on to the next.
    """
    found = current(customer_id)
    if found is not None:
        return found
    for attempt in range(ATTEMPTS):
        candidate = _derived(customer_id, attempt)
        insert_if_absent(ReferralCode.__table__, {"customer_id": customer_id, "code": candidate, "vanity": False,
                                                  "created_at": utcnow()}, on=["code"])
        row = session().scalars(sa.select(ReferralCode).where(ReferralCode.code == candidate)).one()
        if row.customer_id == customer_id and row.disabled_at is None:
            return row
    raise RuntimeError(f"No free referral code after {ATTEMPTS} attempts: is the code table full?")


def _derived(customer_id: int, attempt: int) -> str:
    digest = hmac.new(secret_key(current_app).encode(), f"referral-code:{customer_id}:{attempt}".encode(),
                      hashlib.sha256).digest()
    number = int.from_bytes(digest[:16], "big")
    return "".join(ALPHABET[(number // len(ALPHABET) ** i) % len(ALPHABET)] for i in range(LENGTH))


def set_vanity(customer_id: int, text: str) -> ReferralCode:
    """Give the customer the owner's own code (it becomes their code in use; older ones keep working).

    Raises 422 ``invalid_code`` for text that is not 4 to 32 of A-Z, 0-9 and
    hyphens (case does not matter), and 409 ``code_taken`` for a code that
    exists already, anyone's, disabled or not.  The caller commits.
    """
    code = normalize(text)
    if code is None:
        raise ValidationError("A code is 4 to 32 letters, digits and hyphens, starting and ending with a letter or "
                              "digit.",
                              error_code="invalid_code", fields={"code": ["Not a possible code."]})
    inserted = insert_if_absent(ReferralCode.__table__, {"customer_id": customer_id, "code": code, "vanity": True,
                                                         "created_at": utcnow()}, on=["code"])
    if not inserted:
        raise Conflict(f"The code {code} is taken.", error_code="code_taken", fields={"code": ["Taken."]})
    return session().scalars(sa.select(ReferralCode).where(ReferralCode.code == code)).one()


def set_disabled(code: ReferralCode, disabled: bool) -> None:
    """Disable a code (its links land without attribution and its checkouts reward no one) or enable it again."""
    if disabled and code.disabled_at is None:
        code.disabled_at = utcnow()
    elif not disabled:
        code.disabled_at = None
