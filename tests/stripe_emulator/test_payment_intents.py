"""Off-session payments on saved methods, as instalment plans make them, and SetupIntents."""

from __future__ import annotations

import pytest
import stripe

from .helpers import event_types


def _saved(stripe_client, test_pm: str):
    """A customer with a card saved for off-session use through a SetupIntent (3DS passed if asked)."""
    customer = stripe_client.v1.customers.create({"email": "debtor@example.org"})
    setup = stripe_client.v1.setup_intents.create(
        {"customer": customer.id, "payment_method": test_pm, "confirm": True, "usage": "off_session",
         "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"}})
    return customer, setup


def _charge_off_session(stripe_client, customer, pm_id, key="plan-1-instalment-1"):
    """What the plan runner does for an instalment."""
    return stripe_client.v1.payment_intents.create(
        {"amount": 25_00, "currency": "eur", "customer": customer.id, "payment_method": pm_id,
         "off_session": True, "confirm": True, "metadata": {"instalment": "1"}},
        {"idempotency_key": key})


def test_saved_4242_is_charged_off_session(stripe_client, stripe_emulator):
    customer, setup = _saved(stripe_client, "pm_card_visa")
    assert setup.status == "succeeded"
    pi = _charge_off_session(stripe_client, customer, setup.payment_method)
    assert (pi.status, pi.amount_received) == ("succeeded", 2500)
    charge = stripe_client.v1.charges.retrieve(pi.latest_charge)
    assert (charge.paid, charge.payment_intent, charge.payment_method_details.card.last4) == (True, pi.id, "4242")
    assert event_types(stripe_emulator)[-1] == "payment_intent.succeeded"


def test_3184_fails_off_session_with_authentication_required(stripe_client, page, stripe_emulator):
    customer = stripe_client.v1.customers.create()
    setup = stripe_client.v1.setup_intents.create(
        {"customer": customer.id, "payment_method": "pm_card_authenticationRequired", "confirm": True,
         "return_url": "https://portal.test/plan/back"})
    assert setup.status == "requires_action"
    challenge = setup.next_action.redirect_to_url.url
    answer = page.post(challenge.replace("http://stripe-emulator.test", ""), data={"outcome": "pass"})
    assert answer.headers["Location"].startswith("https://portal.test/plan/back?setup_intent=" + setup.id)
    assert "redirect_status=succeeded" in answer.headers["Location"]
    with pytest.raises(stripe.CardError) as caught:
        _charge_off_session(stripe_client, customer, setup.payment_method)
    error = caught.value
    assert (error.http_status, error.code) == (402, "authentication_required")
    assert error.error.payment_intent.status == "requires_payment_method"
    assert error.error.payment_intent.last_payment_error.code == "authentication_required"
    assert event_types(stripe_emulator)[-1] == "payment_intent.payment_failed"


def test_3155_saved_off_session_needs_no_more_authentication(stripe_client, page):
    customer, setup = _saved(stripe_client, "pm_card_authenticationRequiredOnSetup")
    page.post(f"/c/3ds/{setup.id}", data={"outcome": "pass"})
    assert stripe_client.v1.setup_intents.retrieve(setup.id).status == "succeeded"
    assert _charge_off_session(stripe_client, customer, setup.payment_method).status == "succeeded"


def test_declined_off_session_charge_carries_the_decline(stripe_client):
    customer = stripe_client.v1.customers.create()
    pm = stripe_client.v1.payment_methods.attach("pm_card_chargeCustomerFail", {"customer": customer.id})
    with pytest.raises(stripe.CardError) as caught:
        _charge_off_session(stripe_client, customer, pm.id)
    assert (caught.value.code, caught.value.error.decline_code) == ("card_declined", "generic_decline")
    failed = stripe_client.v1.charges.retrieve(caught.value.error.charge)
    assert (failed.status, failed.failure_code) == ("failed", "card_declined")


def test_attaching_a_declining_card_fails_like_stripe(stripe_client):
    customer = stripe_client.v1.customers.create()
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.payment_methods.attach("pm_card_chargeDeclined", {"customer": customer.id})
    assert caught.value.code == "card_declined"


def test_on_session_confirm_needs_a_return_url_and_then_asks_for_3ds(stripe_client):
    intent = stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "eur"})
    assert intent.status == "requires_payment_method" and intent.client_secret.startswith(intent.id + "_secret_")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.confirm(intent.id, {"payment_method": "pm_card_authenticationRequired"})
    assert caught.value.param == "return_url"
    confirmed = stripe_client.v1.payment_intents.confirm(
        intent.id, {"payment_method": "pm_card_authenticationRequired", "return_url": "https://portal.test/back"})
    assert confirmed.status == "requires_action" and confirmed.next_action.type == "redirect_to_url"
    cancelled = stripe_client.v1.payment_intents.cancel(intent.id)
    assert cancelled.status == "canceled"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.confirm(intent.id, {"return_url": "https://portal.test/back"})
    assert caught.value.code == "payment_intent_unexpected_state"


def test_payment_methods_are_listed_by_customer_and_detached(stripe_client):
    customer = stripe_client.v1.customers.create()
    pm = stripe_client.v1.payment_methods.attach("pm_card_mastercard", {"customer": customer.id})
    assert [p.id for p in stripe_client.v1.payment_methods.list({"customer": customer.id, "type": "card"}).data] == [pm.id]
    stripe_client.v1.payment_methods.detach(pm.id)
    assert stripe_client.v1.customers.payment_methods.list(customer.id).data == []


def test_off_session_requires_confirm(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "eur", "off_session": True})
    assert caught.value.param == "off_session"
