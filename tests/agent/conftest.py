"""Helpers for back-office tests: staff accounts, real sign-ins through the forms, dead letters."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pyotp
import pytest
from sqlalchemy import select

from portal.agent import accounts
from portal.agent.models import AuditEntry, StaffRole
from portal.extensions import db
from portal.ledger.models import EventState, LedgerEvent
from tests.auth.conftest import csrf_from, make_case  # noqa: F401  (fixture re-exported)

PASSWORD = "correct horse battery"


class StaffRef:
    """Plain facts about a created account (no ORM object outlives its session)."""

    def __init__(self, id: int, email: str, secret: str | None) -> None:
        self.id, self.email, self.secret = id, email, secret

    def code(self, at: datetime | None = None, offset: int = 0) -> str:
        """The TOTP code of this account at `at` (now by default)."""
        totp = pyotp.TOTP(self.secret)
        return totp.at(at or datetime.now(UTC), counter_offset=offset)


@pytest.fixture
def make_staff(app):
    """Create a committed account: make_staff("a@x.test", StaffRole.agent, totp=False)."""

    def make(email: str = "agent@agency.test", role: StaffRole = StaffRole.agent, totp: bool = False,
             password: str = PASSWORD) -> StaffRef:
        with app.app_context():
            staff = accounts.create(email, role, password, with_totp=totp)
            db.session.commit()
            ref = StaffRef(staff.id, staff.email, staff.totp_secret)
            db.session.remove()
        return ref

    return make


def post_password(client, email: str, password: str = PASSWORD, ip: str = "192.0.2.10"):
    """GET the staff sign-in form for a token, then POST e-mail and password."""
    env = {"REMOTE_ADDR": ip}
    token = csrf_from(client.get("/agent/sign-in", environ_overrides=env).get_data(as_text=True))
    return client.post("/agent/sign-in", data={"csrf_token": token, "email": email, "password": password},
                       environ_overrides=env)


def post_code(client, code: str, ip: str = "192.0.2.10"):
    """GET the code page for a token, then POST the code."""
    env = {"REMOTE_ADDR": ip}
    page = client.get("/agent/sign-in/code", environ_overrides=env)
    assert page.status_code == 200, page.status_code
    return client.post("/agent/sign-in/code", data={"csrf_token": csrf_from(page.get_data(as_text=True)), "code": code},
                       environ_overrides=env)


def sign_in_staff(client, staff: StaffRef) -> None:
    """A complete sign-in through the forms (password, then the code when there is one)."""
    response = post_password(client, staff.email)
    assert response.status_code == 303, response.status_code
    if staff.secret:
        assert response.headers["Location"].endswith("/agent/sign-in/code")
        response = post_code(client, staff.code())
        assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/agent/")


@pytest.fixture
def agent_client(app, client, make_staff):
    """A client signed in as an agent (no second factor)."""
    sign_in_staff(client, make_staff("agent@agency.test", StaffRole.agent))
    return client


@pytest.fixture
def supervisor_client(app, client, make_staff):
    """A client signed in as a supervisor (password and TOTP)."""
    sign_in_staff(client, make_staff("boss@agency.test", StaffRole.supervisor))
    return client


def page_token(client, path: str) -> str:
    """The CSRF token of the first form on a page."""
    return csrf_from(client.get(path).get_data(as_text=True))


def audit_rows(app, action: str | None = None) -> list[dict]:
    """The audit log as plain dicts, oldest first (optionally one action only)."""
    with app.app_context():
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        rows = [
            {"staff_id": e.staff_id, "action": e.action, "target": e.target, "details": e.details, "ip": e.ip, "at": e.at}
            for e in db.session.scalars(query)
        ]
        db.session.remove()
    return rows


def make_dead_letter(app, case_id: int, sequence: int = 1, error: str = "422 amount must be positive") -> str:
    """A ledger event the ledger refused, as the relay leaves it."""
    event_id = str(uuid.uuid4())
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with app.app_context():
        db.session.add(LedgerEvent(
            id=event_id, case_id=case_id, sequence=sequence, type="payment.succeeded", occurred_at=now,
            payload=json.dumps({"id": event_id}), state=EventState.dead, dead_at=now, last_error=error, attempts=1,
        ))
        db.session.commit()
        db.session.remove()
    return event_id
