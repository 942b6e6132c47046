"""The one-time code step: masked destinations, sending after commit, tries, expiry, throttling."""

from __future__ import annotations

import email
import json
import re
from datetime import date, timedelta
from email import policy
from pathlib import Path

import pytest
import time_machine

from portal.auth import codes
from portal.auth.models import OneTimeCode
from portal.clock import utcnow
from portal.extensions import db
from tests.auth.conftest import CASES_PATH, post_code_form, post_sign_in

DOB = date(1980, 4, 12)


@pytest.fixture
def outbox(app):
    """Files written by the development mail and SMS senders during the test."""
    dirs = [Path(app.config["MAIL_URL"].removeprefix("file://")), Path(app.config["SMS_URL"].removeprefix("file://"))]
    before = {p for d in dirs if d.exists() for p in d.iterdir()}

    def new() -> list[str]:
        found = sorted(p for d in dirs if d.exists() for p in d.iterdir() if p not in before)
        texts = []
        for path in found:
            if path.suffix == ".eml":
                msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
                texts.append(f"To: {msg['To']}\nSubject: {msg['Subject']}\n\n" + msg.get_body(("plain",)).get_content())
            else:
                data = json.loads(path.read_text())
                texts.append(f"To: {data['to']}\n\n{data['text']}")
        return texts

    return new


def _code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def _start(client, make_case, **kw):
    case = make_case(reference="AK-CODE-000001", **kw)
    response = post_sign_in(client, "AK-CODE-000001", dob=DOB)
    assert response.headers["Location"].endswith("/sign-in/code")
    return case


def test_choices_are_masked(client, make_case):
    _start(client, make_case, email="marie@example.fr", phone="+33612345678")
    html = client.get("/sign-in/code").get_data(as_text=True)
    assert "m•••@example.fr" in html and "+33 •• •• •• 78" in html
    assert "marie@" not in html and "612345678" not in html


def test_mask_helpers():
    assert codes.mask_email("marie@example.fr") == "m•••@example.fr"
    assert codes.mask_phone("+33612345678") == "+33 •• •• •• 78"


def test_email_code_signs_in_with_a_new_session(app, client, make_case, outbox):
    case = _start(client, make_case, email="marie@example.fr", phone="+33612345678")
    sent = post_code_form(client, action="send", channel="email")
    assert sent.status_code == 303
    messages = outbox()
    assert len(messages) == 1 and "To: marie@example.fr" in messages[0]
    code = _code_in(messages[0])
    subject = messages[0].split("\n")[1]
    assert subject.startswith("Subject: ") and code not in subject  # not on a lock screen preview
    with app.app_context():
        stored = db.session.query(OneTimeCode).one()
        assert code not in stored.code_hash and stored.code_hash == codes.code_hash(code)
    page = client.get("/sign-in/code").get_data(as_text=True)
    assert "We have sent a 6-digit code to m•••@example.fr" in page
    before = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    response = post_code_form(client, action="verify", code=f"{code[:3]} {code[3:]}")
    assert response.status_code == 303 and response.headers["Location"].endswith(CASES_PATH)
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value != before
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{case.debtor_id}:full"
    # The code is spent.
    assert client.get("/sign-in/code").status_code == 303


def test_sms_code(client, make_case, outbox):
    _start(client, make_case, email=None, phone="+33612345678")
    post_code_form(client, action="send", channel="sms")
    (message,) = outbox()
    assert "To: +33612345678" in message
    response = post_code_form(client, action="verify", code=_code_in(message))
    assert response.headers["Location"].endswith(CASES_PATH)


def test_code_is_not_sent_when_the_transaction_rolls_back(app, outbox, make_case):
    case = make_case(reference="AK-CODE-000009")
    with app.test_request_context():
        codes.send_code(case.id, "attempt", "email", "marie@example.fr", None, "fr")
        assert outbox() == []  # queued, not sent before commit
        db.session.rollback()
    assert outbox() == []
    with app.test_request_context():
        codes.send_code(case.id, "attempt", "email", "marie@example.fr", None, "fr")
        db.session.commit()
    assert len(outbox()) == 1


def test_five_wrong_codes_use_up_the_code(client, make_case, outbox):
    _start(client, make_case, email="marie@example.fr")
    post_code_form(client, action="send", channel="email")
    right = _code_in(outbox()[0])
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        html = post_code_form(client, action="verify", code=wrong).get_data(as_text=True)
        assert f"({left} tries left)" in html
    html = post_code_form(client, action="verify", code=wrong).get_data(as_text=True)
    assert "entered wrongly too many times" in html
    html = post_code_form(client, action="verify", code=right).get_data(as_text=True)
    assert "entered wrongly too many times" in html
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_expired_code_is_refused(client, make_case, outbox):
    _start(client, make_case, email="marie@example.fr")
    post_code_form(client, action="send", channel="email")
    code = _code_in(outbox()[0])
    # 10 minutes later the code is dead (the session is still alive: 15 minutes idle).
    with time_machine.travel(utcnow() + timedelta(minutes=10, seconds=1), tick=False):
        html = post_code_form(client, action="verify", code=code).get_data(as_text=True)
    assert "This code has expired" in html


def test_badly_formed_code_names_the_field(client, make_case, outbox):
    _start(client, make_case, email="marie@example.fr")
    post_code_form(client, action="send", channel="email")
    html = post_code_form(client, action="verify", code="12ab").get_data(as_text=True)
    assert "The code is 6 digits" in html and 'aria-invalid="true"' in html and 'href="#code"' in html


def test_resend_is_throttled_per_case(client, make_case, outbox):
    _start(client, make_case, email="marie@example.fr", phone="+33612345678")
    start = utcnow()
    assert post_code_form(client, action="send", channel="email").status_code == 303
    refused = post_code_form(client, action="send", channel="sms")
    assert refused.status_code == 429 and "Please wait" in refused.get_data(as_text=True)
    assert len(outbox()) == 1
    for minute in range(1, 5):
        with time_machine.travel(start + timedelta(minutes=minute, seconds=1), tick=False):
            assert post_code_form(client, action="send", channel="email").status_code == 303
    with time_machine.travel(start + timedelta(minutes=5, seconds=2), tick=False):
        refused = post_code_form(client, action="send", channel="email")
    assert refused.status_code == 429  # five an hour
    assert len(outbox()) == 5


def test_a_new_code_replaces_the_old_one(client, make_case, outbox):
    _start(client, make_case, email="marie@example.fr")
    post_code_form(client, action="send", channel="email")
    first = _code_in(outbox()[0])
    with time_machine.travel(utcnow() + timedelta(seconds=61), tick=False):
        post_code_form(client, action="send", channel="email")
        second = _code_in(outbox()[1])
        if first != second:
            assert "This code is not right" in post_code_form(client, action="verify", code=first).get_data(as_text=True)
        assert post_code_form(client, action="verify", code=second).status_code == 303


def test_channel_not_on_file_is_refused(client, make_case):
    _start(client, make_case, email="marie@example.fr", phone=None)
    html = post_code_form(client, action="send", channel="sms").get_data(as_text=True)
    assert "Not a valid choice" in html
