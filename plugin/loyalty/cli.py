"""``flask journeykit loyalty …``: prove the ledger exact."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core.errors import ValidationError
from ..core.signals import commit, rollback
from . import birthdays, expiry, ledger, redemptions, tiers, transfer

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


@loyalty_group.command("codes")
def codes_command() -> None:
    """Close the discount codes past their expiry: used ones as used, unused ones give their points back (daily)."""
    done = redemptions.return_expired()
    click.echo(f"Gave back the points of {done['returned']} unused code(s); {done['used']} were used"
               + (f"; {done['unchecked']} left for the next run (Stripe did not answer)." if done["unchecked"] else "."))
    if done["unchecked"]:
        raise SystemExit(1)


@loyalty_group.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8"))
@click.option("--entries", is_flag=True, help="Every ledger entry instead of one row per customer.")
def export_command(file: click.utils.LazyFile, entries: bool) -> None:
    """Write every member's points (or, with --entries, the whole ledger) to FILE as CSV ('-' for standard output)."""
    for chunk in transfer.export_entries() if entries else transfer.export_members():
        file.write(chunk)


@loyalty_group.command("import-smile")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Say what would be imported, and change nothing.")
def import_smile_command(file: click.utils.LazyFile, dry_run: bool) -> None:
    """Bring customers' balances over from a Smile.io points export (CSV); running it twice changes nothing more.

    Needs the Email and Points Balance columns; rows naming a customer the shop
    has not sent JourneyKit are skipped and listed.  One bad row and nothing is
    imported (exit 1, each bad line named).
    """
    try:
        result = transfer.import_smile(file.read(transfer.IMPORT_MAX_BYTES + 1))
    except ValidationError as exc:
        rollback()
        click.echo(f"Nothing imported: {exc.description}", err=True)
        for line, problems in exc.fields.items():
            click.echo(f"  {line}: {'; '.join(problems)}", err=True)
        raise SystemExit(1) from None
    for line, email, reason in result.skipped:
        click.echo(f"  line {line}: {email} skipped: {reason}", err=True)
    if dry_run:
        rollback()
    else:
        commit()
    click.echo(("Dry run, nothing changed: " if dry_run else "") + result.summary())


@loyalty_group.command("birthdays")
def birthdays_command() -> None:
    """Give today's birthday bonuses (daily; once a year per customer, safe to run twice or in two places)."""
    done = birthdays.run()
    click.echo(f"Gave the birthday bonus to {done['granted']} customer(s).")
