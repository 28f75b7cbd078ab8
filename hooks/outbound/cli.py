"""``flask journeykit hooks …``: deliver outbound webhooks (once, or as a worker) and list endpoints."""

from __future__ import annotations

import logging
import time

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from journeykit.core.db import session

from . import endpoints, outbox
from .models import DeliveryStatus, WebhookEndpoint

hooks_group = AppGroup("hooks", help="Outbound webhooks: deliver the outbox, list endpoints.")
log = logging.getLogger("journeykit.hooks")


def _report(counts: dict[str, int]) -> str:
    return f"{counts['delivered']} delivered, {counts['retrying']} to retry, {counts['failed']} failed."


@hooks_group.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering, polling every --interval seconds, until interrupted.")
@click.option("--interval", type=click.FloatRange(0.1, 3600), default=5.0, show_default=True)
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True, help="Deliveries per round.")
@click.option("--rounds", type=click.IntRange(1), default=None, hidden=True)  # for tests: stop after N rounds
def deliver(loop: bool, interval: float, limit: int, rounds: int | None) -> None:
    """Send the webhooks that are due (safe to run in several processes at once)."""
    if not loop:
        click.echo(_report(outbox.deliver_due(limit)))
        return
    click.echo(f"Delivering webhooks every {interval:g} s; Ctrl+C stops.")
    done = 0
    try:
        while rounds is None or done < rounds:
            done += 1
            counts = _round(limit)
            if sum(counts.values()):
                click.echo(_report(counts))
            if sum(counts.values()) < limit:  # a full round: more may be due at once
                time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Stopped.")


def _round(limit: int) -> dict[str, int]:
    """One round of the worker; a database outage is logged and waited out, not fatal."""
    try:
        return outbox.deliver_due(limit)
    except sa.exc.OperationalError:
        log.exception("journeykit hooks worker: the database is not answering; trying again")
        session().rollback()
        return {"delivered": 0, "retrying": 0, "failed": 0}


@hooks_group.command("list")
def list_endpoints() -> None:
    """Every endpoint with its events and how many deliveries wait or failed."""
    counts = endpoints.delivery_counts()
    rows = session().scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    if not rows:
        prefix = current_app.config["JOURNEYKIT_URL_PREFIX"].rstrip("/")
        click.echo(f"No webhook endpoints. Add one on the owner's page, {prefix}/admin/webhooks, "
                   f"or with POST {prefix}/api/v1/admin/webhooks.")
    for endpoint in rows:
        state = "active" if endpoint.active else "paused"
        events = ",".join(endpoint.event_types) or "all events"
        pending = counts.get((endpoint.id, DeliveryStatus.PENDING), 0)
        failed = counts.get((endpoint.id, DeliveryStatus.FAILED), 0)
        click.echo(f"{endpoint.id}\t{state}\t{endpoint.url}\t{events}\t{pending} pending, {failed} failed")

