"""Refunds (never more than the charge) and disputes opened and closed from the control endpoints."""

from __future__ import annotations

import pytest
import stripe

from .helpers import event_types


def _paid(stripe_client, amount=30_00):
    """A succeeded off-session payment."""
    customer = stripe_client.v1.customers.create()
    return stripe_client.v1.payment_intents.create(
        {"amount": amount, "currency": "eur", "customer": customer.id, "payment_method": "pm_card_visa",
         "confirm": True, "off_session": True})


def test_partial_refunds_are_capped_at_what_is_left(stripe_client, stripe_emulator):
    pi = _paid(stripe_client)
    first = stripe_client.v1.refunds.create({"payment_intent": pi.id, "amount": 20_00})
    assert (first.id[:3], first.status, first.amount, first.charge) == ("re_", "succeeded", 2000, pi.latest_charge)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create({"payment_intent": pi.id, "amount": 10_01})
    assert (caught.value.param, caught.value.code) == ("amount", "amount_too_large")
    rest = stripe_client.v1.refunds.create({"payment_intent": pi.id})
    assert rest.amount == 10_00
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (3000, True)
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create({"charge": charge.id, "amount": 1})
    assert caught.value.code == "charge_already_refunded"
    assert event_types(stripe_emulator).count("charge.refunded") == 2
    assert [r.id for r in stripe_client.v1.refunds.list({"payment_intent": pi.id}).data] == [rest.id, first.id]


def test_unpaid_intent_cannot_be_refunded(stripe_client):
    pi = stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create({"payment_intent": pi.id})


def test_dispute_opened_and_closed_emits_events(stripe_client, page, stripe_emulator):
    pi = _paid(stripe_client)
    opened = page.post("/_emulator/disputes", json={"payment_intent": pi.id, "reason": "fraudulent"})
    assert opened.status_code == 200
    dispute = stripe_client.v1.disputes.retrieve(opened.json["id"])
    assert (dispute.status, dispute.charge, dispute.amount) == ("needs_response", pi.latest_charge, 3000)
    assert stripe_client.v1.charges.retrieve(pi.latest_charge).disputed is True
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create({"payment_intent": pi.id})
    assert caught.value.code == "charge_disputed"
    closed = page.post(f"/_emulator/disputes/{dispute.id}/close", json={"outcome": "lost"})
    assert closed.json["status"] == "lost"
    assert page.post(f"/_emulator/disputes/{dispute.id}/close", json={"outcome": "won"}).status_code == 400
    types = event_types(stripe_emulator)
    assert types.index("charge.dispute.created") < types.index("charge.dispute.closed")


def test_control_page_lists_what_the_tester_can_do(stripe_client, page):
    _paid(stripe_client)
    html = page.get("/_emulator/").get_data(as_text=True)
    assert "Open a dispute" in html and "TEST MODE" in html
    assert page.post("/_emulator/sepa", json={"payment_intent": "pi_nope", "outcome": "succeeded"}).status_code == 404
    assert page.post("/_emulator/reset", json={}).json == {"reset": True}
    assert stripe_client.v1.payment_intents.list().data == []
