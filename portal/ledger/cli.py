"""`flask ledger relay|status|dead-letters|requeue|purge`: run, watch and trim the ledger outbox."""

from __future__ import annotations

import signal
import sys
from datetime import timedelta

import click
from portal.extensions import db
from portal.ledger import services
from portal.ledger.relay import Relay, RelayConflict


@click.group()
def ledger():
    """Deliver portal events to the collection ledger."""


@ledger.command("relay")
@click.option("--once", is_flag=True, help="Send what is due now, then exit (1 if events remain pending).")
def relay(once: bool):
    """Run the relay until SIGTERM/SIGINT (which finish the current batch first)."""
    worker = Relay()

    def stop(signum, frame):
        worker.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        sent = worker.run(once=once)
    except RelayConflict as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"delivered {sent} events", err=True)
    if once:
        left = services.status().pending
        if left:
            click.echo(f"{left} events still pending", err=True)
            sys.exit(1)


@ledger.command("status")
def status():
    """Pending events, oldest age, dead letters, last delivery. Exits 1 when an operator is needed:
    lag past LEDGER_LAG_WARNING_SECONDS, any dead letter, or a relay alert (401/404...)."""
    s = services.status()
    click.echo(f"pending events:      {s.pending}")
    click.echo(f"oldest pending age:  {s.oldest_pending_age_seconds:.0f} s")
    click.echo(f"dead letters:        {s.dead_letters}")
    last = f"{s.last_delivery_at:%Y-%m-%d %H:%M:%S} UTC" if s.last_delivery_at else "never"
    click.echo(f"last delivery:       {last}")
    click.echo(f"relays alive:        {s.relays_alive}")
    problems = []
    if s.lagging:
        problems.append(f"the oldest pending event is older than {s.lag_warning_seconds} s")
    if s.dead_letters:
        problems.append(f"{s.dead_letters} dead letters (see `flask ledger dead-letters`)")
    if s.alerting:
        problems.append(f"the ledger refuses the relay: {s.last_error}")
    for problem in problems:
        click.echo(f"WARNING: {problem}", err=True)
    if problems:
        sys.exit(1)


@ledger.command("dead-letters")
def dead_letters():
    """List events the ledger refused, with its error."""
    letters = services.dead_letters()
    for d in letters:
        when = f"{d.dead_at:%Y-%m-%d %H:%M}" if d.dead_at else "-"
        click.echo(f"{d.id}\t{d.case_reference}\t#{d.sequence}\t{d.type}\t{when}\t{d.error}")
    click.echo(f"{len(letters)} dead letters", err=True)


@ledger.command("requeue")
@click.argument("ids", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Requeue every dead letter.")
def requeue(ids: tuple[str, ...], all_: bool):
    """Put dead letters (by ID, or --all) back in the queue once the cause is fixed."""
    if bool(ids) == all_:
        raise click.UsageError("give event IDs or --all (not both)")
    try:
        count = services.requeue(None if all_ else list(ids))
    except ValueError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"requeued {count} events")


@ledger.command("purge")
@click.option("--older-than", "days", type=click.IntRange(min=1), default=90, show_default=True,
              help="Keep delivered events for this many days.")
def purge(days: int):
    """Delete delivered events older than --older-than days (pending events and dead letters stay)."""
    count = services.purge_delivered(timedelta(days=days))
    db.session.commit()
    click.echo(f"purged {count} delivered events older than {days} days")
