"""`flask sessions purge` and `flask cases unlock REFERENCE` (added to intake's `cases` group)."""

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import delete

from portal.auth import services, sessions as server_sessions
from portal.auth.models import OneTimeCode
from portal.clock import utcnow
from portal.extensions import db
from portal.ratelimit.storage import purge_expired


@click.group("sessions")
def sessions():
    """Server-side sessions."""


@sessions.command("purge")
@with_appcontext
def purge():
    """Delete expired sessions, one-time codes older than an hour and ended rate-limit windows."""
    removed = server_sessions.purge(current_app)
    # Codes stay an hour, not just their ten minutes: the hourly resend limit counts them.
    cutoff = utcnow() - timedelta(hours=1)
    result = db.session.execute(delete(OneTimeCode).where(OneTimeCode.created_at <= cutoff))
    db.session.commit()
    counters = purge_expired()
    click.echo(f"purged {removed} sessions, {result.rowcount} one-time codes, {counters} rate-limit counters")


@click.command("unlock")
@click.argument("reference")
@with_appcontext
def unlock(reference: str):
    """Reopen sign-in for REFERENCE after too many wrong dates of birth or postcodes."""
    normalised = services.normalise_reference(reference)
    if not services.REFERENCE_FORMAT.fullmatch(normalised):
        raise click.ClickException(f"{reference!r} is not a case reference (6-32 letters, digits and dashes)")
    if not services.unlock(normalised):
        raise click.ClickException(f"sign-in for {normalised} is not locked")
    services.log_event("signin.unlocked", normalised, "cli")
    db.session.commit()
    click.echo(f"unlocked {normalised}: the debtor can sign in with their date of birth or postcode again")
