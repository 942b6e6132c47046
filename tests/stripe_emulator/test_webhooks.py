"""Webhooks: Stripe's signature, retries with backoff, and the misbehaviour switches."""

from __future__ import annotations

import threading
import time

import pytest
import stripe

from portal.stripe_emulator.testing import TEST_WEBHOOK_SECRET, WebhookInbox, make_app
from portal.stripe_emulator.webhooks import sign

from .helpers import pay, session_params


def _paid_session(stripe_client, page):
    """A Checkout Session paid by card on the hosted page."""
    session = stripe_client.v1.checkout.sessions.create(session_params())
    pay(page, session, card_number="4242424242424242")
    return session


def test_deliveries_verify_with_the_sdk(stripe_client, page, stripe_emulator, stripe_webhook_inbox):
    session = _paid_session(stripe_client, page)
    assert stripe_webhook_inbox.received == []  # manual mode: nothing until asked
    stripe_emulator.deliver()
    received = stripe_webhook_inbox.received
    assert received and all(r["url"] == "http://portal.test/payments/stripe/webhook" for r in received)
    last = received[-1]
    event = stripe.Webhook.construct_event(last["body"], last["headers"]["Stripe-Signature"], TEST_WEBHOOK_SECRET)
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == session.id and event.data.object.payment_status == "paid"
    assert event.api_version == "2026-10-28.endive" and event.livemode is False
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(last["body"], last["headers"]["Stripe-Signature"], "whsec_wrong")
    assert stripe_client.v1.events.retrieve(event.id).pending_webhooks == 0


def test_signature_is_hmac_of_timestamp_and_payload():
    header = sign(b'{"id": "evt_1"}', "whsec_abc", 1_700_000_000)
    assert header == "t=1700000000,v1=" + __import__("hmac").new(
        b"whsec_abc", b'1700000000.{"id": "evt_1"}', "sha256").hexdigest()


def test_failing_endpoint_is_retried_with_backoff(stripe_client, stripe_emulator, stripe_webhook_inbox):
    clock = {"now": 1_800_000_000.0}
    stripe_emulator.store.clock = lambda: clock["now"]
    stripe_webhook_inbox.statuses = [500, 0]
    stripe_client.v1.customers.create()
    assert len(stripe_emulator.deliver(force=False)) == 1  # attempt 1: 500
    assert stripe_emulator.deliver(force=False) == []  # not due before the first delay
    clock["now"] += 5
    assert len(stripe_emulator.deliver(force=False)) == 1  # attempt 2: connection refused
    clock["now"] += 30
    stripe_emulator.deliver(force=False)  # attempt 3 succeeds
    assert [r["status"] for r in stripe_webhook_inbox.received] == [500, 0, 200]
    assert stripe_webhook_inbox.types() == ["customer.created"]
    assert stripe_emulator.webhooks.pending() == []


def test_endpoint_is_given_up_after_the_last_retry(stripe_emulator_app, stripe_client, stripe_emulator, stripe_webhook_inbox):
    stripe_emulator.webhooks.retry_delays = (1,)
    stripe_webhook_inbox.default_status = 400
    stripe_client.v1.customers.create()
    stripe_emulator.deliver()
    stripe_emulator.deliver()
    assert [d.state for d in stripe_emulator.webhooks.deliveries] == ["failed"]
    assert stripe_emulator.deliver() == []


def test_duplicate_switch_delivers_every_event_twice(stripe_client, page, stripe_emulator, stripe_webhook_inbox):
    assert page.post("/_emulator/webhooks", json={"duplicate": True}).json["switches"]["duplicate"] is True
    stripe_client.v1.customers.create()
    stripe_emulator.deliver()
    ids = [e["id"] for e in stripe_webhook_inbox.events()]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_reorder_switch_delivers_newest_first(stripe_client, page, stripe_emulator, stripe_webhook_inbox):
    page.post("/_emulator/webhooks", json={"reorder": True})
    _paid_session(stripe_client, page)
    page.post("/_emulator/deliver", json={})
    types = stripe_webhook_inbox.types()
    assert types[0] == "checkout.session.completed" and types[-1] == "payment_intent.created"


def test_delay_switch_holds_events(stripe_client, page, stripe_emulator, stripe_webhook_inbox):
    clock = {"now": 1_800_000_000.0}
    stripe_emulator.store.clock = lambda: clock["now"]
    page.post("/_emulator/webhooks", json={"delay": 60})
    stripe_client.v1.customers.create()
    assert stripe_emulator.deliver(force=False) == []
    clock["now"] += 60
    assert len(stripe_emulator.deliver(force=False)) == 1
    assert page.post("/_emulator/webhooks", json={"delay": "soon"}).status_code == 400


def test_background_thread_delivers_and_retries():
    inbox = WebhookInbox()
    inbox.statuses = [503]
    arrived = threading.Event()

    def transport(url, body, headers):
        status = inbox(url, body, headers)
        if status == 200:
            arrived.set()
        return status

    app = make_app(WEBHOOK_MODE="thread", WEBHOOK_TRANSPORT=transport, WEBHOOK_RETRY_DELAYS=(0.05,))
    try:
        response = app.test_client().post("/v1/customers", headers={"Authorization": "Bearer sk_test_x"})
        assert response.status_code == 200
        assert arrived.wait(timeout=5)
        assert [r["status"] for r in inbox.received] == [503, 200]
    finally:
        app.extensions["stripe_emulator"].webhooks.stop()


def test_sync_mode_delivers_after_each_request():
    inbox = WebhookInbox()
    app = make_app(WEBHOOK_MODE="sync", WEBHOOK_TRANSPORT=inbox)
    app.test_client().post("/v1/customers", headers={"Authorization": "Bearer sk_test_x"})
    assert inbox.types() == ["customer.created"]


def test_endpoints_need_a_whsec_secret():
    with pytest.raises(ValueError):
        make_app(WEBHOOK_SECRET="not-a-secret")


def test_events_list_filters_by_type(stripe_client, page):
    _paid_session(stripe_client, page)
    completed = stripe_client.v1.events.list({"type": "checkout.session.completed"})
    assert [e.type for e in completed.data] == ["checkout.session.completed"]
    assert all(e.type.startswith("payment_intent.") for e in stripe_client.v1.events.list({"type": "payment_intent.*"}).data)
    assert time.time() - completed.data[0].created < 60


def test_flask_transport_posts_into_another_app(stripe_client):
    from flask import Flask, request

    from portal.stripe_emulator.testing import flask_transport

    receiver = Flask("receiver")
    seen = []

    @receiver.post("/payments/stripe/webhook")
    def hook():
        event = stripe.Webhook.construct_event(request.get_data(), request.headers["Stripe-Signature"], TEST_WEBHOOK_SECRET)
        seen.append(event.type)
        return "", 204

    app = make_app(WEBHOOK_TRANSPORT=flask_transport(receiver.test_client()))
    app.test_client().post("/v1/customers", headers={"Authorization": "Bearer sk_test_x"})
    app.extensions["stripe_emulator"].deliver()
    assert seen == ["customer.created"]
