"""Checkout Sessions and the hosted test-payment page, driven like a tester in a browser."""

from __future__ import annotations

import pytest
import stripe

from .helpers import CANCEL_URL, event_types, pay, session_params


def test_hosted_page_is_marked_test_mode_and_needs_no_script(stripe_client, page):
    session = stripe_client.v1.checkout.sessions.create(session_params())
    response = page.get(f"/c/pay/{session.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "TEST MODE — no real money" in html and "12.50 EUR" in html
    assert "<script" not in html and "style=" not in html
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]


def test_card_payment_completes_the_session_and_redirects(stripe_client, page, stripe_emulator):
    session = stripe_client.v1.checkout.sessions.create(session_params(
        payment_intent_data={"setup_future_usage": "off_session", "metadata": {"payment": "9"}}))
    response = pay(page, session, card_number="4242 4242 4242 4242")
    assert response.status_code == 303
    assert response.headers["Location"] == f"https://portal.test/pay/done?session={session.id}"
    done = stripe_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.payment_intent.status == "succeeded" and done.payment_intent.metadata["payment"] == "9"
    assert done.customer.startswith("cus_") and done.customer_details.email == "debtor@example.org"
    saved = stripe_client.v1.customers.payment_methods.list(done.customer)
    assert [pm.card.last4 for pm in saved.data] == ["4242"]
    assert event_types(stripe_emulator)[-2:] == ["payment_intent.succeeded", "checkout.session.completed"]


def test_declined_card_stays_on_the_page_with_the_reason(stripe_client, page, stripe_emulator):
    session = stripe_client.v1.checkout.sessions.create(session_params())
    response = pay(page, session, card_number="4000000000000002")
    assert response.status_code == 402
    assert "Your card was declined." in response.get_data(as_text=True)
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert "payment_intent.payment_failed" in event_types(stripe_emulator)
    assert pay(page, session, card_number="4242424242424242").status_code == 303  # a second try succeeds
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_invalid_card_number_is_explained(stripe_client, page):
    session = stripe_client.v1.checkout.sessions.create(session_params())
    response = pay(page, session, card_number="1234")
    assert "Your card number is invalid." in response.get_data(as_text=True)


@pytest.mark.parametrize("outcome", ["pass", "fail"])
def test_three_d_secure_challenge(stripe_client, page, outcome):
    session = stripe_client.v1.checkout.sessions.create(session_params())
    response = pay(page, session, card_number="4000 0027 6000 3184")
    assert response.status_code == 303 and response.headers["Location"].startswith("/c/3ds/pi_")
    challenge = page.get(response.headers["Location"])
    assert "Pass authentication" in challenge.get_data(as_text=True)
    answer = page.post(response.headers["Location"], data={"outcome": outcome})
    done = stripe_client.v1.checkout.sessions.retrieve(session.id)
    if outcome == "pass":
        assert answer.headers["Location"].startswith("https://portal.test/pay/done")
        assert (done.status, done.payment_status) == ("complete", "paid")
    else:
        assert answer.headers["Location"] == f"/c/pay/{session.id}?error=authentication"
        assert "unable to authenticate" in page.get(answer.headers["Location"]).get_data(as_text=True)
        assert done.status == "open"
        pi = stripe_client.v1.payment_intents.retrieve(done.payment_intent)
        assert pi.last_payment_error.code == "payment_intent_authentication_failure"


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_sepa_debit_processes_then_settles(stripe_client, page, stripe_emulator, outcome):
    session = stripe_client.v1.checkout.sessions.create(session_params())
    response = pay(page, session, method="sepa_debit", iban="DE89 3704 0044 0532 0130 00")
    assert response.status_code == 303
    done = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "unpaid")
    assert stripe_client.v1.payment_intents.retrieve(done.payment_intent).status == "processing"
    control = page.post("/_emulator/sepa", json={"payment_intent": done.payment_intent, "outcome": outcome})
    assert control.status_code == 200
    pi = stripe_client.v1.payment_intents.retrieve(done.payment_intent)
    after = stripe_client.v1.checkout.sessions.retrieve(session.id)
    if outcome == "succeeded":
        assert (pi.status, after.payment_status) == ("succeeded", "paid")
        assert event_types(stripe_emulator)[-1] == "checkout.session.async_payment_succeeded"
    else:
        assert (pi.status, after.payment_status) == ("requires_payment_method", "unpaid")
        assert event_types(stripe_emulator)[-1] == "checkout.session.async_payment_failed"


def test_bad_iban_is_explained(stripe_client, page):
    session = stripe_client.v1.checkout.sessions.create(session_params())
    response = pay(page, session, method="sepa_debit", iban="DE00 1234")
    assert response.status_code == 400 and "IBAN is invalid" in response.get_data(as_text=True)


def test_cancel_returns_to_cancel_url_and_keeps_the_session_open(stripe_client, page):
    session = stripe_client.v1.checkout.sessions.create(session_params())
    response = page.get(f"/c/pay/{session.id}/cancel")
    assert (response.status_code, response.headers["Location"]) == (303, CANCEL_URL)
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_expire_closes_the_session_and_the_page(stripe_client, page, stripe_emulator):
    session = stripe_client.v1.checkout.sessions.create(session_params())
    expired = stripe_client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    assert "has expired" in page.get(f"/c/pay/{session.id}").get_data(as_text=True)
    assert pay(page, session, card_number="4242424242424242").status_code == 409
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.checkout.sessions.expire(session.id)
    assert event_types(stripe_emulator)[-1] == "checkout.session.expired"


def test_sessions_expire_on_their_own_after_expires_at(stripe_emulator_app, stripe_client, stripe_emulator):
    clock = {"now": 1_800_000_000.0}
    stripe_emulator.store.clock = lambda: clock["now"]
    session = stripe_client.v1.checkout.sessions.create(session_params(expires_at=1_800_000_000 + 1800))
    clock["now"] += 1801
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "expired"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.create(session_params(expires_at=int(clock["now"]) + 60))
    assert caught.value.param == "expires_at"


def test_setup_mode_saves_the_card_on_the_customer(stripe_client, page, stripe_emulator):
    customer = stripe_client.v1.customers.create({"email": "debtor@example.org"})
    session = stripe_client.v1.checkout.sessions.create(
        {"mode": "setup", "currency": "eur", "customer": customer.id, "success_url": "https://portal.test/plan/ok"})
    assert session.payment_status == "no_payment_required"
    assert pay(page, session, card_number="4242424242424242").status_code == 303
    done = stripe_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["setup_intent"]})
    assert done.status == "complete" and done.setup_intent.status == "succeeded"
    assert stripe_client.v1.payment_methods.retrieve(done.setup_intent.payment_method).customer == customer.id
    assert "setup_intent.succeeded" in event_types(stripe_emulator)


def test_list_sessions_by_payment_intent_and_line_items(stripe_client, page):
    session = stripe_client.v1.checkout.sessions.create(session_params())
    pay(page, session, card_number="4242424242424242")
    pi_id = stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent
    found = stripe_client.v1.checkout.sessions.list({"payment_intent": pi_id})
    assert [s.id for s in found.data] == [session.id]
    items = stripe_client.v1.checkout.sessions.line_items.list(session.id)
    assert [(i.description, i.amount_total) for i in items.data] == [("Case 42", 1250)]
