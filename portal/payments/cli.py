"""`flask payments reconcile`: apply what Stripe knows and the webhooks missed (Stripe stops retrying after three days)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import click
from flask.cli import with_appcontext

from portal.clock import utcnow
from portal.extensions import db
from portal.payments import fulfil, gateway, webhooks
from portal.payments.models import Payment, StaleState

_RELATIVE = re.compile(r"^(\d+)([dh])$")


def parse_since(value: str) -> datetime:
    """"3d", "12h", a date (2026-11-20) or an ISO datetime; naive times are UTC."""
    found = _RELATIVE.match(value.strip())
    if found:
        number, unit = int(found.group(1)), found.group(2)
        return utcnow() - (timedelta(days=number) if unit == "d" else timedelta(hours=number))
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r}: use 3d, 12h, YYYY-MM-DD or an ISO date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.group()
def payments():
    """Online payments through Stripe."""


@payments.command("reconcile")
@click.option("--since", "since_text", default="4d", show_default=True,
              help="How far back to look: 3d, 12h, YYYY-MM-DD or an ISO date and time.")
@with_appcontext
def reconcile(since_text: str):
    """Ask Stripe for recent Checkout Sessions and payment events carrying our ids, and apply what is missing."""
    since = parse_since(since_text)
    try:
        checked, changed = _sessions(since)
        replayed = sum(webhooks.handle(event, via="reconcile") for event in gateway.list_events(since, list(webhooks.HANDLED)))
    except gateway.GatewayError as exc:
        raise click.ClickException(f"Stripe could not be read: {exc}") from None
    click.echo(f"checked {checked} checkout sessions, updated {changed} payments, applied {replayed} missed events")


def _sessions(since: datetime) -> tuple[int, int]:
    """Apply every session of ours created since `since`; (sessions checked, payments changed)."""
    checked = changed = 0
    for session in gateway.list_sessions(since):
        payment = webhooks.find_payment(session)
        if payment is None:
            continue  # not one of ours (another integration on the same account)
        checked += 1
        before = payment.state
        intent = gateway.retrieve_intent(session["payment_intent"]) if session.get("payment_intent") else None
        for _attempt in range(3):
            try:
                fulfil.apply_session(fulfil.lock(payment.id), session, intent, "reconcile")
                db.session.commit()
                break
            except StaleState:
                db.session.rollback()
        changed += db.session.get(Payment, payment.id).state != before
    return checked, changed
