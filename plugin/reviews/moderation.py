"""The owner's moderation decisions, shared by the JSON API and the moderation page.

Each decision changes the review through :mod:`.lifecycle` only, and is
written to the audit log as ``review.<action>`` with the review's moderated
fields before and after, in the caller's transaction (the caller commits).
Because the log keeps "before", the last decision on a review can be undone
(:func:`undo`), itself audited as ``review.undo``: the log is the one record
of what the owner did, so undo cannot disagree with it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Iterable

import sqlalchemy as sa

from ..core import audit
from ..core.audit import AuditEntry
from ..core.db import session
from ..core.errors import Conflict, ValidationError
from . import lifecycle
from .models import RejectionReason, Review, ReviewStatus
from .schemas import AdminReviewSchema

#: What the audit log keeps of a review: the owner's decisions, never the author's words or name.
AUDITED = ("status", "rejection_reason", "reply", "pinned", "featured", "published_at")
#: The decisions :func:`undo` reverses: what it compares with "after" and puts back from "before".
UNDOABLE = ("publish", "reject", "reply", "pin", "feature")
_RESTORED = ("status", "rejection_reason", "reply", "pinned", "featured")
#: Each flag of a review and its action in the audit log (and its path: ``…/pin``, ``…/feature``).
FLAG_ACTIONS = {"pinned": "pin", "featured": "feature"}
#: The reasons in the owner's words, in the order the page offers them (all of :class:`RejectionReason`).
REASON_LABELS = {
    RejectionReason.SPAM: "Spam",
    RejectionReason.OFF_TOPIC: "Off topic: not about the product or the buying experience",
    RejectionReason.ABUSIVE: "Abusive: hateful, harassing, obscene or threatening",
    RejectionReason.PERSONAL_DATA: "Personal data of someone else",
    RejectionReason.NOT_A_CUSTOMER: "Not a customer: never had the product",
    RejectionReason.CONFLICT_OF_INTEREST: "Conflict of interest: staff, a competitor, or paid",
    RejectionReason.ILLEGAL: "Illegal or infringing content",
}
#: The most reviews one bulk action may change.
BULK_MOST = 200

_admin = AdminReviewSchema()


def audited(review: Review) -> dict[str, Any]:
    """The review's moderated fields as the audit log keeps them."""
    return {name: value for name, value in _admin.dump(review).items() if name in AUDITED}


def decide(review: Review, action: str, change: Callable[[Review], None], **note: Any) -> Review:
    """Apply the owner's ``change`` and log it as ``review.<action>`` (``note`` is added to "after")."""
    before = audited(review)
    change(review)
    audit.record(f"review.{action}", f"review:{review.id}", before=before, after={**audited(review), **note})
    return review


def publish(review: Review) -> Review:
    return decide(review, "publish", lifecycle.publish)


def reject(review: Review, reason: RejectionReason) -> Review:
    return decide(review, "reject", lambda found: lifecycle.reject(found, reason))


def reply(review: Review, body: str | None) -> Review:
    """The owner's public answer under the review (``None`` or empty removes it)."""
    return decide(review, "reply", lambda found: lifecycle.set_reply(found, body))


def flag(review: Review, name: str, value: bool) -> Review:
    """Pin (shown first on its product) or feature (chosen for testimonials and carousels)."""
    return decide(review, FLAG_ACTIONS[name], lambda found: setattr(found, name, value))


def chosen_reason(value: str | None) -> RejectionReason:
    """The rejection reason the owner chose; none or another is a 422 (there is no default reason)."""
    if not value:
        raise ValidationError("Choose the reason to reject: there is no default.", error_code="reason_required",
                              fields={"reason": ["Missing data for required field."]})
    try:
        return RejectionReason(value)
    except ValueError:
        raise ValidationError("That is not one of the reasons a review may be rejected for.",
                              fields={"reason": ["Must be one of: " + ", ".join(r.value for r in RejectionReason) + "."]})


def last_decision(review: Review) -> AuditEntry | None:
    """The newest audited decision on the review that :func:`undo` looks at (an undo included)."""
    actions = [f"review.{action}" for action in (*UNDOABLE, "undo")]
    return session().scalars(
        sa.select(AuditEntry).where(AuditEntry.target == f"review:{review.id}", AuditEntry.action.in_(actions))
        .order_by(AuditEntry.id.desc()).limit(1)
    ).first()


def undo(review: Review) -> Review:
    """Put the review back as it was before the owner's last decision on it (one step: an undo is not undone).

    409 ``nothing_to_undo`` without such a decision, and 409 ``changed_since``
    when the review is no longer as that decision left it (the author edited
    it, or another decision came through the API), so undo never overwrites
    a change it did not make.
    """
    entry = last_decision(review)
    if entry is None or entry.action == "review.undo" or not isinstance(entry.before, dict):
        raise Conflict(f"Nothing to undo on review {review.id}.", error_code="nothing_to_undo")
    now, then = audited(review), entry.after if isinstance(entry.after, dict) else {}
    if any(now[name] != then.get(name) for name in _RESTORED):
        raise Conflict(f"Review {review.id} changed after that decision, so it cannot be undone.",
                       error_code="changed_since")
    undone = entry.action.removeprefix("review.")
    return decide(review, "undo", lambda found: _restore(found, {**now, **entry.before}), undoes=undone)


def _restore(review: Review, state: dict[str, Any]) -> None:
    reason = state["rejection_reason"]
    published_at = state.get("published_at")
    lifecycle.restore(review, ReviewStatus(state["status"]), reason=RejectionReason(reason) if reason else None,
                      published_at=dt.datetime.fromisoformat(published_at) if published_at else None)
    if review.reply != state["reply"]:
        lifecycle.set_reply(review, state["reply"])
    review.pinned, review.featured = bool(state["pinned"]), bool(state["featured"])


def find_all(ids: Iterable[int]) -> list[Review]:
    """The reviews with these ids, by id; one unknown id is a 422 naming it, and nothing is changed."""
    wanted = set(ids)
    found = list(session().scalars(sa.select(Review).where(Review.id.in_(wanted)).order_by(Review.id)))
    missing = sorted(wanted - {review.id for review in found})
    if missing:
        raise ValidationError(f"No reviews with ids {missing}.", error_code="review_not_found", fields={"ids": missing})
    return found


def bulk(ids: Iterable[int], action: str, reason: RejectionReason | None = None) -> list[Review]:
    """Publish, reject (with a ``reason``: there is no default) or undo many reviews, all or none.

    One unknown id (422) or one review that cannot be undone (409) refuses
    the whole request; the caller rolls back what the others did.
    """
    if action == "reject" and reason is None:
        chosen_reason(None)  # the 422 a single reject without a reason gets
    found = find_all(ids)
    for review in found:
        if action == "publish":
            publish(review)
        elif action == "reject":
            reject(review, reason)  # type: ignore[arg-type]
        else:
            undo(review)
    return found
