"""Fixtures for emulator tests; other features can copy this: the real SDK, the emulator in-process."""

from __future__ import annotations

import pytest
import stripe

from portal.stripe_emulator.testing import (  # noqa: F401 - pytest fixtures
    EMULATOR_URL,
    TEST_API_KEY,
    WSGIHTTPClient,
    stripe_emulator,
    stripe_emulator_app,
    stripe_http_client,
    stripe_webhook_inbox,
)


@pytest.fixture
def stripe_client(stripe_http_client: WSGIHTTPClient) -> stripe.StripeClient:
    """The SDK exactly as production uses it, pointed at the emulator."""
    return stripe.StripeClient(TEST_API_KEY, http_client=stripe_http_client, base_addresses={"api": EMULATOR_URL})


@pytest.fixture
def page(stripe_emulator_app):
    """The werkzeug test client of the emulator, for the hosted pages and controls."""
    return stripe_emulator_app.test_client()
