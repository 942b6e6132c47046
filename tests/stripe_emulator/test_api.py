"""The API layer: keys, idempotency, lists, expansion, unknown URLs."""

from __future__ import annotations

import pytest
import stripe

from portal.stripe_emulator.testing import EMULATOR_URL, WSGIHTTPClient

from .helpers import session_params


def test_a_secret_test_key_is_required(stripe_http_client: WSGIHTTPClient):
    for key in ("pk_test_123", "sk_live_123456789012"):
        client = stripe.StripeClient(key, http_client=stripe_http_client, base_addresses={"api": EMULATOR_URL})
        with pytest.raises(stripe.AuthenticationError):
            client.v1.customers.list()


def test_objects_have_stripe_shapes(stripe_client):
    customer = stripe_client.v1.customers.create({"email": "debtor@example.org", "metadata": {"case": "42"}})
    assert customer.id.startswith("cus_") and customer.object == "customer"
    assert customer.livemode is False and isinstance(customer.created, int)
    assert customer.metadata["case"] == "42"
    session = stripe_client.v1.checkout.sessions.create(session_params())
    assert session.id.startswith("cs_test_") and session.object == "checkout.session"
    assert session.url == f"{EMULATOR_URL}/c/pay/{session.id}"
    assert (session.status, session.payment_status, session.payment_intent) == ("open", "unpaid", None)


def test_same_idempotency_key_replays_the_first_response(stripe_client, stripe_emulator):
    params = {"amount": 1000, "currency": "eur", "metadata": {"payment": "7"}}
    first = stripe_client.v1.payment_intents.create(params, {"idempotency_key": "payment-7"})
    again = stripe_client.v1.payment_intents.create(params, {"idempotency_key": "payment-7"})
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(stripe_emulator.store.all("payment_intent")) == 1


def test_same_idempotency_key_with_other_params_is_an_idempotency_error(stripe_client):
    stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "eur"}, {"idempotency_key": "k1"})
    with pytest.raises(stripe.IdempotencyError) as caught:
        stripe_client.v1.payment_intents.create({"amount": 2000, "currency": "eur"}, {"idempotency_key": "k1"})
    assert caught.value.http_status == 400
    assert caught.value.error.type == "idempotency_error"


def test_card_errors_are_replayed_too(stripe_client, stripe_emulator):
    customer = stripe_client.v1.customers.create()
    params = {"amount": 1000, "currency": "eur", "customer": customer.id, "payment_method": "pm_card_chargeCustomerFail",
              "confirm": True, "off_session": True}
    with pytest.raises(stripe.CardError) as first:
        stripe_client.v1.payment_intents.create(params, {"idempotency_key": "instalment-3"})
    with pytest.raises(stripe.CardError) as again:
        stripe_client.v1.payment_intents.create(params, {"idempotency_key": "instalment-3"})
    assert again.value.error.payment_intent.id == first.value.error.payment_intent.id
    assert len(stripe_emulator.store.all("payment_intent")) == 1


def test_validation_errors_are_not_saved_under_the_key(stripe_client):
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.create({"emial": "x"}, {"idempotency_key": "c1"})  # type: ignore[typeddict-unknown-key]
    assert stripe_client.v1.customers.create({"email": "x@example.org"}, {"idempotency_key": "c1"}).email == "x@example.org"


def test_lists_page_with_limit_starting_after_and_created(stripe_client, stripe_emulator):
    ids = [stripe_client.v1.customers.create({"email": f"c{i}@example.org"}).id for i in range(5)]
    first = stripe_client.v1.customers.list({"limit": 2})
    assert [c.id for c in first.data] == ids[::-1][:2] and first.has_more
    rest = stripe_client.v1.customers.list({"limit": 10, "starting_after": first.data[-1].id})
    assert [c.id for c in rest.data] == ids[::-1][2:] and not rest.has_more
    created = first.data[0].created
    assert len(stripe_client.v1.customers.list({"created": {"gte": created}}).data) == 5
    assert stripe_client.v1.customers.list({"created": {"gt": created}}).data == []
    assert [c.id for c in stripe_client.v1.customers.list({"email": "c3@example.org"}).data] == [ids[3]]


def test_expand_replaces_ids_with_objects(stripe_client):
    customer = stripe_client.v1.customers.create()
    pi = stripe_client.v1.payment_intents.create(
        {"amount": 1000, "currency": "eur", "customer": customer.id, "payment_method": "pm_card_visa",
         "confirm": True, "off_session": True, "expand": ["latest_charge", "customer"]}
    )
    assert pi.latest_charge.object == "charge" and pi.latest_charge.paid is True
    assert pi.customer.id == customer.id


def test_unknown_objects_and_urls_are_404(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.retrieve("pi_missing")
    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.invoices.retrieve("in_123")
    assert caught.value.http_status == 404
