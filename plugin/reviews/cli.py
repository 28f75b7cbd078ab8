"""``flask journeykit reviews …``: scheduled moderation tasks, CSV export and import."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core.errors import ValidationError
from ..core.signals import commit
from . import exchange, lifecycle, requests

reviews_group = AppGroup("reviews", help="Reviews: scheduled moderation tasks, CSV export and import.")


@reviews_group.command("publish-due")
def reviews_publish_due() -> None:
    """Publish the reviews nobody moderated within JOURNEYKIT_REVIEWS_PUBLISH_AFTER_DAYS."""
    published = lifecycle.publish_due()
    commit()
    click.echo(f"{published} pending review(s) published.")


@reviews_group.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8"))
def reviews_export(file: click.utils.LazyFile) -> None:
    """Write every review, any status, to FILE as CSV ('-' for standard output)."""
    for chunk in exchange.export_csv():
        file.write(chunk)


@reviews_group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--format", "fmt", required=True, type=click.Choice(list(exchange.FORMATS)),
              help="Whose export FILE is.")
def reviews_import(file: click.utils.LazyFile, fmt: str) -> None:
    """Import reviews from a CSV export (all or nothing; already imported reviews are skipped)."""
    try:
        result = exchange.import_reviews(file.read(), fmt)
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
    sent = requests.send_due()
    commit()
    click.echo(f"{sent} review request(s) sent.")
