"""Recording events: per-case sequence in the caller's transaction, never a fact without its event."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.cases.balance import case_breakdown
from portal.cases.models import Case, CaseEntry, EntryKind
from portal.extensions import db
from portal.ledger.models import EventState, LedgerEvent
from portal.ledger.outbox import record_event, record_money_entry
from portal.ledger.schema import InvalidEvent
from portal.money import Money
from tests import factories
from tests.ledger.conftest import note


def test_events_get_consecutive_sequences_and_the_contract_envelope(ctx):
    case = factories.case("AK-2026-000123")
    at = datetime(2026, 11, 26, 14, 3, 11, tzinfo=UTC)
    first = record_event(case, "case.disputed", {"reason_code": "not_mine", "message": "Not my debt"}, at)
    second = record_event(case, "plan.completed", {"plan_id": "plan-1"})
    db.session.commit()
    assert (first.sequence, second.sequence) == (1, 2)
    assert db.session.get(Case, case.id).last_sequence == 2
    assert json.loads(first.payload) == {
        "id": first.id, "type": "case.disputed", "occurred_at": "2026-11-26T14:03:11Z",
        "case_reference": "AK-2026-000123", "creditor_id": "ACME-FR", "sequence": 1,
        "data": {"reason_code": "not_mine", "message": "Not my debt"},
    }
    assert first.state == EventState.pending


def test_a_rolled_back_fact_leaves_no_event_and_no_used_sequence(ctx):
    case = factories.case()
    note(case, 1)
    db.session.rollback()
    assert db.session.scalar(select(LedgerEvent)) is None
    case = db.session.get(Case, case.id)
    assert case.last_sequence == 0
    [event] = note(case, 1)
    db.session.commit()
    assert event.sequence == 1


def test_a_money_entry_and_its_event_share_one_sequence(ctx):
    case = factories.case()
    note(case, 1)  # an earlier event takes sequence 1
    entry, event = record_money_entry(
        case, EntryKind.payment, Money(4500, "EUR"), "payment.succeeded",
        {"payment_id": "pay-1", "method": "card", "provider": "stripe", "provider_reference": "pi_1",
         "plan_id": None, "instalment_number": None},
        description="card",
    )
    db.session.commit()
    assert entry.sequence == event.sequence == 2
    assert json.loads(event.payload)["data"]["amount_minor"] == 4500
    assert case_breakdown(case).paid_since_export == Money(4500, "EUR")


def test_a_money_entry_refuses_an_amount_that_disagrees_with_its_event(ctx):
    case = factories.case()
    with pytest.raises(InvalidEvent, match="data.amount_minor"):
        record_money_entry(case, EntryKind.refund, Money(100, "EUR"), "payment.refunded",
                           {"payment_id": "p", "refund_id": "r", "amount_minor": 99})
    with pytest.raises(InvalidEvent, match="payment.refunded"):
        record_money_entry(case, EntryKind.refund, Money(100, "EUR"), "payment.succeeded", {})
    db.session.rollback()
    assert db.session.scalar(select(CaseEntry)) is None


def test_an_event_in_another_currency_than_the_case_is_refused(ctx):
    case = factories.case(currency="EUR")
    with pytest.raises(InvalidEvent, match="data.currency"):
        record_event(case, "case.settled", {"total_paid_minor": 100, "discount_minor": 0, "currency": "GBP"})


@pytest.mark.postgres
def test_parallel_writers_on_one_case_get_consecutive_sequences(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    with app.app_context():
        case_id = factories.case().id
        db.session.remove()
    writers, rounds = 4, 10
    barrier = threading.Barrier(writers)
    errors = []

    def write():
        try:
            with app.app_context():
                for _ in range(rounds):
                    case = db.session.get(Case, case_id)
                    barrier.wait(timeout=10)  # all transactions record at the same moment
                    note(case, 1)
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with app.app_context():
        seqs = db.session.scalars(select(LedgerEvent.sequence).order_by(LedgerEvent.sequence)).all()
        assert seqs == list(range(1, writers * rounds + 1))
        assert db.session.get(Case, case_id).last_sequence == writers * rounds
        db.session.remove()
