"""``flask journeykit stripe …``: replay stored events, recover missed ones, fetch products."""

from __future__ import annotations

import datetime as dt
import json

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from journeykit.core.db import session

from . import client, store
from .models import StripeEvent, StripeEventStatus

stripe_group = AppGroup("stripe", help="Stripe events: replay, recover, fetch products.")
_ANY_STATUS = list(StripeEventStatus)


@stripe_group.command("replay")
@click.option("--failed", "only_failed", is_flag=True, help="Every event whose applying failed.")
@click.option("--deferred", "only_deferred", is_flag=True,
              help="Every event waiting for its purchase (those whose purchase has arrived are applied; safe from cron).")
@click.option("--event", "event_ids", multiple=True, help="One stored event id (repeatable).")
@click.option("--since", type=click.DateTime(), help="Events Stripe created at or after this UTC time.")
@click.option("--until", type=click.DateTime(), help="… and at or before this UTC time.")
def replay(only_failed: bool, only_deferred: bool, event_ids: tuple[str, ...], since: dt.datetime | None,
           until: dt.datetime | None) -> None:
    """Re-apply stored events. Effects are state, so re-applying a processed event changes nothing."""
    if only_deferred:
        counts = store.retry_deferred()
        click.echo(f"{counts['applied']} deferred event(s) applied, {counts['waiting']} still waiting for their purchase.")
        return
    query = sa.select(StripeEvent.event_id).order_by(StripeEvent.created, StripeEvent.id)
    if only_failed:
        query = query.where(StripeEvent.status == StripeEventStatus.FAILED)
    if event_ids:
        query = query.where(StripeEvent.event_id.in_(event_ids))
    if since:
        query = query.where(StripeEvent.created >= since.replace(tzinfo=dt.timezone.utc))
    if until:
        query = query.where(StripeEvent.created <= until.replace(tzinfo=dt.timezone.utc))
    if not (only_failed or event_ids or since or until):
        raise click.UsageError("Say which events: --failed, --deferred, --event ID, or --since/--until.")
    ids = session().scalars(query).all()
    session().rollback()
    failures = 0
    for event_id in ids:
        try:
            outcome = store.apply(event_id, statuses=_ANY_STATUS)
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            failures += 1
            outcome = f"failed: {exc}"
        click.echo(f"{event_id}: {outcome}")
    click.echo(f"{len(ids)} event(s) replayed, {failures} failed.")
    if failures:
        raise SystemExit(1)


@stripe_group.command("sync")
@click.option("--since", type=click.DateTime(), required=True, help="UTC time to recover events from.")
@click.option("--until", type=click.DateTime(), help="UTC time to stop at.")
def sync(since: dt.datetime, until: dt.datetime | None) -> None:
    """Pull events from Stripe's events list and apply those never delivered."""
    since = since.replace(tzinfo=dt.timezone.utc)
    until = until.replace(tzinfo=dt.timezone.utc) if until else None
    known = new = 0
    for event in client.events_since(since, until):
        exists = session().scalar(sa.select(StripeEvent.id).where(StripeEvent.event_id == event["id"]))
        session().rollback()
        if exists:
            known += 1
            continue
        store.store(event, json.dumps(event).encode())
        outcome = store.apply(event["id"], event=event)
        new += 1
        click.echo(f"{event['id']} {event.get('type')}: {outcome}")
    click.echo(f"{new} missed event(s) recovered, {known} already known.")


@stripe_group.command("line-items")
def line_items() -> None:
    """Fetch from Stripe the products of orders whose checkout named none."""
    click.echo(f"{client.fetch_pending_products()} order(s) filled from Stripe's line items.")
