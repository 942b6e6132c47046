"""POST /stripe/webhook: signatures, duplicates, order, refunds and disputes, races with the return page."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import func, select

from portal.cases.models import CaseEntry
from portal.extensions import db
from portal.ledger.models import LedgerEvent
from portal.payments.models import PaymentEvent, PaymentState, StripeEvent
from portal.stripe_emulator.testing import TEST_API_KEY, TEST_WEBHOOK_SECRET
from portal.stripe_emulator.webhooks import sign
from tests import factories
from tests.helpers import sign_in

API = {"Authorization": f"Bearer {TEST_API_KEY}"}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _entries(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [(e.kind.value, e.amount_minor) for e in db.session.scalars(select(CaseEntry).order_by(CaseEntry.sequence))]


def _ledger_types(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(LedgerEvent.type).order_by(LedgerEvent.sequence)))


class Recorder:
    """A webhook transport that keeps the signed deliveries instead of posting them."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[bytes, dict]] = []

    def __call__(self, url: str, body: bytes, headers: dict) -> int:
        """Keep one delivery; answer 200 so the emulator does not retry."""
        self.deliveries.append((body, dict(headers)))
        return 200

    def of_type(self, event_type: str) -> tuple[bytes, dict]:
        """The first delivery of an event type."""
        return next((b, h) for b, h in self.deliveries if json.loads(b)["type"] == event_type)


@pytest.fixture
def recorder(emulator, monkeypatch) -> Recorder:
    """Catch the emulator's webhooks so the test decides when, how often and in what order they arrive."""
    rec = Recorder()
    monkeypatch.setattr(emulator.webhooks, "transport", rec)
    return rec


def _paid_by_card_unseen(debtor, emulator, recorder) -> None:
    """A case paid on Stripe's page whose webhooks were caught, not delivered; the debtor never came back."""
    debtor.has_case()
    debtor.pay_on_stripe(debtor.checkout("full"))
    emulator.deliver()


def test_forged_missing_stale_and_tampered_signatures_get_400_and_change_nothing(app, client, debtor, emulator, recorder):
    _paid_by_card_unseen(debtor, emulator, recorder)
    body, headers = recorder.of_type("checkout.session.completed")
    now = int(time.time())
    bad = [
        {},
        {"Stripe-Signature": sign(body, "whsec_not_ours", now)},
        {"Stripe-Signature": sign(body, TEST_WEBHOOK_SECRET, now - 301)},
        {"Stripe-Signature": "t=1,v1=deadbeef"},
    ]
    for extra in bad:
        response = client.post("/stripe/webhook", data=body, headers={"Content-Type": "application/json", **extra})
        assert response.status_code == 400
    tampered = body.replace(b'"amount_total": 11950', b'"amount_total": 11951')
    assert tampered != body
    assert client.post("/stripe/webhook", data=tampered, headers=headers).status_code == 400
    assert _count(app, StripeEvent) == 0 and debtor.payments()[0].state == PaymentState.open


def test_replayed_and_duplicated_events_record_one_payment(app, client, debtor, emulator, recorder):
    _paid_by_card_unseen(debtor, emulator, recorder)
    body, headers = recorder.of_type("checkout.session.completed")
    for _ in range(3):
        assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 200
    for body, headers in recorder.deliveries * 2:
        assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 200
    assert debtor.payments()[0].state == PaymentState.succeeded
    assert _entries(app) == [("payment", 11950)]
    assert _ledger_types(app) == ["payment.succeeded", "case.settled"]


@pytest.mark.parametrize("order", ["forward", "reversed"])
def test_sepa_events_in_any_order_converge(app, client, debtor, emulator, recorder, stripe_page, order):
    debtor.has_case()
    debtor.pay_on_stripe(debtor.checkout("full"), iban="DE89370400440532013000")
    emulator.deliver()
    intent_id = emulator.store.all("payment_intent")[0]["id"]
    stripe_page.post("/_emulator/sepa", json={"payment_intent": intent_id, "outcome": "succeeded"})
    emulator.deliver()
    deliveries = recorder.deliveries if order == "forward" else list(reversed(recorder.deliveries))
    assert len(deliveries) >= 5
    for body, headers in deliveries:
        assert client.post("/stripe/webhook", data=body, headers=headers).status_code == 200
    payment = debtor.payments()[0]
    assert payment.state == PaymentState.succeeded and payment.method == "sepa_debit"
    assert _entries(app) == [("payment", 11950)]


def test_emulator_duplicate_and_reorder_switches(app, debtor, emulator):
    emulator.webhooks.switches.update(duplicate=True, reorder=True)
    debtor.has_case()
    debtor.pay_on_stripe(debtor.checkout("part", "30"))
    emulator.deliver()
    assert debtor.payments()[0].state == PaymentState.succeeded
    assert _entries(app) == [("payment", 3000)]


def test_full_and_partial_refunds_put_money_back_on_the_balance(app, debtor, emulator, stripe_page):
    debtor.has_case()
    debtor.come_back(debtor.pay_on_stripe(debtor.checkout("full")))
    intent_id = debtor.payments()[0].payment_intent_id
    assert stripe_page.post("/v1/refunds", data={"payment_intent": intent_id, "amount": 1950}, headers=API).status_code == 200
    emulator.deliver()
    payment = debtor.payments()[0]
    assert payment.state == PaymentState.partially_refunded and payment.refunded_minor == 1950
    page = debtor.client.get(f"/cases/{debtor.reference}").get_data(as_text=True)
    assert "€19.50" in page and "Refund made to you" in page
    stripe_page.post("/v1/refunds", data={"payment_intent": intent_id}, headers=API)
    emulator.deliver()
    assert debtor.payments()[0].state == PaymentState.refunded
    assert _entries(app) == [("payment", 11950), ("refund", 1950), ("refund", 10000)]
    assert _ledger_types(app) == ["payment.succeeded", "case.settled", "payment.refunded", "payment.refunded"]


def test_dispute_opened_then_lost_puts_the_money_back(app, debtor, emulator, stripe_page):
    debtor.has_case()
    debtor.come_back(debtor.pay_on_stripe(debtor.checkout("part", "50")))
    intent_id = debtor.payments()[0].payment_intent_id
    dispute = stripe_page.post("/_emulator/disputes", json={"payment_intent": intent_id}).get_json()
    emulator.deliver()
    assert debtor.payments()[0].state == PaymentState.disputed
    assert _entries(app) == [("payment", 5000)]  # nothing moves until the bank decides
    stripe_page.post(f"/_emulator/disputes/{dispute['id']}/close", json={"outcome": "lost"})
    emulator.deliver()
    assert debtor.payments()[0].state == PaymentState.charged_back
    assert _entries(app) == [("payment", 5000), ("chargeback", 5000)]
    assert _ledger_types(app) == ["payment.succeeded", "payment.disputed"]
    assert "Payment reversed by your bank" in debtor.client.get(f"/cases/{debtor.reference}").get_data(as_text=True)


def test_dispute_won_returns_to_paid(app, debtor, emulator, stripe_page):
    debtor.has_case()
    debtor.come_back(debtor.pay_on_stripe(debtor.checkout("full")))
    intent_id = debtor.payments()[0].payment_intent_id
    dispute = stripe_page.post("/_emulator/disputes", json={"payment_intent": intent_id}).get_json()
    stripe_page.post(f"/_emulator/disputes/{dispute['id']}/close", json={"outcome": "won"})
    emulator.webhooks.switches["reorder"] = True
    emulator.deliver()  # closed arrives before created: the payment must not stay disputed
    assert debtor.payments()[0].state == PaymentState.succeeded
    assert _entries(app) == [("payment", 11950)]


def test_expired_session_is_recorded(app, debtor, emulator, stripe_page):
    debtor.has_case()
    session_id = debtor.checkout("full")
    stripe_page.post(f"/v1/checkout/sessions/{session_id}/expire", headers=API)
    emulator.deliver()
    assert debtor.payments()[0].state == PaymentState.expired
    assert "closed before a payment was made" in debtor.client.get(
        f"/payments/{debtor.payments()[0].id}").get_data(as_text=True)


def test_unrelated_events_are_acknowledged(app, client, emulator, stripe_page):
    stripe_page.post("/v1/customers", data={"email": "x@example.com"}, headers=API)
    emulator.deliver()
    assert _count(app, StripeEvent) == 1


def _postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer and no row locks)")


@pytest.mark.postgres
def test_ten_concurrent_deliveries_record_one_payment(app, debtor, emulator, recorder):
    with app.app_context():
        _postgres_only(app)
    _paid_by_card_unseen(debtor, emulator, recorder)
    body, headers = recorder.of_type("checkout.session.completed")
    barrier, statuses = threading.Barrier(10), []

    def deliver():
        client = app.test_client()
        barrier.wait(timeout=10)
        statuses.append(client.post("/stripe/webhook", data=body, headers=headers).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 10
    assert _entries(app) == [("payment", 11950)]
    assert _ledger_types(app) == ["payment.succeeded", "case.settled"]


@pytest.mark.postgres
@pytest.mark.slow
def test_webhook_and_return_page_racing_record_one_payment_each_time(app, debtor, emulator, recorder):
    with app.app_context():
        _postgres_only(app)
    iterations = 100
    for n in range(iterations):
        recorder.deliveries.clear()
        with app.app_context():
            case = factories.case(debtor_id=f"race-{n}", language="en")
            debtor.reference = case.reference
            sign_in(debtor.client, case)
        debtor.pay_on_stripe(debtor.checkout("full"))
        emulator.deliver()
        body, headers = recorder.of_type("checkout.session.completed")
        payment_id = debtor.payments()[-1].id
        barrier, results = threading.Barrier(2), []

        def webhook():
            barrier.wait(timeout=10)
            results.append(app.test_client().post("/stripe/webhook", data=body, headers=headers).status_code)

        def come_back():
            barrier.wait(timeout=10)
            results.append(debtor.client.get(f"/payments/{payment_id}/return").status_code)

        threads = [threading.Thread(target=webhook), threading.Thread(target=come_back)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [200, 303]
    assert len(_entries(app)) == iterations
    assert _ledger_types(app).count("payment.succeeded") == iterations
    with app.app_context():
        winners = dict(db.session.execute(
            select(PaymentEvent.source, func.count()).where(PaymentEvent.state_to == PaymentState.succeeded)
            .group_by(PaymentEvent.source)).all())
    assert sum(winners.values()) == iterations  # exactly one recorded move to succeeded per payment
    print("race winners:", winners)
