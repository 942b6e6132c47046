"""Relays as real processes: SIGKILLed mid-batch and restarted, and four at once on PostgreSQL."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.ledger.models import EventState, LedgerStream
from tests.ledger.conftest import SECRET, bulk_cases_with_events, count
from tests.ledger.fake_ledger import FakeLedger

ROOT = Path(__file__).resolve().parents[2]


def _start(app, url: str, **env) -> subprocess.Popen:
    """`flask ledger relay` in its own process, on the tests' database."""
    environ = {
        **os.environ,
        "PORTAL_ENV": "test",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_VAR_DIR": app.config["PORTAL_VAR_DIR"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "LEDGER_URL": url,
        "LEDGER_SECRET": SECRET,
        "LEDGER_LEASE_SECONDS": "2",
        "LEDGER_TIMEOUT_SECONDS": "1",
        "LEDGER_POLL_SECONDS": "0.05",
        "LEDGER_BACKOFF_BASE_SECONDS": "0.01",
        "LEDGER_BACKOFF_MAX_SECONDS": "0.05",
        **{k: str(v) for k, v in env.items()},
    }
    flask = str(Path(sys.executable).with_name("flask"))
    return subprocess.Popen([flask, "--app", "portal", "ledger", "relay"], cwd=ROOT, env=environ,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait(predicate, timeout: float) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _pending() -> int:
    db.session.commit()  # a fresh snapshot each time
    return count(EventState.pending)


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM: the relay finishes its batch, gives back its leases and exits 0."""
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=15)
    errors = proc.stderr.read().decode()
    proc.stderr.close()
    assert code == 0, errors


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILL: no chance to clean up."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stderr.close()


def test_a_relay_killed_mid_batch_loses_nothing(ctx, app):
    refs = bulk_cases_with_events(20, 50)  # 1,000 events
    rng = random.Random(5)
    # Every answer comes 0.3 s after the ledger applied the batch: kills land between the
    # send and the relay's "delivered" commit, the worst moment.
    with FakeLedger(SECRET, slow=1.0, slow_seconds=0.3) as fake:
        for _ in range(3):
            relay = _start(app, fake.url, LEDGER_BATCH_SIZE=100)
            _wait(lambda: fake.requests > 0, 30)
            time.sleep(rng.uniform(0.1, 0.8))
            _kill(relay)
        relay = _start(app, fake.url, LEDGER_BATCH_SIZE=100)
        _wait(lambda: _pending() == 0, 90)
        _stop(relay)
    assert len(fake.events) == 1000  # every event took effect exactly once
    assert fake.duplicates > 0  # ...although some were sent twice
    for ref in refs:
        assert fake.applied[ref] == list(range(1, 51))
    assert count(EventState.delivered) == 1000
    # Nothing stays claimed: the survivor gave its leases back, the killed ones' ran out.
    assert db.session.scalar(select(LedgerStream).where(LedgerStream.lease_until > utcnow())) is None


@pytest.mark.postgres
@pytest.mark.slow
def test_four_relays_deliver_ten_thousand_events_in_order_without_sharing_a_case(ctx, app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite runs one relay")
    refs = bulk_cases_with_events(500, 20)
    with FakeLedger(SECRET, latency=0.05) as fake:
        relays = [_start(app, fake.url, LEDGER_BATCH_SIZE=200) for _ in range(4)]
        _wait(lambda: len(fake.events) > 2000, 60)
        killed = relays.pop(0)  # holds claims right now: they must run out and be taken over
        _kill(killed)
        started = time.monotonic()
        _wait(lambda: _pending() == 0, 120)
        tail = time.monotonic() - started
        for relay in relays:
            _stop(relay)
    assert fake.concurrent_sends == 0
    assert len(fake.events) == 10_000
    for ref in refs:
        assert fake.applied[ref] == list(range(1, 21)), ref
    assert tail < 60
