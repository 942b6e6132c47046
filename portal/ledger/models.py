"""The ledger outbox: one row per event, one stream row per case, one row per running relay.

An event row is written in the same transaction as the fact it reports and is never
edited afterwards except for its delivery state. `payload` holds the event envelope
exactly as it is sent, so every resend is byte-identical.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class EventState(enum.StrEnum):
    """Delivery state of an event; `TRANSITIONS` lists the legal moves."""

    pending = "pending"  # recorded, not yet acknowledged by the ledger
    delivered = "delivered"  # the ledger answered 200 for a batch holding it
    dead = "dead"  # the ledger refused it (422) or retries ran out: waits for an operator


#: pending -> delivered on 200, -> dead on 422; delivered -> pending when the ledger says it
#: lacks the event (409 sequence_gap); dead -> pending when an operator requeues it.
TRANSITIONS: dict[EventState, frozenset[EventState]] = {
    EventState.pending: frozenset({EventState.delivered, EventState.dead}),
    EventState.delivered: frozenset({EventState.pending}),
    EventState.dead: frozenset({EventState.pending}),
}


class LedgerEvent(db.Model):
    """An event for the collection ledger, recorded with its fact, delivered by the relay."""

    __tablename__ = "ledger_events"
    __table_args__ = (
        UniqueConstraint("case_id", "sequence", name="uq_ledger_events_case_id_sequence"),
        Index("ix_ledger_events_state_case_id", "state", "case_id"),
        Index("ix_ledger_events_state_recorded_at", "state", "recorded_at"),
    )

    #: UUID4 chosen when the fact is recorded; the ledger dedupes on it.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    #: Per case, 1, 2, 3... without gaps: taken from `cases.last_sequence` in the fact's transaction.
    sequence: Mapped[int] = mapped_column(BigInteger)
    #: One of the contract's event types, e.g. "payment.succeeded".
    type: Mapped[str] = mapped_column(String(40))
    #: When the fact happened (the envelope's `occurred_at`).
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The envelope as sent: JSON text with id, type, occurred_at, case_reference, creditor_id,
    #: sequence and data. Never changed, so every resend carries the same bytes.
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[EventState] = mapped_column(
        Enum(EventState, native_enum=False, length=16), default=EventState.pending
    )
    #: When the row was written (commit time give or take a few milliseconds): measures lag.
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Requests that carried this event and did not succeed.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: What went wrong last (the ledger's error for a dead letter), for operators.
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When it became a dead letter; cleared when requeued.
    dead_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def move_to(self, state: EventState) -> None:
        """Change state along `TRANSITIONS`; anything else is a bug and raises."""
        if state not in TRANSITIONS[self.state]:
            raise ValueError(f"ledger event {self.id}: {self.state} -> {state} is not allowed")
        self.state = state


class LedgerStream(db.Model):
    """Delivery state of one case's events: who may send them now, and when to retry.

    A relay sends a case's events only while it holds the lease, so two relays never send
    events of one case at once; a killed relay's lease simply runs out.
    """

    __tablename__ = "ledger_streams"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    #: Relay holding the lease, or None when free.
    owner: Mapped[str | None] = mapped_column(String(80))
    #: The lease ends here; after it, any relay may take the case over.
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Not before: the backoff after a transient failure (honours Retry-After).
    retry_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Consecutive transient failures, the exponent of the backoff.
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Start of the current run of transient failures; past the retry horizon events go dead.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LedgerRelay(db.Model):
    """A running (or recently stopped) relay process, for status, alerts and the SQLite guard."""

    __tablename__ = "ledger_relays"

    #: "<host>:<pid>:<random>", unique per process start.
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Refreshed every loop; a relay without a heartbeat for a lease is considered gone.
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: True while the ledger refuses our signature (401) or address (404): needs a person.
    alerting: Mapped[bool] = mapped_column(default=False, server_default="0")
