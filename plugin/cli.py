"""``flask journeykit …``: the command group, its ``db`` commands, and each capability's group."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .core import migrate
from .hooks.outbound.cli import hooks_group
from .hooks.stripe.cli import stripe_group
from .journey.cli import stages_group
from .loyalty.cli import loyalty_group
from .privacy.cli import customer_group
from .referrals.cli import referrals_group
from .reviews.cli import reviews_group

journeykit_group = AppGroup("journeykit", help="JourneyKit: customer-journey widgets and metrics.")
db_group = AppGroup("db", help="JourneyKit's own tables (the shop's migrations are never touched).")
for group in (db_group, stripe_group, hooks_group, stages_group, reviews_group, loyalty_group, referrals_group,
              customer_group):
    journeykit_group.add_command(group)


@db_group.command("upgrade")
@click.argument("revision", default="head")
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it.")
def db_upgrade(revision: str, sql: bool) -> None:
    """Bring JourneyKit's tables to REVISION (default: the newest). Safe to run again."""
    migrate.upgrade(revision, sql_output=sys.stdout if sql else None)  # type: ignore[arg-type]
    if not sql:
        click.echo(f"JourneyKit's tables are at revision {migrate.current_revision()}.")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Take JourneyKit's tables back to REVISION ('base' removes them all)."""
    migrate.downgrade(revision)
    click.echo(f"JourneyKit's tables are at revision {migrate.current_revision()}.")


@db_group.command("current")
def db_current() -> None:
    """Print the revision JourneyKit's tables are at."""
    click.echo(migrate.current_revision() or "none: run `flask journeykit db upgrade`")


@db_group.command("check")
def db_check() -> None:
    """Exit 1 if JourneyKit's tables differ from its models."""
    changes = migrate.pending_changes()
    for change in changes:
        click.echo(repr(change))
    if changes:
        raise SystemExit(1)
    click.echo("JourneyKit's tables match its models.")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--empty", is_flag=True, help="Write an empty revision instead of autogenerating it.")
def db_revision(message: str, empty: bool) -> None:
    """Write a new migration (for JourneyKit's own developers)."""
    migrate.revision(message, autogenerate=not empty)
