"""``flask journeykit …`` commands."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from journeykit.hooks.outbound_cli import hooks_group
from journeykit.hooks.stripe_cli import stripe_group

from . import migrate, review_exchange, review_requests, reviews
from .stages_cli import stages_group
from .errors import ValidationError
from .signals import commit

journeykit_group = AppGroup("journeykit", help="JourneyKit: customer-journey widgets and metrics.")
db_group = AppGroup("db", help="JourneyKit's own tables (the shop's migrations are never touched).")
journeykit_group.add_command(db_group)
journeykit_group.add_command(stripe_group)
journeykit_group.add_command(hooks_group)
journeykit_group.add_command(stages_group)
reviews_group = AppGroup("reviews", help="Reviews: scheduled moderation tasks, CSV export and import.")
journeykit_group.add_command(reviews_group)


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


@reviews_group.command("publish-due")
def reviews_publish_due() -> None:
    """Publish the reviews nobody moderated within JOURNEYKIT_REVIEWS_PUBLISH_AFTER_DAYS."""
    published = reviews.publish_due()
    commit()
    click.echo(f"{published} pending review(s) published.")


@reviews_group.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8"))
def reviews_export(file: click.utils.LazyFile) -> None:
    """Write every review, any status, to FILE as CSV ('-' for standard output)."""
    for chunk in review_exchange.export_csv():
        file.write(chunk)


@reviews_group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--format", "fmt", required=True, type=click.Choice(list(review_exchange.FORMATS)),
              help="Whose export FILE is.")
def reviews_import(file: click.utils.LazyFile, fmt: str) -> None:
    """Import reviews from a CSV export (all or nothing; already imported reviews are skipped)."""
    try:
        result = review_exchange.import_reviews(file.read(), fmt)
    except ValidationError as exc:
        click.echo(exc.description, err=True)
        for line, problems in exc.fields.items():
            click.echo(f"  {line}: {'; '.join(problems)}", err=True)
        raise SystemExit(1) from None
    commit()
    click.echo(f"{result['imported']} review(s) imported, {result['skipped']} already there.")


@reviews_group.command("send-requests")
def reviews_send_requests() -> None:
    """Send review_request_due for paid orders older than JOURNEYKIT_REVIEW_REQUEST_DAYS (once each)."""
    sent = review_requests.send_due()
    commit()
    click.echo(f"{sent} review request(s) sent.")
