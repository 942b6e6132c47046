"""Payments end to end: the real stripe-python SDK against the project's emulator, in-process, no sockets.

The emulator's webhooks are posted into the portal's own `/stripe/webhook` through a
test client, signed as Stripe signs them; tests flush them with `emulator.deliver()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.payments.models import Payment
from portal.stripe_emulator.testing import (
    EMULATOR_URL,
    TEST_API_KEY,
    TEST_WEBHOOK_SECRET,
    WSGIHTTPClient,
    flask_transport,
    make_app,
)
from tests import factories
from tests.helpers import compiled_catalogues, sign_in  # noqa: F401

WEBHOOK_URL = "http://portal.test/stripe/webhook"
VISA = "4242424242424242"
DECLINED = "4000000000000002"
THREE_DS = "4000002760003184"
IBAN = "DE89370400440532013000"


@pytest.fixture(autouse=True)
def _catalogues(compiled_catalogues):  # noqa: F811
    """Pages and e-mails use the real, freshly compiled translations."""


@dataclass
class Outbox:
    """A mailer that keeps what it was given."""

    sent: list[EmailMessage] = field(default_factory=list)

    def send(self, messages: list[EmailMessage]) -> None:
        """Record the messages."""
        self.sent.extend(messages)


@pytest.fixture
def mailbox(app, monkeypatch) -> Outbox:
    """Every e-mail the portal sends during the test."""
    outbox = Outbox()
    monkeypatch.setattr(app.extensions["portal_senders"], "mail", outbox)
    return outbox


@pytest.fixture
def emulator_app(app, monkeypatch):
    """A fresh emulator wired to the portal: SDK calls in, signed webhooks out to /stripe/webhook."""
    emu_app = make_app(WEBHOOK_URL=WEBHOOK_URL, WEBHOOK_TRANSPORT=flask_transport(app.test_client()))
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", EMULATOR_URL)
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", TEST_API_KEY)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", TEST_WEBHOOK_SECRET)
    monkeypatch.setitem(app.extensions, "stripe_http_client", WSGIHTTPClient(emu_app))
    yield emu_app
    emu_app.extensions["stripe_emulator"].webhooks.stop()


@pytest.fixture
def emulator(emulator_app):
    """The emulator's state and controls: deliver(), store, webhooks.switches."""
    return emulator_app.extensions["stripe_emulator"]


@pytest.fixture
def stripe_page(emulator_app):
    """The debtor's browser on Stripe's side (hosted Checkout, 3-D Secure, emulator controls)."""
    return emulator_app.test_client()


@pytest.fixture
def debtor(app, client, emulator, stripe_page, mailbox):
    """A debtor in a browser that can reach the portal and Stripe's pages; `has_case` signs them in."""
    return Debtor(app, client, emulator, stripe_page)


class Debtor:
    """Drives the journey as a person would: pay page, Checkout page, back to the portal."""

    def __init__(self, app, client, emulator, stripe_page) -> None:
        self.app, self.client, self.emulator, self.stripe = app, client, emulator, stripe_page
        self.case = None

    def has_case(self, **kw):
        """Create the debtor's case (pages in English unless `language` says otherwise) and sign them in."""
        kw.setdefault("language", "en")
        with self.app.app_context():
            self.case = factories.case(**kw)
            self.reference = self.case.reference
            sign_in(self.client, self.case)
        return self.case

    def pay_page(self):
        """GET the pay page."""
        return self.client.get(f"/cases/{self.reference}/pay")

    def choose(self, kind: str, amount: str | None = None, nonce: str | None = None):
        """Submit one pay button of a freshly loaded pay page; returns the response (303 to Checkout)."""
        if nonce is None:
            html = self.pay_page().get_data(as_text=True)
            nonce = re.search(rf'name="kind" value="{kind}">\s*<input type="hidden" name="nonce" value="([^"]+)"',
                              html).group(1)
        data = {"csrf_token": self.csrf(), "kind": kind, "nonce": nonce}
        if amount is not None:
            data["amount"] = amount
        return self.client.post(f"/cases/{self.reference}/pay", data=data)

    def csrf(self) -> str:
        """A CSRF token of this session."""
        html = self.pay_page().get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def checkout(self, kind: str = "full", amount: str | None = None) -> str:
        """Choose and return the Checkout Session id Stripe's page is showing."""
        response = self.choose(kind, amount)
        assert response.status_code == 303, response.get_data(as_text=True)
        assert response.location.startswith(EMULATOR_URL + "/c/pay/cs_test_")
        return response.location.rsplit("/", 1)[1]

    def pay_on_stripe(self, session_id: str, card: str = VISA, iban: str | None = None):
        """Fill in Stripe's hosted page; returns its response (303 to our return page when done)."""
        data = {"name": "Marie Dupont", "email": "marie@example.fr"}
        data.update({"method": "sepa_debit", "iban": iban} if iban else {"method": "card", "card_number": card})
        return self.stripe.post(f"/c/pay/{session_id}", data=data)

    def come_back(self, response):
        """Follow Stripe's redirect back to the portal's return page, then to the status page."""
        assert response.status_code == 303
        path = response.location.removeprefix("http://portal.test")
        back = self.client.get(path)
        assert back.status_code == 303
        return self.client.get(back.location)

    def payments(self) -> list[Payment]:
        """The case's payments, fresh from the database."""
        with self.app.app_context():
            rows = db.session.scalars(select(Payment).order_by(Payment.id)).all()
            db.session.expunge_all()
            return rows

