"""Message and contact tests: committed cases, a signed-in debtor, agents, and captured e-mail and SMS."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from portal.extensions import db
from tests import factories
from tests.agent.conftest import make_staff, sign_in_staff  # noqa: F401  (fixture re-exported)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


@dataclass
class Outbox:
    """A mailer that keeps what it was given."""

    sent: list = field(default_factory=list)

    def send(self, messages) -> None:
        """Record the messages."""
        self.sent.extend(messages)


@dataclass
class SmsOutbox:
    """An SMS sender that keeps what it was given (one message a call)."""

    sent: list = field(default_factory=list)

    def send(self, message) -> None:
        """Record the SMS."""
        self.sent.append(message)


@pytest.fixture
def mailbox(app, monkeypatch) -> Outbox:
    """Every e-mail the portal sends during the test."""
    outbox = Outbox()
    monkeypatch.setattr(app.extensions["portal_senders"], "mail", outbox)
    return outbox


@pytest.fixture
def sms_box(app, monkeypatch) -> SmsOutbox:
    """Every SMS the portal sends during the test."""
    outbox = SmsOutbox()
    monkeypatch.setattr(app.extensions["portal_senders"], "sms", outbox)
    return outbox


def make_case(app, **kw) -> tuple[str, int]:
    """A committed case: (reference, debtor id); the debtor reads English unless told otherwise."""
    kw.setdefault("language", "en")
    with app.app_context():
        case = factories.case(**kw)
        found = (case.reference, case.debtor_id)
        db.session.remove()
    return found


def body_of(message) -> str:
    """The plain-text body of a captured e-mail."""
    return message.get_body(("plain",)).get_content()


def token(client, path: str) -> str:
    """The CSRF token of a page's first form."""
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def sign_in(client, debtor_id: int, assurance: str = "full") -> None:
    """Sign a debtor in, as Flask-Login would after a completed sign-in."""
    with client.session_transaction() as session:
        session["_user_id"] = f"{debtor_id}:{assurance}"
        session["_fresh"] = True


@pytest.fixture
def agent(app, make_staff):  # noqa: F811
    """A second browser, signed in as an agent."""
    client = app.test_client()
    sign_in_staff(client, make_staff("agent@agency.test"))
    return client
