"""The owner's webhooks page, ``{prefix}/admin/webhooks``: add, test, pause, resume and delete endpoints, and the
delivery log with retries.

Plain HTML forms that work without JavaScript, carry the owner's CSRF token
(:func:`journeykit.core.admin_access.csrf_ok`) and change things only through
:mod:`.endpoints`, so a change made here is validated and audited exactly as
one made through the API.  An endpoint's signing secret is shown once, on the
page the owner lands on after adding it (or rolling a new one): the session
keeps which endpoint's secret to show, never the secret itself.
"""

from __future__ import annotations

from typing import Any

import marshmallow
import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from journeykit.core.admin_access import STALE_FORM, admin_required, csrf_ok, csrf_token
from journeykit.core.db import session as db_session
from journeykit.core.errors import APIError, ValidationError
from journeykit.core.signals import rollback

from . import endpoints, outbox, payloads, signing
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

#: Deliveries shown with each endpoint on the list, and per page of an endpoint's log.
ON_LIST, PER_PAGE = 5, 25
#: Session key: the endpoint whose new signing secret the next view of its page shows (once).
REVEAL_KEY = "journeykit_webhook_secret_for"
#: What each event type means to an owner.
EVENT_LABELS = {
    "purchase.recorded": "A paid order",
    "refund.recorded": "A refund",
    "review.submitted": "A review written (before moderation)",
    "review.published": "A review published",
    "review_request.due": "A buyer is due a review request",
    "stage.changed": "A customer moved to another journey stage",
    "points.changed": "Loyalty points earned or spent",
    "points.expiring": "Loyalty points about to expire",
    "tier.changed": "A customer's loyalty tier changed",
    "referral.converted": "A referred friend's first order",
}
#: The actions that ask first, and what the confirmation says they do.
CONFIRM = {
    "delete": ("Delete this endpoint?", ("Nothing more is sent to it; its waiting deliveries and its delivery log "
                                         "are deleted too. This cannot be undone."), "Delete the endpoint"),
    "roll": ("Make a new signing secret?", ("The new secret signs everything from now on, retries included: your "
                                            "receiver refuses JourneyKit's webhooks until it has the new one."),
             "Make a new secret"),
}


# -- what the pages show ---------------------------------------------------------


def _notice() -> str | None:
    """What the page says after a change (``?done=…``, with ``delivery=`` for a test or a retry)."""
    done = request.args.get("done", "")
    if done in ("tested", "retried"):
        delivery_id = _id_arg("delivery")
        found = db_session().get(WebhookDelivery, delivery_id) if delivery_id else None
        return _outcome("The test event" if done == "tested" else "The retry", found) if found else None
    return {
        "added": "Endpoint added. Copy its signing secret now: it is not shown again.",
        "paused": "Paused: nothing is sent to it until you resume it, and events meanwhile are not kept for it.",
        "resumed": "Resumed: its waiting deliveries go out with the worker's next round.",
        "deleted": "Endpoint deleted, with its deliveries.",
        "rolled": "New signing secret made: give it to your receiver now, the old one no longer signs.",
        "already": "Already delivered: nothing was sent again.",
    }.get(done)


def _outcome(what: str, delivery: WebhookDelivery) -> str:
    answer = f"HTTP {delivery.last_status_code}" if delivery.last_status_code else delivery.last_error or "no answer"
    if delivery.status is DeliveryStatus.DELIVERED:
        return f"{what} was delivered: the endpoint answered {answer}."
    if delivery.status is DeliveryStatus.FAILED:
        return f"{what} failed: {answer}."
    return f"{what} did not get through ({answer}); it will be tried again."


def _listing(*, errors: dict[str, list[str]] | None = None, form: MultiDict[str, str] | None = None,
             status: int = 200) -> Any:
    """The list of endpoints with their latest deliveries, and the form to add one."""
    rows = db_session().scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    page = render_template(
        "journeykit/admin/webhooks.html", endpoints=rows, tallies=_tallies(),
        deliveries=endpoints.latest_deliveries([row.id for row in rows], ON_LIST),
        event_labels=EVENT_LABELS, not_yet_sent=payloads.NOT_YET_SENT, backlog=outbox.backlog(),
        max_endpoints=endpoints.MAX_ENDPOINTS, errors=errors or {}, form=form or MultiDict(),
        done=_notice(), csrf_token=csrf_token())
    return page if status == 200 else (page, status)


def _tallies() -> dict[int, dict[str, int]]:
    """Each endpoint's deliveries by status: ``{endpoint_id: {"failed": n, "pending": n, "delivered": n}}``."""
    tallies: dict[int, dict[str, int]] = {}
    for (endpoint_id, status), count in endpoints.delivery_counts().items():
        tallies.setdefault(endpoint_id, {})[status.value] = count
    return tallies


def _status_arg() -> DeliveryStatus | None:
    """The log's filter; anything unknown shows everything (a hand-edited link is not worth an error)."""
    raw = request.args.get("status", "")
    return DeliveryStatus(raw) if raw in {status.value for status in DeliveryStatus} else None


def _id_arg(name: str) -> int | None:
    """A row id from the query, or ``None`` for anything that cannot be one (never a database error)."""
    raw = request.args.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63 else None


def _messages(found: Any) -> list[str]:
    """Marshmallow's messages for one field, flattened (a list's are keyed by index)."""
    if isinstance(found, dict):
        return [text for value in found.values() for text in _messages(value)]
    return [str(text) for text in (found if isinstance(found, list) else [found])]


def _add_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The add form as the API's input: every event, or the ones chosen (at least one)."""
    chosen = form.getlist("event_types") if form.get("events") == "chosen" else []
    data = {"url": form.get("url", "").strip(), "description": form.get("description", "").strip(),
            "event_types": chosen}
    try:
        loaded = endpoints.WebhookEndpointInputSchema().load(data)
    except marshmallow.ValidationError as exc:
        raise ValidationError("Some fields are not valid.",
                              fields={name: _messages(texts) for name, texts in exc.messages.items()}) from exc
    if form.get("events") == "chosen" and not chosen:
        raise ValidationError("Some fields are not valid.",
                              fields={"event_types": ["Choose at least one event, or every event."]})
    return loaded


def _errors(exc: APIError) -> dict[str, list[str]]:
    """An API error as the page's messages: by field, else for the whole form."""
    found = {name: _messages(texts) for name, texts in (exc.fields or {}).items()}
    return found or {"form": [exc.description or "Not done."]}


# -- the views -----------------------------------------------------------------------


@admin_required
def webhooks_page() -> Any:
    """The endpoints and their latest deliveries; ``POST``: add an endpoint."""
    if request.method == "GET":
        return _listing()
    form = request.form
    if not csrf_ok():
        return _listing(errors={"form": [STALE_FORM]}, form=form, status=400)
    try:
        endpoint = endpoints.create(_add_form(form))
    except APIError as exc:
        rollback()
        return _listing(errors=_errors(exc), form=form, status=exc.code or 422)
    db_session().commit()
    session[REVEAL_KEY] = endpoint.id
    return redirect(url_for("journeykit.admin.webhook", endpoint_id=endpoint.id, done="added"), code=303)


@admin_required
def endpoint_page(endpoint_id: int) -> Any:
    """One endpoint: its settings, its secret right after it was made, and its delivery log (``?status=``)."""
    endpoint = endpoints.find(endpoint_id)
    shown = _status_arg()
    rows = endpoints.deliveries(endpoint.id, status=shown, before=_id_arg("before"), limit=PER_PAGE + 1)
    reveal = session.get(REVEAL_KEY) == endpoint.id
    if reveal:
        session.pop(REVEAL_KEY)
    return render_template(
        "journeykit/admin/webhooks/endpoint.html", endpoint=endpoint, deliveries=rows[:PER_PAGE],
        older=rows[PER_PAGE - 1].id if len(rows) > PER_PAGE else None, shown=shown, statuses=list(DeliveryStatus),
        tally=_tallies().get(endpoint.id, {}),
        secret=signing.endpoint_secret(endpoint.secret_seed) if reveal else None,
        errors={}, done=_notice(), csrf_token=csrf_token())


def _back(endpoint_id: int, **done: Any) -> Response:
    """Back to the page the form was on: the endpoint's own, or the list (at the endpoint)."""
    if request.form.get("back") == "endpoint":
        return redirect(url_for("journeykit.admin.webhook", endpoint_id=endpoint_id, **done), code=303)
    return redirect(url_for("journeykit.admin.webhooks", _anchor=f"endpoint-{endpoint_id}", **done), code=303)


def _stale() -> Any:
    return _listing(errors={"form": [STALE_FORM]}, status=400)


@admin_required
def action_page(endpoint_id: int, action: str) -> Any:
    """The Send test, Pause and Resume buttons."""
    if not csrf_ok():
        return _stale()
    endpoint = endpoints.find(endpoint_id)
    if action == "test":
        delivery = endpoints.send_test(endpoint)
        return _back(endpoint.id, done="tested", delivery=delivery.id)
    endpoints.set_active(endpoint, action == "resume")
    db_session().commit()
    return _back(endpoint.id, done=f"{action}d")


@admin_required
def confirm_page(endpoint_id: int, action: str) -> Any:
    """Delete, or make a new signing secret: ``GET`` asks, ``POST`` does it."""
    endpoint = endpoints.find(endpoint_id)
    title, consequence, button = CONFIRM[action]
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if csrf_ok():
            return _confirmed(endpoint, action)
        errors = {"form": [STALE_FORM]}
    page = render_template("journeykit/admin/webhooks/confirm.html", endpoint=endpoint, action=action, title=title,
                           consequence=consequence, button=button, errors=errors, csrf_token=csrf_token())
    return (page, 400) if errors else page


def _confirmed(endpoint: WebhookEndpoint, action: str) -> Response:
    if action == "delete":
        endpoints.delete(endpoint)
        db_session().commit()
        return redirect(url_for("journeykit.admin.webhooks", done="deleted"), code=303)
    endpoints.change(endpoint, {"rotate_secret": True})
    db_session().commit()
    session[REVEAL_KEY] = endpoint.id
    return redirect(url_for("journeykit.admin.webhook", endpoint_id=endpoint.id, done="rolled"), code=303)


@admin_required
def retry_page(delivery_id: int) -> Any:
    """A delivery's Retry button; one already delivered (a second click) is not sent again."""
    if not csrf_ok():
        return _stale()
    delivery = endpoints.find_delivery(delivery_id)
    if delivery.status is DeliveryStatus.DELIVERED:
        return _back(delivery.endpoint_id, done="already")
    endpoints.retry(delivery)
    return _back(delivery.endpoint_id, done="retried", delivery=delivery.id)


#: The forms check their own token (and the origin): a shop's Flask-WTF ``CSRFProtect`` is told to leave them alone.
for _form_view in (webhooks_page, action_page, confirm_page, retry_page):
    _form_view.journeykit_own_csrf = True  # type: ignore[attr-defined]


def register(bp: Blueprint) -> None:
    """The pages under ``{prefix}/admin/webhooks``."""
    bp.add_url_rule("/webhooks", view_func=webhooks_page, endpoint="webhooks", methods=["GET", "POST"])
    bp.add_url_rule("/webhooks/<int:endpoint_id>", view_func=endpoint_page, endpoint="webhook")
    for action in ("test", "pause", "resume"):
        bp.add_url_rule(f"/webhooks/<int:endpoint_id>/{action}", view_func=action_page, methods=["POST"],
                        endpoint=f"webhook_{action}", defaults={"action": action})
    for action, path in (("delete", "delete"), ("roll", "roll-secret")):
        bp.add_url_rule(f"/webhooks/<int:endpoint_id>/{path}", view_func=confirm_page, methods=["GET", "POST"],
                        endpoint=f"webhook_{action}", defaults={"action": action})
    bp.add_url_rule("/webhooks/deliveries/<int:delivery_id>/retry", view_func=retry_page, methods=["POST"],
                    endpoint="webhook_retry")
