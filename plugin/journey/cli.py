"""``flask journeykit stages …``: rebuilding (or checking) the derived stage data from the event log."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from .rebuild import rebuild
from .stage_rules import current_rules

stages_group = AppGroup("stages", help="People and their journey stages, derived from the event log.")


@stages_group.command("rebuild")
@click.option("--check", is_flag=True, help="Write nothing; report how the stored state differs (exit 1 if it does).")
@click.option("--batch", default=5000, show_default=True, type=click.IntRange(100, 100_000), help="People per batch.")
def stages_rebuild(check: bool, batch: int) -> None:
    """Recompute every person's stage, the rollups and customers' stages from the event log.

    Run it after changing JOURNEYKIT_STAGE_EVENTS or JOURNEYKIT_RETENTION_PURCHASES.
    Without --check the derived tables are replaced in one transaction.
    """
    started = time.monotonic()
    report = rebuild(current_rules(), check=check, batch=batch)
    took = time.monotonic() - started
    if not check:
        click.echo(f"Rebuilt {report.people} people from the event log in {took:.1f} s.")
        return
    if report.differences:
        for line in report.lines():
            click.echo(line)
        raise SystemExit(1)
    click.echo(f"The stored stages of {report.people} people match the event log ({took:.1f} s).")
