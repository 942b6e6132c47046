"""The relay against a fake ledger that enforces the contract and misbehaves on demand."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.cases.models import Case
from portal.clock import utcnow
from portal.extensions import db
from portal.ledger.models import EventState, LedgerEvent, LedgerRelay, LedgerStream
from portal.ledger.relay import Relay, RelayConflict
from tests.ledger.conftest import SECRET, bulk_cases_with_events, cases_with_events, count, drain, note
from tests.ledger.fake_ledger import FakeLedger


@pytest.fixture
def ledger(fast, monkeypatch):
    with FakeLedger(SECRET) as fake:
        monkeypatch.setitem(fast, "LEDGER_URL", fake.url)
        yield fake


def _relay():
    relay = Relay()
    relay.register()
    return relay


def _in_order(fake: FakeLedger, refs: list[str], per_case: int) -> None:
    for ref in refs:
        assert fake.applied[ref] == list(range(1, per_case + 1)), ref


def test_every_event_is_delivered_once_in_order_per_case(ctx, ledger):
    refs = bulk_cases_with_events(12, 60)  # 720 events: two batches of 500 at most
    drain(_relay())
    _in_order(ledger, refs, 60)
    assert count(EventState.delivered) == 720 and count(EventState.pending) == 0
    assert max(ledger.batch_sizes) == 500
    sent = next(iter(ledger.events.values()))
    assert set(sent) == {"id", "type", "occurred_at", "case_reference", "creditor_id", "sequence", "data"}
    assert sent["creditor_id"] == "ACME-FR" and sent["occurred_at"].endswith("Z")


def test_a_sequence_gap_resends_the_missing_earlier_events_first(ctx, ledger):
    [ref] = cases_with_events(1, 3)
    relay = _relay()
    drain(relay)
    ledger.applied[ref] = [1]  # the ledger lost events 2 and 3 (restored from a backup)
    for seq in (2, 3):
        del ledger.events[next(i for i, e in ledger.events.items() if e["sequence"] == seq)]
    note(db.session.scalar(select(Case).where(Case.reference == ref)), 2)
    db.session.commit()
    drain(relay)
    assert ledger.applied[ref] == [1, 2, 3, 4, 5]
    assert 409 in ledger.statuses


def test_a_rejected_event_becomes_a_dead_letter_and_the_rest_goes_through(ctx, fast, monkeypatch):
    refs = cases_with_events(3, 4)
    bad = db.session.scalar(select(LedgerEvent).where(LedgerEvent.sequence == 2).order_by(LedgerEvent.case_id))
    bad_case = bad.case_id
    with FakeLedger(SECRET, reject_ids={bad.id}) as fake:
        monkeypatch.setitem(fast, "LEDGER_URL", fake.url)
        drain(_relay())
    bad = db.session.get(LedgerEvent, bad.id)
    assert bad.state == EventState.dead and "422 unknown_case" in bad.last_error
    ref = db.session.get(Case, bad_case).reference
    assert fake.applied[ref] == [1]  # 3 and 4 wait behind the dead letter: order is kept
    for other in set(refs) - {ref}:
        assert fake.applied[other] == [1, 2, 3, 4]
    assert count(EventState.pending) == 2


def test_a_bad_signature_alerts_and_keeps_the_events(ctx, fast, monkeypatch, caplog):
    cases_with_events(1, 2)
    with FakeLedger("another-secret") as fake:
        monkeypatch.setitem(fast, "LEDGER_URL", fake.url)
        relay = _relay()
        with caplog.at_level(logging.ERROR, "portal.ledger"):
            assert relay.step()
    assert fake.statuses == [401]
    assert any("ALERT" in r.message for r in caplog.records if r.levelno == logging.ERROR)
    assert count(EventState.pending) == 2 and count(EventState.dead) == 0
    assert db.session.get(LedgerRelay, relay.id).alerting


def test_retry_after_is_honoured(ctx, ledger):
    cases_with_events(1, 1)
    ledger.force.append((503, {"error": "maintenance"}, {"Retry-After": "120"}))
    relay = _relay()
    before = utcnow()
    relay.step()
    stream = db.session.scalar(select(LedgerStream))
    assert stream.retry_at >= before + timedelta(seconds=120)
    assert relay.pause_until >= before + timedelta(seconds=120)
    assert not relay.step()  # nothing is sent before the ledger's time
    assert ledger.requests == 1


def test_a_permanent_4xx_isolates_the_one_bad_event_without_retrying_the_others(ctx, ledger):
    refs = cases_with_events(4, 1)
    ledger.force.append((400, {"error": "schema"}, {}))  # first answer: the whole batch
    ledger.force.append((400, {"error": "schema"}, {}))  # first half
    ledger.force.append((400, {"error": "schema"}, {}))  # first quarter: one event, dead
    drain(_relay())
    assert count(EventState.dead) == 1 and count(EventState.delivered) == 3
    assert sum(len(ledger.applied[r]) for r in refs) == 3
    assert ledger.requests == 5  # 500-batch, half, quarter(dead), quarter, second half


def test_transient_errors_never_dead_letter_before_the_72_hour_horizon(ctx, fast, monkeypatch):
    cases_with_events(1, 1)
    monkeypatch.setitem(fast, "LEDGER_URL", "http://127.0.0.1:9")  # nothing listens: refused
    start = utcnow()
    with time_machine.travel(start, tick=False) as clock:
        relay = _relay()
        relay.step()
        clock.move_to(start + timedelta(hours=71, minutes=59))
        db.session.execute(LedgerStream.__table__.update().values(retry_at=start))
        db.session.commit()
        relay.pause_until = None
        relay.step()
        assert count(EventState.dead) == 0 and count(EventState.pending) == 1
        clock.move_to(start + timedelta(hours=72, minutes=1))
        db.session.execute(LedgerStream.__table__.update().values(retry_at=start))
        db.session.commit()
        relay.pause_until = None
        relay.step()
    event = db.session.scalar(select(LedgerEvent))
    assert event.state == EventState.dead and "retry horizon" in event.last_error
    assert event.attempts == 3


def test_backoff_grows_exponentially_with_jitter_up_to_the_maximum(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "LEDGER_BACKOFF_BASE_SECONDS", 1.0)
    monkeypatch.setitem(app.config, "LEDGER_BACKOFF_MAX_SECONDS", 600.0)
    low, high = Relay(rng=lambda: 0.0), Relay(rng=lambda: 0.999999)
    assert [low.delay(n, None) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert high.delay(4, None) == pytest.approx(8.0)
    assert low.delay(40, None) == 300.0 and high.delay(40, None) == pytest.approx(600.0)
    assert low.delay(1, 30.0) == 30.0  # Retry-After wins when longer


def test_chaos_every_event_takes_effect_exactly_once_in_order(ctx, fast, monkeypatch):
    """30% 5xx/429, slow answers past the timeout, dropped connections, one 422."""
    refs = cases_with_events(20, 15)
    poison = db.session.scalar(select(LedgerEvent).where(LedgerEvent.sequence == 15).order_by(LedgerEvent.case_id))
    monkeypatch.setitem(fast, "LEDGER_BATCH_SIZE", 40)
    with FakeLedger(SECRET, chaos=0.3, slow=0.1, drop=0.1, slow_seconds=0.8,
                    reject_ids={poison.id}, retry_after="0") as fake:
        monkeypatch.setitem(fast, "LEDGER_URL", fake.url)
        drain(_relay(), timeout=60)
    statuses = set(fake.statuses)
    assert {500, 502, 503, 429} & statuses and 422 in statuses
    assert fake.duplicates > 0  # the slow and dropped answers were applied and resent
    assert len(fake.events) == 20 * 15 - 1
    poison_ref = db.session.get(Case, poison.case_id).reference
    for ref in refs:
        assert fake.applied[ref] == list(range(1, 15 if ref == poison_ref else 16))
    assert count(EventState.dead) == 1 and count(EventState.delivered) == 299
    assert all(json.loads(e.payload)["id"] == e.id for e in db.session.scalars(select(LedgerEvent)))


def test_sqlite_allows_one_relay_at_a_time(ctx, ledger):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    first = _relay()
    with pytest.raises(RelayConflict, match="one relay"):
        _relay()
    first.shutdown()
    _relay().shutdown()  # a stopped relay no longer blocks
