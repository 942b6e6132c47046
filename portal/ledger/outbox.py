"""Recording events in the caller's transaction: no fact without its event, no event without its fact.

Both functions only flush. The caller commits once (or rolls back, and then neither the
fact, nor the event, nor the sequence number exists).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from portal.cases.models import Case, CaseEntry, EntryKind
from portal.clock import utcnow
from portal.extensions import db
from portal.ledger.models import EventState, LedgerEvent, LedgerStream
from portal.ledger.schema import InvalidEvent, validate
from portal.money import Money

#: Which event reports each kind of money entry, and which field of its data carries the amount.
ENTRY_EVENTS: dict[EntryKind, tuple[str, str]] = {
    EntryKind.payment: ("payment.succeeded", "amount_minor"),
    EntryKind.refund: ("payment.refunded", "amount_minor"),
    EntryKind.chargeback: ("payment.disputed", "amount_minor"),
    EntryKind.discount: ("case.settled", "discount_minor"),
}


def rfc3339(moment: datetime) -> str:
    """`2026-11-26T14:03:11Z` (with microseconds only when there are some)."""
    if moment.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    moment = moment.astimezone(UTC)
    spec = "microseconds" if moment.microsecond else "seconds"
    return moment.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def envelope_json(event_id: str, type: str, occurred_at: datetime, case_reference: str,
                  creditor_id: str, sequence: int, data: dict[str, Any]) -> str:
    """The contract's event envelope as compact JSON: stored once, sent as is on every try."""
    envelope = {
        "id": event_id,
        "type": type,
        "occurred_at": rfc3339(occurred_at),
        "case_reference": case_reference,
        "creditor_id": creditor_id,
        "sequence": sequence,
        "data": data,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def next_sequence(case: Case, count: int = 1) -> int:
    """Take the case's next `count` sequence numbers in the current transaction; returns the first.

    The UPDATE ... RETURNING locks the case row on PostgreSQL (the database on SQLite)
    until commit, so a concurrent writer waits and then gets the following numbers:
    no gaps, no repeats, and a rollback gives the numbers back.
    """
    last = db.session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(last_sequence=Case.last_sequence + count)
        .returning(Case.last_sequence),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    set_committed_value(case, "last_sequence", last)
    return last - count + 1


def record_event(case: Case, type: str, data: dict[str, Any], occurred_at: datetime | None = None,
                 *, sequence: int | None = None, flush: bool = True) -> LedgerEvent:
    """Validate and add one outbox event for `case`, with the next sequence; flushes only.

    `sequence`: a number this transaction took with `next_sequence(case, count)` for several
    facts at once (one UPDATE instead of one per event); `flush=False` leaves the flush to the
    caller, so the rows of several facts go in one INSERT per table.
    """
    validate(type, data)
    export = case.export
    currency = data.get("currency")
    if currency is not None and export is not None and currency != export.currency:
        raise InvalidEvent("data.currency", f"is {currency} but case {case.reference} is in {export.currency}")
    occurred_at = occurred_at or utcnow()
    if sequence is None:
        sequence = next_sequence(case)
    event_id = str(uuid.uuid4())
    event = LedgerEvent(
        id=event_id,
        case_id=case.id,
        sequence=sequence,
        type=type,
        occurred_at=occurred_at,
        payload=envelope_json(event_id, type, occurred_at, case.reference, case.creditor.external_id, sequence, data),
        state=EventState.pending,
        recorded_at=utcnow(),
    )
    db.session.add(event)
    if sequence == 1:
        # The case's first event creates its stream; only one transaction can get sequence 1.
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        db.session.add(LedgerStream(case_id=case.id, lease_until=epoch, retry_at=epoch))
    if flush:
        db.session.flush()
    return event


def record_money_entry(
    case: Case,
    kind: EntryKind,
    money: Money,
    event_type: str,
    data: dict[str, Any],
    *,
    description: str | None = None,
    occurred_at: datetime | None = None,
    sequence: int | None = None,
    flush: bool = True,
) -> tuple[CaseEntry, LedgerEvent]:
    """Write a balance-moving `CaseEntry` and the event reporting it, under one sequence; flushes only.

    `sequence` and `flush` as for `record_event`.
    """
    expected_type, amount_field = ENTRY_EVENTS[kind]
    if event_type != expected_type:
        raise InvalidEvent("type", f"a {kind} entry is reported by {expected_type}, not {event_type}")
    if money.minor <= 0:
        raise InvalidEvent(amount_field, "must be positive: the entry kind gives the direction")
    data = dict(data)
    for key, value in ((amount_field, money.minor), ("currency", money.currency)):
        if data.setdefault(key, value) != value:
            raise InvalidEvent(f"data.{key}", f"is {data[key]!r} but the entry says {value!r}")
    occurred_at = occurred_at or utcnow()
    event = record_event(case, event_type, data, occurred_at, sequence=sequence, flush=False)
    entry = CaseEntry(
        case_id=case.id,
        kind=kind,
        amount_minor=money.minor,
        currency=money.currency,
        sequence=event.sequence,
        description=description,
        occurred_at=occurred_at,
    )
    db.session.add(entry)
    if flush:
        db.session.flush()
    return entry, event
