"""The debtor corrects their e-mail, phone or address: a code to the new one first, then the ledger hears of it."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from portal.agent.models import AuditEntry
from portal.cases.models import CaseStatus, Debtor
from portal.contact.models import DebtorAddress
from portal.extensions import db
from portal.ledger.models import LedgerEvent
from tests.messages.conftest import body_of, make_case, sign_in, token


def _events(app) -> list[dict]:
    with app.app_context():
        rows = [json.loads(p) for p in db.session.scalars(select(LedgerEvent.payload).order_by(LedgerEvent.case_id))]
        db.session.remove()
    return rows


def _debtor(app, debtor_id):
    with app.app_context():
        debtor = db.session.get(Debtor, debtor_id)
        found = (debtor.email, debtor.phone)
        db.session.remove()
    return found


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": token(client, "/contact"), **data})


def test_a_new_e_mail_takes_effect_only_after_the_code_sent_to_it(app, client, mailbox):
    first, debtor_id = make_case(app, debtor_id="D-1", email="old@example.fr")
    second, _ = make_case(app, debtor_id="D-1")
    make_case(app, debtor_id="D-1", status=CaseStatus.closed)
    sign_in(client, debtor_id)
    response = _post(client, "/contact/email", email="new@example.org")
    assert response.status_code == 303 and response.location.endswith("/contact/confirm")
    (mail,) = mailbox.sent
    assert mail["To"] == "new@example.org" and "confirm" in mail["Subject"]
    code = re.search(r"\b(\d{6})\b", body_of(mail)).group(1)
    assert _debtor(app, debtor_id)[0] == "old@example.fr"  # not yet

    wrong = "000000" if code != "000000" else "111111"
    page = client.post("/contact/confirm", data={"csrf_token": token(client, "/contact/confirm"), "code": wrong})
    assert page.status_code == 400 and "tries left" in page.get_data(as_text=True)
    assert _debtor(app, debtor_id)[0] == "old@example.fr" and _events(app) == []

    done = client.post("/contact/confirm", data={"csrf_token": token(client, "/contact/confirm"), "code": code})
    assert done.status_code == 303
    assert _debtor(app, debtor_id)[0] == "new@example.org"
    events = _events(app)
    assert sorted(e["case_reference"] for e in events) == sorted([first, second])  # not the closed case
    assert {e["type"] for e in events} == {"debtor.contact_changed"}
    assert all(e["data"] == {"email": "new@example.org"} for e in events)
    with app.app_context():
        audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "debtor.contact_changed")).one()
        assert (audit.target, audit.details, audit.staff_id) == (f"debtor:{debtor_id}", {"fields": ["email"]}, None)
        db.session.remove()
    assert "new@example.org" in client.get("/contact").get_data(as_text=True)


def test_a_new_phone_gets_its_code_by_sms(app, client, sms_box):
    _ref, debtor_id = make_case(app, phone="+33600000001")
    sign_in(client, debtor_id)
    assert _post(client, "/contact/phone", phone="+33 6 98 76 54 32").status_code == 303
    (sms,) = sms_box.sent
    assert sms.to == "+33698765432"
    code = re.search(r"\b(\d{6})\b", sms.text).group(1)
    client.post("/contact/confirm", data={"csrf_token": token(client, "/contact/confirm"), "code": code})
    assert _debtor(app, debtor_id)[1] == "+33698765432"
    assert [e["data"] for e in _events(app)] == [{"phone": "+33698765432"}]


def test_bad_input_is_named_at_its_field(app, client, mailbox):
    _ref, debtor_id = make_case(app, email="old@example.fr")
    sign_in(client, debtor_id)
    page = _post(client, "/contact/email", email="not an address")
    assert page.status_code == 400 and "Enter an e-mail address such as" in page.get_data(as_text=True)
    page = _post(client, "/contact/phone", phone="06 12")
    assert page.status_code == 400 and "country code" in page.get_data(as_text=True)
    page = _post(client, "/contact/email", email="old@example.fr")
    assert page.status_code == 400 and "already the one we have" in page.get_data(as_text=True)
    page = _post(client, "/contact/address", line1="", postcode="75011", city="Paris", country="FR")
    assert page.status_code == 400 and "Enter the street and number." in page.get_data(as_text=True)
    assert mailbox.sent == [] and _events(app) == []


def test_the_address_is_stored_on_the_debtor_and_posted(app, client):
    reference, debtor_id = make_case(app)
    sign_in(client, debtor_id)
    form = {"line1": "12 rue des Lilas", "line2": "", "postcode": "69003", "city": "Lyon", "country": "FR"}
    assert _post(client, "/contact/address", **form).status_code == 303
    assert _post(client, "/contact/address", **form).status_code == 303  # the same again: no event
    with app.app_context():
        address = db.session.get(DebtorAddress, debtor_id)
        assert (address.line1, address.line2, address.city) == ("12 rue des Lilas", None, "Lyon")
        db.session.remove()
    (event,) = _events(app)
    assert (event["case_reference"], event["data"]) == (reference, {"address": {
        "line1": "12 rue des Lilas", "line2": None, "postcode": "69003", "city": "Lyon", "country": "FR"}})


def test_a_low_assurance_session_cannot_change_anything(app, client, mailbox):
    _ref, debtor_id = make_case(app, email="old@example.fr")
    sign_in(client, debtor_id, assurance="low")
    page = client.get("/contact").get_data(as_text=True)
    assert "cannot be changed in this session" in page and "old@example.fr" not in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/messages").get_data(as_text=True)).group(1)
    for path, data in (("/contact/email", {"email": "x@example.org"}), ("/contact/phone", {"phone": "+33611111111"}),
                       ("/contact/address", {"line1": "1 rue", "postcode": "1", "city": "X", "country": "FR"}),
                       ("/contact/confirm", {"code": "123456"})):
        assert client.post(path, data={"csrf_token": csrf, **data}).status_code == 403
    assert _debtor(app, debtor_id)[0] == "old@example.fr" and mailbox.sent == [] and _events(app) == []
