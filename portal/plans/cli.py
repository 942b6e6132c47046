"""`flask plans collect [--as-of DATE]` and `flask policies import PATH`."""

from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import AppGroup

from portal.clock import today
from portal.creditors.models import Creditor
from portal.extensions import db
from portal.plans import services
from portal.plans.collect import collect
from portal.plans.rules import PolicyError

plans = AppGroup("plans", help="Instalment plans.")
policies = AppGroup("policies", help="Creditors' instalment policies.")


@plans.command("collect")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Collect as if today were this date (catch up, or test).")
def collect_command(as_of) -> None:
    """Charge due instalments off-session, retry declines, send reminders."""
    day: date = as_of.date() if as_of else today()
    report = collect(day)
    click.echo(f"collect as of {day.isoformat()}: charged {len(report.charged)}, failed {len(report.failed)}, "
               f"broken {len(report.broken)}, reminders {report.reminded}, skipped {report.skipped}")
    for line in report.charged:
        click.echo(f"  charged {line}")
    for line in report.failed:
        click.echo(f"  failed {line}")


@policies.command("import")
@click.argument("path", type=click.File("rb"))
def import_command(path) -> None:
    """Import policies from JSON: {"<creditor external id>": {policy}, ...}; each is a new version."""
    try:
        documents = json.load(path)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path.name}: not JSON ({exc})") from None
    if not isinstance(documents, dict) or not documents:
        raise click.ClickException(f"{path.name}: expected an object of creditor id -> policy")
    saved = []
    for external_id, document in documents.items():
        creditor = db.session.query(Creditor).filter_by(external_id=external_id).one_or_none()
        if creditor is None:
            db.session.rollback()
            raise click.ClickException(f"{external_id}: no such creditor; nothing imported")
        try:
            policy = services.save_policy(creditor, document, None)
        except PolicyError as exc:
            db.session.rollback()
            raise click.ClickException(f"{external_id}: {exc}; nothing imported") from None
        saved.append(f"{external_id} v{policy.version}")
    db.session.commit()
    click.echo("imported " + ", ".join(saved))
