"""``flask journeykit loyalty …``: prove the ledger exact."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core.signals import commit
from . import expiry, ledger, tiers

loyalty_group = AppGroup("loyalty", help="Loyalty points: the ledger and its balances.")


@loyalty_group.command("check")
def check_command() -> None:
    """Prove every balance equals the sum of its entries; exit 1 naming each that does not."""
    drifted = ledger.check()
    for customer_id, stored, summed in drifted:
        click.echo(f"customer {customer_id}: balance {stored}, entries sum to {summed}", err=True)
    if drifted:
        raise SystemExit(1)
    click.echo("Every balance equals the sum of its entries.")


@loyalty_group.command("expire")
def expire_command() -> None:
    """Warn customers whose points expire soon, and expire those due (daily; safe to run twice or in two places)."""
    done = expiry.run()
    commit()
    click.echo(f"Warned {done['warned']} customer(s); expired the points of {done['expired']}.")


@loyalty_group.command("tiers")
def tiers_command() -> None:
    """Put every customer in the tier their trailing window deserves (daily; downgrades happen only here)."""
    done = tiers.evaluate()
    click.echo(f"Upgraded {done['upgraded']} customer(s); downgraded {done['downgraded']}.")
