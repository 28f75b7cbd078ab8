"""The owner's moderation inbox, ``{prefix}/admin/reviews``: reviews by status, filters, decisions, undo.

Its forms (Publish, Reject with a reason, Reply, Pin, Feature, the bulk bar
and Undo) are plain HTML forms that work without JavaScript: they carry the
owner's CSRF token (:func:`journeykit.core.admin_access.csrf_ok`), decide
through :mod:`.moderation` (checked and audited exactly as through the API)
and redirect back to the same view with what was done and an Undo button.
The page's script sends the same forms with ``Accept: application/json`` and
gets, instead of the redirect, the changed reviews drawn again, the counts
per status and the message, so nothing reloads.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, get_template_attribute, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from ..core import products
from ..core.admin_access import STALE_FORM, admin_required, csrf_ok, csrf_token
from ..core.errors import APIError, BadRequest, ValidationError, error_body
from ..core.signals import commit, rollback
from . import admin_queue, lifecycle, moderation
from .admin_queue import Filters
from .models import Review, ReviewStatus
from .schemas import BODY_LENGTH

#: Reviews on one page of the inbox.
PAGE_SIZE = 25
#: The status tabs, in order.
TABS = (("pending", "Pending"), ("published", "Published"), ("rejected", "Rejected"), (admin_queue.ALL, "All"))
#: One review's forms, each posted to ``…/admin/reviews/<id>/<action>``.
ACTIONS = ("publish", "reject", "reply", "pin", "feature")
#: The bulk bar's actions (Undo is the notice's button, for the reviews just changed).
BULK_ACTIONS = ("publish", "reject", "undo")
#: What the page says after a change: for one review, for several.
DONE = {
    "publish": ("Review {ids} published.", "{n} reviews published."),
    "reject": ("Review {ids} rejected: {reason}.", "{n} reviews rejected: {reason}."),
    "reply": ("Your reply to review {ids} is saved and shown under it.", "Your replies are saved."),
    "unreply": ("Your reply to review {ids} is removed.", "Your replies are removed."),
    "pin": ("Review {ids} is pinned: shown first on its product.", "{n} reviews pinned."),
    "unpin": ("Review {ids} is no longer pinned.", "{n} reviews unpinned."),
    "feature": ("Review {ids} is featured.", "{n} reviews featured."),
    "unfeature": ("Review {ids} is no longer featured.", "{n} reviews no longer featured."),
    "undo": ("Undone: review {ids} is back as it was.", "Undone: {n} reviews are back as they were."),
}
_CARD = "journeykit/admin/reviews/_card.html"


@dataclasses.dataclass(frozen=True)
class View:
    """What the page's forms and links need to come back to the same view."""

    filters: Filters
    cursor: str | None
    csrf: str

    @property
    def back(self) -> str:
        """The view as a query string, posted with every form so the answer returns to it."""
        return urlencode({**self.filters.args(), **({"cursor": self.cursor} if self.cursor else {})})

    def link(self, **changes: Any) -> str:
        """The page with these filters changed (back to the first page)."""
        return url_for("journeykit.admin.reviews", **self.filters.args(**changes))

    @staticmethod
    def product(product_id: str) -> dict[str, Any]:
        """The product in the shop's words (its product loader): ``name`` (else the id), ``url``, whether named."""
        return products.label(product_id)

    reasons = moderation.REASON_LABELS


def _view(args: MultiDict[str, str]) -> View:
    return View(Filters.from_args(args, status=ReviewStatus.PENDING), args.get("cursor") or None, csrf_token())


@admin_required
def review_queue() -> Any:
    """The inbox: one status's reviews (``?status=``, pending first), filtered (``?rating=…&q=…``), 25 a page.

    Asked for JSON (the page's script, when the owner comes back to the tab), it answers the counts per status.
    """
    if _wants_json():
        return {"counts": admin_queue.counts(_view(request.args).filters)}
    return _page(request.args)


def _page(args: MultiDict[str, str], *, errors: list[str] | None = None, status: int = 200) -> Any:
    view = _view(args)
    reviews, following = admin_queue.page(view.filters, limit=PAGE_SIZE, cursor=view.cursor)
    done = None if errors else _notice(args.get("done", ""), _ids_shown(args.get("ids", "")), args.get("reason"), view)
    chosen = [view.filters.product] if view.filters.product else []
    page = render_template(
        "journeykit/admin/reviews.html", view=view, reviews=reviews, following=following, tabs=TABS,
        counts=admin_queue.counts(view.filters), done=done, errors=errors or [],
        products=sorted({*admin_queue.reviewed_products(), *chosen}, key=lambda product: View.product(product)["name"].lower()),
    )
    return page if status == 200 else (page, status)


def _ids_shown(raw: str) -> list[int]:
    """The ids a redirect names (``?ids=3,4``): digits only, as many as a bulk action may change."""
    return [int(part) for part in raw.split(",") if part.isascii() and part.isdigit() and len(part) < 19][:moderation.BULK_MOST]


def _notice(verb: str, ids: list[int], reason: str | None, view: View) -> str | None:
    """The message after a change, with its Undo button (HTML), or ``None``."""
    if verb not in DONE or not ids:
        return None
    one, many = DONE[verb]
    labels = {chosen.value: label.split(":")[0] for chosen, label in moderation.REASON_LABELS.items()}
    message = (one if len(ids) == 1 else many).format(ids=ids[0], n=len(ids), reason=labels.get(reason or "", "a lawful reason"))
    return get_template_attribute(_CARD, "notice")(message, ids if verb != "undo" else [], view)


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(("text/html", "application/json")) == "application/json"


def _back() -> MultiDict[str, str]:
    """The view the form was sent from (its ``back`` field), with only the page's own arguments."""
    given = MultiDict(parse_qsl(request.form.get("back", "")))
    kept = MultiDict([(name, given[name]) for name in (*admin_queue.FILTER_ARGS, "cursor") if given.get(name)])
    try:
        Filters.from_args(kept)
    except ValidationError:
        return MultiDict()
    return kept


def _run(work: Callable[[], tuple[str, list[Review]]]) -> Any:
    """Answer one of the page's forms: check its token, let ``work`` decide (it returns the verb and the reviews)."""
    if not csrf_ok():
        return _refused(BadRequest(STALE_FORM, error_code="stale_form"))
    try:
        verb, changed = work()
    except APIError as exc:
        rollback()
        return _refused(exc)
    commit()
    ids = [review.id for review in changed]
    reason = request.form.get("reason") if verb == "reject" else None
    if not _wants_json():
        target = {**_back().to_dict(), "done": verb, "ids": ",".join(map(str, ids)), **({"reason": reason} if reason else {})}
        return redirect(url_for("journeykit.admin.reviews", **target), code=303)
    view = _view(_back())
    card = get_template_attribute(_CARD, "card")
    return jsonify(notice=_notice(verb, ids, reason, view), counts=admin_queue.counts(view.filters),
                   rows={str(review.id): str(card(review, view)) for review in changed})


def _refused(exc: APIError) -> Any:
    """What was wrong, in the page (or as the JSON error for the script), with the error's status."""
    message = exc.description or "Not done."
    if _wants_json():
        return jsonify(error_body(exc.error_code, message, exc.fields)), exc.code
    return _page(_back(), errors=[message], status=exc.code or 400)


def _decide(review: Review, action: str) -> str:
    """Apply one review form's decision through :mod:`.moderation`; returns the verb of the page's message."""
    form = request.form
    if action == "publish":
        moderation.publish(review)
        return "publish"
    if action == "reject":
        moderation.reject(review, moderation.chosen_reason(form.get("reason")))
        return "reject"
    if action == "reply":
        body = form.get("body", "").strip()
        if len(body) > BODY_LENGTH:
            raise ValidationError(f"A reply may be at most {BODY_LENGTH} characters long.", fields={"body": ["Too long."]})
        moderation.reply(review, body or None)
        return "reply" if body else "unreply"
    value = form.get("value") == "1"
    moderation.flag(review, {"pin": "pinned", "feature": "featured"}[action], value)
    return action if value else f"un{action}"


@admin_required
def review_form(review_id: int, action: str) -> Any:
    """One review's forms: Publish, Reject (with the reason chosen, never a default), Reply, Pin and Feature."""
    def work() -> tuple[str, list[Review]]:
        review = lifecycle.get(review_id)
        return _decide(review, action), [review]

    return _run(work)


def _form_ids() -> list[int]:
    raw = request.form.getlist("ids")
    if not raw:
        raise ValidationError("Select the reviews first.", error_code="nothing_selected", fields={"ids": ["Select at least one."]})
    if len(raw) > moderation.BULK_MOST or not all(part.isascii() and part.isdigit() and 0 < int(part) < 2**63 for part in raw):
        raise ValidationError(f"Select 1 to {moderation.BULK_MOST} reviews by their ids.", fields={"ids": ["Not valid."]})
    return [int(part) for part in raw]


@admin_required
def bulk_form() -> Any:
    """The bulk bar (Publish or Reject the selected reviews, with a reason and no default) and the Undo button."""
    def work() -> tuple[str, list[Review]]:
        action = request.form.get("action", "")
        if action not in BULK_ACTIONS:
            raise ValidationError("Choose Publish, Reject or Undo.", fields={"action": ["Not a valid choice."]})
        ids = _form_ids()
        reason = moderation.chosen_reason(request.form.get("reason")) if action == "reject" else None
        return action, moderation.bulk(ids, action, reason)

    return _run(work)


#: The forms check their own token (and the origin): a shop's Flask-WTF ``CSRFProtect`` is told to leave them alone.
for _form_view in (review_form, bulk_form):
    _form_view.journeykit_own_csrf = True  # type: ignore[attr-defined]


def register_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/reviews", view_func=review_queue, endpoint="reviews")
    bp.add_url_rule("/reviews/bulk", view_func=bulk_form, endpoint="reviews_bulk", methods=["POST"])
    for action in ACTIONS:
        bp.add_url_rule(f"/reviews/<int:review_id>/{action}", view_func=review_form, endpoint=f"review_{action}",
                        defaults={"action": action}, methods=["POST"])
