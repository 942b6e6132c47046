"""The relay across a database restart: it waits, then resumes at once, and nothing is sent twice in effect."""

from __future__ import annotations

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from portal.ledger.models import EventState
from portal.ledger.relay import Relay
from tests.ledger.conftest import SECRET, cases_with_events, count
from tests.ledger.fake_ledger import FakeLedger


@pytest.fixture
def ledger(fast, monkeypatch):
    with FakeLedger(SECRET) as fake:
        monkeypatch.setitem(fast, "LEDGER_URL", fake.url)
        yield fake


def test_a_database_lost_after_the_ledger_answered_is_survived_without_waiting_for_leases(ctx, ledger, caplog):
    refs = cases_with_events(2, 3)
    failed = []

    def restart_once(conn, cursor, statement, parameters, context, executemany):
        """The database goes down just as the relay marks the batch delivered."""
        if not failed and statement.lstrip().upper().startswith("UPDATE LEDGER_EVENTS"):
            failed.append(statement)
            raise OperationalError(statement, parameters, ConnectionError("terminating connection"))

    def cut_rollback(conn):
        """The rollback after the failure finds the connection cut as well."""
        if len(failed) == 1:
            failed.append("ROLLBACK")
            raise OperationalError("ROLLBACK", {}, ConnectionError("terminating connection"))

    sleeps: list[float] = []
    relay = Relay(sleep=sleeps.append)
    event.listen(db.engine, "before_cursor_execute", restart_once)
    event.listen(db.engine, "rollback", cut_rollback)
    try:
        sent = relay.run(once=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", restart_once)
        event.remove(db.engine, "rollback", cut_rollback)
    assert len(failed) == 2 and sleeps[0] >= 1.0  # it waited for the database once
    assert "database unavailable (ConnectionError); retrying" in caplog.text
    # Its leases (LEDGER_LEASE_SECONDS=5) were still its own: it sent again at once.
    assert sent == 6 and count(EventState.pending) == 0 and count(EventState.delivered) == 6
    for ref in refs:
        assert ledger.applied[ref] == [1, 2, 3]  # in effect once, in order
    assert ledger.duplicates == 6  # the resend the ledger recognised
