"""What operators and the back office see of the outbox: status, metrics, dead letters, requeue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update

from portal.cases.models import Case
from portal.clock import utcnow
from portal.extensions import db
from portal.ledger.models import EventState, LedgerEvent, LedgerRelay, LedgerStream


@dataclass(frozen=True)
class LedgerStatus:
    """The figures of `flask ledger status` and of /metrics/ledger."""

    pending: int
    oldest_pending_at: datetime | None
    oldest_pending_age_seconds: float
    dead_letters: int
    last_delivery_at: datetime | None
    relays_alive: int
    #: A live relay's last answer from the ledger was 401/403/404/405.
    alerting: bool
    last_error: str | None
    lag_warning_seconds: int

    @property
    def lagging(self) -> bool:
        """The oldest undelivered event is older than LEDGER_LAG_WARNING_SECONDS."""
        return self.oldest_pending_age_seconds > self.lag_warning_seconds


@dataclass(frozen=True)
class DeadLetter:
    """An event the ledger refused, waiting for an operator."""

    id: str
    case_reference: str
    sequence: int
    type: str
    dead_at: datetime | None
    error: str | None
    attempts: int


def status(now: datetime | None = None) -> LedgerStatus:
    """Count pending and dead events and read the relays' heartbeats."""
    now = now or utcnow()
    pending, oldest = db.session.execute(
        select(func.count(), func.min(LedgerEvent.recorded_at)).where(LedgerEvent.state == EventState.pending)
    ).one()
    dead = db.session.scalar(select(func.count()).where(LedgerEvent.state == EventState.dead))
    lease = timedelta(seconds=max(current_app.config["LEDGER_LEASE_SECONDS"], 10))
    live = db.session.execute(
        select(LedgerRelay.alerting, LedgerRelay.last_error)
        .where(LedgerRelay.stopped_at.is_(None), LedgerRelay.heartbeat_at > now - lease)
    ).all()
    last_delivery = db.session.scalar(select(func.max(LedgerRelay.last_success_at)))
    last_error = db.session.scalar(
        select(LedgerRelay.last_error).where(LedgerRelay.last_error_at.is_not(None))
        .order_by(LedgerRelay.last_error_at.desc()).limit(1)
    )
    if oldest is not None and oldest.tzinfo is None:  # min() bypasses the column type on SQLite
        oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=now.tzinfo)
    if last_delivery is not None and last_delivery.tzinfo is None:
        last_delivery = datetime.fromisoformat(str(last_delivery)).replace(tzinfo=now.tzinfo)
    age = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    return LedgerStatus(
        pending=pending, oldest_pending_at=oldest, oldest_pending_age_seconds=age, dead_letters=dead,
        last_delivery_at=last_delivery, relays_alive=len(live), alerting=any(a for a, _ in live),
        last_error=last_error, lag_warning_seconds=current_app.config["LEDGER_LAG_WARNING_SECONDS"],
    )


def metrics_text(now: datetime | None = None) -> str:
    """The status in the Prometheus text exposition format (version 0.0.4)."""
    s = status(now)
    gauges = [
        ("ledger_events_pending", "Events recorded but not yet acknowledged by the ledger.", s.pending),
        ("ledger_oldest_pending_age_seconds", "Age of the oldest undelivered event.", s.oldest_pending_age_seconds),
        ("ledger_dead_letters", "Events refused by the ledger, waiting for an operator.", s.dead_letters),
        ("ledger_last_delivery_timestamp_seconds", "Unix time of the last delivered batch (0: never).",
         s.last_delivery_at.timestamp() if s.last_delivery_at else 0),
        ("ledger_relays_alive", "Relays with a fresh heartbeat.", s.relays_alive),
        ("ledger_relay_alerting", "1 while the ledger refuses our signature or address (401/403/404/405).",
         int(s.alerting)),
        ("ledger_lagging", "1 when the oldest undelivered event is older than the warning threshold.",
         int(s.lagging)),
    ]
    lines = []
    for name, help_text, value in gauges:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {_number(value)}"]
    return "\n".join(lines) + "\n"


def _number(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def dead_letters(limit: int = 1000) -> list[DeadLetter]:
    """Dead letters, oldest first, with the ledger's error."""
    rows = db.session.execute(
        select(LedgerEvent, Case.reference)
        .join(Case, Case.id == LedgerEvent.case_id)
        .where(LedgerEvent.state == EventState.dead)
        .order_by(LedgerEvent.dead_at, LedgerEvent.case_id, LedgerEvent.sequence)
        .limit(limit)
    ).all()
    return [
        DeadLetter(e.id, ref, e.sequence, e.type, e.dead_at, e.last_error, e.attempts) for e, ref in rows
    ]


def requeue(ids: list[str] | None) -> int:
    """Put dead letters back to pending (all of them when `ids` is None); flushes only.

    Unknown ids or ids that are not dead letters raise ValueError naming them, and nothing
    changes, so a typo never half-applies.
    """
    query = select(LedgerEvent).where(LedgerEvent.state == EventState.dead)
    if ids is not None:
        query = query.where(LedgerEvent.id.in_(ids))
    events = db.session.scalars(query.with_for_update()).all()
    if ids is not None:
        missing = sorted(set(ids) - {e.id for e in events})
        if missing:
            raise ValueError(f"not dead letters: {', '.join(missing)}")
    for event in events:
        event.move_to(EventState.pending)
        event.dead_at = None
    if events:  # start the backoff afresh: the cause was fixed
        db.session.execute(
            update(LedgerStream)
            .where(LedgerStream.case_id.in_({e.case_id for e in events}))
            .values(failures=0, failing_since=None, retry_at=utcnow()),
            execution_options={"synchronize_session": False},
        )
    db.session.flush()
    return len(events)


def purge_delivered(older_than: timedelta, now: datetime | None = None) -> int:
    """Delete events the ledger acknowledged more than `older_than` ago; returns how many. Flushes only.

    The ledger holds them now; the outbox only needs pending events, dead letters and a
    recent window for support questions. Sequences live on the case (`cases.last_sequence`),
    so deleting delivered rows never lets a number be used twice.
    """
    if older_than < timedelta(days=1):
        raise ValueError("keep delivered events at least one day")
    cutoff = (now or utcnow()) - older_than
    result = db.session.execute(
        delete(LedgerEvent).where(LedgerEvent.state == EventState.delivered, LedgerEvent.delivered_at < cutoff)
    )
    return result.rowcount
