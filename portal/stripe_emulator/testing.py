"""Test helpers: run the emulator in-process behind the real SDK (no sockets), and catch its webhooks.

    from portal.stripe_emulator.testing import WSGIHTTPClient, make_app
    emulator_app = make_app()
    client = stripe.StripeClient(TEST_API_KEY, http_client=WSGIHTTPClient(emulator_app),
                                 base_addresses={"api": EMULATOR_URL})

Pytest fixtures (import them into a conftest.py): stripe_webhook_inbox, stripe_emulator_app,
stripe_emulator, stripe_http_client. This module does not import `stripe`: the client
below has the interface stripe-python expects of an `http_client`.
"""

from __future__ import annotations

import io
import json
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.datastructures import Headers

from portal.stripe_emulator import create_app
from portal.stripe_emulator.emulator import Emulator

EMULATOR_URL = "http://stripe-emulator.test"
TEST_API_KEY = "sk_test_emulator_0000000000000000"
TEST_WEBHOOK_URL = "http://portal.test/payments/stripe/webhook"
TEST_WEBHOOK_SECRET = "whsec_test_emulator_secret"


class WSGIHTTPClient:
    """A stripe-python HTTP client that calls the emulator's WSGI app directly."""

    name = "stripe-emulator-wsgi"

    def __init__(self, app: Flask) -> None:
        self._client = app.test_client()

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        """One request; returns (body text, status, case-insensitive headers) like the SDK's clients."""
        parts = urlsplit(url)
        response = self._client.open(
            parts.path,
            method=method.upper(),
            query_string=parts.query,
            headers=dict(headers or {}),
            data=post_data.encode() if isinstance(post_data, str) else post_data,
        )
        return response.get_data(as_text=True), response.status_code, Headers(response.headers)

    def request_with_retries(self, method, url, headers, post_data=None, max_network_retries=None, *, _usage=None):
        """No network, so nothing to retry."""
        return self.request(method, url, headers, post_data)

    def request_stream_with_retries(self, method, url, headers, post_data=None, max_network_retries=None, *, _usage=None):
        """Streaming variant (file downloads); the body as a stream."""
        body, status, rheaders = self.request(method, url, headers, post_data)
        return io.BytesIO(body.encode()), status, rheaders

    def close(self):
        """Nothing to close."""


class WebhookInbox:
    """A webhook transport that records deliveries and answers with programmable statuses."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.statuses: list[int] = []  # consumed first; then `default_status`
        self.default_status = 200

    def __call__(self, url: str, body: bytes, headers: dict) -> int:
        """Record one delivery attempt and answer."""
        status = self.statuses.pop(0) if self.statuses else self.default_status
        self.received.append({"url": url, "body": body, "headers": dict(headers), "status": status})
        return status

    def events(self) -> list[dict]:
        """The events of successful deliveries, in arrival order."""
        return [json.loads(r["body"]) for r in self.received if 200 <= r["status"] < 300]

    def types(self) -> list[str]:
        """Event types of successful deliveries, in arrival order."""
        return [e["type"] for e in self.events()]


def flask_transport(client) -> callable:
    """A webhook transport posting into another Flask app's test client (e.g. the portal's)."""
    def transport(url: str, body: bytes, headers: dict) -> int:
        """POST the event to the path of `url` in the other app."""
        return client.post(urlsplit(url).path, data=body, headers=headers).status_code
    return transport


def make_app(**config) -> Flask:
    """An emulator app for tests: manual webhook delivery, fixed public URL, one test endpoint."""
    settings = {"PUBLIC_URL": EMULATOR_URL, "WEBHOOK_MODE": "manual",
                "WEBHOOK_URL": TEST_WEBHOOK_URL, "WEBHOOK_SECRET": TEST_WEBHOOK_SECRET}
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def stripe_webhook_inbox() -> WebhookInbox:
    """Where the emulator's webhooks land in tests."""
    return WebhookInbox()


@pytest.fixture
def stripe_emulator_app(stripe_webhook_inbox):
    """A fresh emulator per test, delivering webhooks to the inbox on demand."""
    app = make_app(WEBHOOK_TRANSPORT=stripe_webhook_inbox)
    yield app
    app.extensions["stripe_emulator"].webhooks.stop()


@pytest.fixture
def stripe_emulator(stripe_emulator_app) -> Emulator:
    """The Emulator behind the app: deliver(), reset(), store, webhooks."""
    return stripe_emulator_app.extensions["stripe_emulator"]


@pytest.fixture
def stripe_http_client(stripe_emulator_app) -> WSGIHTTPClient:
    """Pass as `http_client=` to stripe.StripeClient."""
    return WSGIHTTPClient(stripe_emulator_app)
