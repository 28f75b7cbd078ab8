"""``flask journeykit referrals …``: pay the held rewards that are due, flag codes whose clicks spike (daily), export."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ..core.signals import commit
from . import export, rewards, spikes

referrals_group = AppGroup("referrals", help="Referrals: held rewards and leaked codes.")


@referrals_group.command("release")
def release_command() -> None:
    """Pay the referrers whose reward was held past JOURNEYKIT_REFERRAL_HOLD_DAYS (daily; safe to run twice or in two
    places); exit 1 if Stripe kept some for the next run."""
    done = rewards.release_due()
    click.echo(f"Rewarded {done['rewarded']} referral(s); {done['reversed']} were reversed meanwhile and paid nothing"
               + (f"; {done['disputed']} wait for their friend's dispute to close" if done["disputed"] else "")
               + (f"; {done['failed']} left for the next run (Stripe did not answer)." if done["failed"] else "."))
    if done["failed"]:
        raise SystemExit(1)


@referrals_group.command("spikes")
def spikes_command() -> None:
    """Flag the codes whose clicks in the last day are far above their usual rate (JOURNEYKIT_REFERRAL_CLICK_SPIKE)."""
    flagged = spikes.flag_spikes()
    commit()
    for code in flagged:
        click.echo(f"Flagged {code}: its clicks spiked.")
    click.echo(f"Flagged {len(flagged)} code(s).")


@referrals_group.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True))
def export_command(file) -> None:  # noqa: ANN001 (click's lazy file)
    """Write every referral to FILE as CSV ("-" for standard output), as the owner's download has it."""
    for chunk in export.export_referrals():
        file.write(chunk)
    click.echo("Exported the referrals.", err=True)
