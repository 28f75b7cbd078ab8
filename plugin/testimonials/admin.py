"""The owner's testimonials page, ``{prefix}/admin/testimonials``: the quotes by status, to publish, reject or feature.

It looks like the reviews' moderation inbox (status tabs with their counts,
one card a quote) and its forms work the same way: plain HTML forms with the
owner's CSRF token, deciding through the admin API's functions (:mod:`.api`,
so each change is audited as through the API) and coming back with what was
done.  A published review becomes a testimonial from the moderation inbox's
"Add to testimonials" button, which posts here.  Unlike a review, a
testimonial is the owner's pick: rejecting one needs no reason.
"""

from __future__ import annotations

from typing import Any, Callable

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for

from ..core import paging
from ..core.admin_access import STALE_FORM, admin_required, csrf_ok, csrf_token
from ..core.db import session
from ..core.errors import APIError, ValidationError
from ..core.signals import commit, rollback
from . import api, lifecycle
from .models import Testimonial, TestimonialStatus

PAGE_SIZE = 25
#: The status tabs, in order (``all``: every status).
TABS = (("pending", "Waiting"), ("published", "On the wall"), ("rejected", "Rejected"), ("all", "All"))
#: What the page says after a change (``?done=<verb>&what=<id>``).
DONE = {
    "publish": "Testimonial {} published: it is on the wall.",
    "reject": "Testimonial {} rejected: it stays off the wall.",
    "feature": "Testimonial {} is featured.",
    "unfeature": "Testimonial {} is no longer featured.",
    "promote": "Review {} is now a testimonial on the wall.",
}
#: Each card's forms, posted to ``…/admin/testimonials/<id>/<action>``.
ACTIONS: dict[str, Callable[[int], str]] = {
    "publish": lambda testimonial_id: _change(testimonial_id, "publish", lifecycle.publish),
    "reject": lambda testimonial_id: _change(testimonial_id, "reject", lifecycle.reject),
    "feature": lambda testimonial_id: _feature(testimonial_id, request.form.get("value") == "1"),
}


def _change(testimonial_id: int, action: str, change: Callable[[Testimonial], None]) -> str:
    api.admin_change(testimonial_id, action, change)
    return action


def _feature(testimonial_id: int, value: bool) -> str:
    api.admin_change(testimonial_id, "curate", lambda testimonial: lifecycle.curate(testimonial, {"featured": value}))
    return "feature" if value else "unfeature"


def _status(raw: str | None) -> TestimonialStatus | None:
    if not raw:
        return TestimonialStatus.PENDING
    if raw == "all":
        return None
    try:
        return TestimonialStatus(raw)
    except ValueError:
        raise ValidationError("status must be one of pending, published, rejected, all.", fields={"status": ["Not a valid choice."]})


def _counts() -> dict[str, int]:
    found = {status.value: 0 for status in TestimonialStatus}
    for status, count in session().execute(sa.select(Testimonial.status, sa.func.count()).group_by(Testimonial.status)):
        found[TestimonialStatus(status).value] = count
    return {**found, "all": sum(found.values())}


def _page(*, errors: list[str] | None = None, code: int = 200) -> Any:
    status = _status(request.args.get("status"))
    query = sa.select(Testimonial) if status is None else sa.select(Testimonial).where(Testimonial.status == status)
    keys: list[paging.Key] = [(Testimonial.id, status is not TestimonialStatus.PENDING)]  # waiting ones: oldest first
    cursor = request.args.get("cursor") or None
    items, following = paging.page(query, keys, limit=PAGE_SIZE, cursor=cursor, scalars=session().scalars)
    done = DONE.get(request.args.get("done", ""))
    what = request.args.get("what", "")
    page = render_template(
        "journeykit/admin/testimonials.html", items=items, following=following, cursor=cursor, tabs=TABS,
        current=status.value if status else "all", counts=_counts(), errors=errors or [], csrf_token=csrf_token(),
        done=done.format(what) if done and what.isascii() and what.isdigit() else None)
    return page if code == 200 else (page, code)


@admin_required
def testimonials_page() -> Any:
    """The testimonials of one status (``?status=``, waiting ones first), 25 a page."""
    return _page()


def _run(work: Callable[[], tuple[str, int, str]]) -> Any:
    """Answer a form: check its token, let ``work`` decide (it returns the verb, the id, and the tab to show)."""
    if not csrf_ok():
        return _page(errors=[STALE_FORM], code=400)
    try:
        verb, what, tab = work()
    except APIError as exc:
        rollback()
        return _page(errors=[exc.description or "Not done."], code=exc.code or 400)
    commit()
    return redirect(url_for("journeykit.admin.testimonials", status=tab, done=verb, what=what), code=303)


@admin_required
def testimonial_form(testimonial_id: int, action: str) -> Any:
    """A card's Publish, Reject and Feature buttons."""
    return _run(lambda: (ACTIONS[action](testimonial_id), testimonial_id, request.form.get("status") or "pending"))


@admin_required
def promote_form(review_id: int) -> Any:
    """The moderation inbox's "Add to testimonials": a published review becomes a published testimonial (once)."""
    def work() -> tuple[str, int, str]:
        api.promote(review_id)
        return "promote", review_id, "published"

    return _run(work)


#: The forms check their own token (and the origin): a shop's Flask-WTF ``CSRFProtect`` is told to leave them alone.
for _form_view in (testimonial_form, promote_form):
    _form_view.journeykit_own_csrf = True  # type: ignore[attr-defined]


def register_pages(bp: Blueprint) -> None:
    bp.add_url_rule("/testimonials", view_func=testimonials_page, endpoint="testimonials")
    bp.add_url_rule("/testimonials/from-review/<int:review_id>", view_func=promote_form, endpoint="testimonial_promote",
                    methods=["POST"])
    for action in ACTIONS:
        bp.add_url_rule(f"/testimonials/<int:testimonial_id>/{action}", view_func=testimonial_form,
                        endpoint=f"testimonial_{action}", defaults={"action": action}, methods=["POST"])
