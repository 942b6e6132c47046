"""`flask privacy export REFERENCE` and `flask privacy erase`."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.privacy import services

privacy = AppGroup("privacy", help="Export or erase what the portal holds about debtors.")


@privacy.command("export")
@click.argument("reference")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="Write the JSON here (default: standard output).")
def export_command(reference: str, output) -> None:
    """Everything held about the debtor of case REFERENCE, as JSON."""
    data = services.export(reference)
    db.session.rollback()
    if data is None:
        click.echo(f"No case with reference {reference!r}.", err=True)
        sys.exit(1)
    json.dump(data, output, ensure_ascii=False, indent=2, sort_keys=True)
    output.write("\n")


@privacy.command("erase")
def erase_command() -> None:
    """Erase personal data of debtors whose cases all ended longer ago than their creditor's retention period.

    Idempotent and safe to start from a timer while a previous run is still going.
    """
    run = services.erase_due()
    click.echo(f"Erased {run.erased} debtor(s); {run.skipped} skipped (taken by another run).")
