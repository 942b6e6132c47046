"""Ledger test helpers: fast relay settings, events on cases, and a drain loop."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.ledger.models import EventState, LedgerEvent
from portal.ledger.outbox import record_event
from tests import factories

SECRET = "test-ledger-secret"


@pytest.fixture
def fast(app, monkeypatch):
    """Relay settings that keep the tests short; each test sets LEDGER_URL itself."""
    for key, value in {
        "LEDGER_SECRET": SECRET,
        "LEDGER_BATCH_SIZE": 500,
        "LEDGER_TIMEOUT_SECONDS": 0.5,
        "LEDGER_LEASE_SECONDS": 5.0,
        "LEDGER_POLL_SECONDS": 0.05,
        "LEDGER_BACKOFF_BASE_SECONDS": 0.01,
        "LEDGER_BACKOFF_MAX_SECONDS": 0.05,
        "LEDGER_RETRY_HORIZON_SECONDS": 72 * 3600,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return app.config


def note(case, n: int = 1, amount: int = 100) -> list[LedgerEvent]:
    """Record `n` payment.succeeded events on `case` (caller commits)."""
    return [
        record_event(case, "payment.succeeded", {
            "payment_id": f"pay-{case.id}-{case.last_sequence + 1}", "amount_minor": amount, "currency": "EUR",
            "method": "card", "provider": "stripe", "provider_reference": f"pi_{case.id}_{i}",
            "plan_id": None, "instalment_number": None,
        })
        for i in range(n)
    ]


def cases_with_events(n_cases: int, per_case: int) -> list[str]:
    """Cases with committed events; returns their references."""
    refs = []
    for _ in range(n_cases):
        case = factories.case(commit=False)
        note(case, per_case)
        refs.append(case.reference)
    db.session.commit()
    return refs


def count(state: EventState) -> int:
    """Events in `state`."""
    return db.session.scalar(select(func.count()).where(LedgerEvent.state == state))


def sendable() -> int:
    """Pending events of cases without a dead letter (the ones a relay will send)."""
    dead = select(LedgerEvent.case_id).where(LedgerEvent.state == EventState.dead)
    return db.session.scalar(
        select(func.count()).where(LedgerEvent.state == EventState.pending, LedgerEvent.case_id.not_in(dead))
    )


def drain(relay, timeout: float = 30.0) -> None:
    """Step the relay until nothing sendable is left, sleeping through its backoffs."""
    from portal.clock import utcnow

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if relay.step():
            continue
        db.session.commit()
        if not sendable():
            return
        wait = (relay.pause_until - utcnow()).total_seconds() if relay.pause_until else 0.02
        time.sleep(min(max(wait, 0.01), 0.5))
    raise AssertionError(f"relay did not drain in {timeout}s: {sendable()} events left")


def bulk_cases_with_events(n_cases: int, per_case: int) -> list[str]:
    """Many events fast, for volume tests of the relay: the rows `record_event` would write,
    inserted in bulk (record_event itself is tested in test_outbox.py)."""
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import insert, update

    from portal.cases.models import Case
    from portal.clock import utcnow
    from portal.ledger.models import LedgerStream
    from portal.ledger.outbox import envelope_json

    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    refs, rows, streams = [], [], []
    now = utcnow()
    for _ in range(n_cases):
        case = factories.case(commit=False)
        refs.append(case.reference)
        streams.append({"case_id": case.id, "lease_until": epoch, "retry_at": epoch})
        for seq in range(1, per_case + 1):
            eid = str(uuid.uuid4())
            data = {"payment_id": f"p{seq}", "amount_minor": 100, "currency": "EUR", "method": "card",
                    "provider": "stripe", "provider_reference": f"pi_{eid[:8]}", "plan_id": None,
                    "instalment_number": None}
            rows.append({
                "id": eid, "case_id": case.id, "sequence": seq, "type": "payment.succeeded", "occurred_at": now,
                "payload": envelope_json(eid, "payment.succeeded", now, case.reference, "ACME-FR", seq, data),
                "state": EventState.pending, "recorded_at": now, "attempts": 0,
            })
        db.session.execute(update(Case).where(Case.id == case.id).values(last_sequence=per_case))
    db.session.execute(insert(LedgerStream), streams)
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(LedgerEvent), rows[start:start + 2000])
    db.session.commit()
    return refs
