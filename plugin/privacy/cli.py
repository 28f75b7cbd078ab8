"""``flask journeykit customer export|forget ID``: privacy requests from the command line."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from ..core.errors import NotFound
from ..core.signals import commit
from . import requests

customer_group = AppGroup("customer", help="Privacy requests: export or forget one customer (the shop's id).")


@customer_group.command("export")
@click.argument("customer_id")
def export_command(customer_id: str) -> None:
    """Print everything JourneyKit holds on CUSTOMER_ID as JSON."""
    try:
        data = requests.export(customer_id)
    except NotFound as exc:
        raise click.ClickException(exc.description) from None
    commit()
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@customer_group.command("forget")
@click.argument("customer_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def forget_command(customer_id: str, yes: bool) -> None:
    """Erase CUSTOMER_ID's personal data; anonymous counts, sums, stages and ratings stay."""
    if not yes:
        click.confirm(f"Erase every personal detail of customer {customer_id!r}? This cannot be undone", abort=True)
    try:
        changed = requests.forget(customer_id)
    except NotFound as exc:
        raise click.ClickException(exc.description) from None
    commit()
    click.echo(f"Customer {customer_id!r} forgotten: " + ", ".join(f"{count} {name}" for name, count in changed.items()) + ".")
