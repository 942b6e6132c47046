"""A message thread across both sides: the debtor writes with a file, an agent answers, each side is told."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.messages.models import Message, MessageAttachment
from portal.uploads.models import Upload
from tests.messages.conftest import PDF, body_of, make_case, sign_in, token


def write(client, body="Can I pay the rest in March?", files=()):
    """Post the message form as a browser would (multipart)."""
    data = {"csrf_token": token(client, "/messages"), "body": body,
            "attachments": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/messages", data=data, content_type="multipart/form-data")


def _count(app, model) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
    return n


def test_a_thread_across_both_sides(app, client, agent, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "AGENT_INBOX", "inbox@agency.test")
    reference, debtor_id = make_case(app, email="marie@example.fr")
    sign_in(client, debtor_id)
    assert "/messages" in client.get("/cases").get_data(as_text=True)

    response = write(client, files=[("payslip.pdf", PDF)])
    assert response.status_code == 303
    page = client.get("/messages").get_data(as_text=True)
    assert "Can I pay the rest in March?" in page and "payslip.pdf" in page
    (to_agents,) = mailbox.sent
    assert to_agents["To"] == "inbox@agency.test"
    assert f"/agent/debtors/{debtor_id}/messages" in body_of(to_agents) and "March" not in body_of(to_agents)

    home = agent.get("/agent/").get_data(as_text=True)
    assert "Unanswered messages" in home and "Marie Dupont" in home
    assert f"/agent/debtors/{debtor_id}/messages" in agent.get(f"/agent/cases/{reference}").get_data(as_text=True)
    thread = agent.get(f"/agent/debtors/{debtor_id}/messages").get_data(as_text=True)
    assert "Can I pay the rest in March?" in thread
    with app.app_context():
        upload_id = db.session.scalars(select(Upload.id)).one()
    assert agent.get(f"/agent/files/{upload_id}").data == PDF

    path = f"/agent/debtors/{debtor_id}/messages"
    response = agent.post(path, data={"csrf_token": token(agent, path), "body": "Yes: we have set it up."})
    assert response.status_code == 303
    to_debtor = mailbox.sent[-1]
    assert to_debtor["To"] == "marie@example.fr" and "http://portal.test/messages" in body_of(to_debtor)
    assert "set it up" not in body_of(to_debtor) and "set it up" not in to_debtor["Subject"]
    assert "Yes: we have set it up." in client.get("/messages").get_data(as_text=True)
    assert "Every message has an answer." in agent.get("/agent/").get_data(as_text=True)


def test_unanswered_debtors_are_listed_longest_waiting_first(app, agent):
    from portal.messages import services

    _ref, first = make_case(app, name="Anne Premier")
    _ref, second = make_case(app, name="Bruno Second")
    with app.app_context():
        from portal.cases.models import Debtor
        services.write_as_debtor(db.session.get(Debtor, first), "one", [])
        services.write_as_debtor(db.session.get(Debtor, second), "two", [])
        services.write_as_debtor(db.session.get(Debtor, first), "three", [])
        db.session.commit()
        waiting = services.unanswered()
        db.session.remove()
    assert [(w.debtor_id, w.count) for w in waiting] == [(first, 2), (second, 1)]
    home = agent.get("/agent/").get_data(as_text=True)
    assert home.index("Anne Premier") < home.index("Bruno Second")


def test_without_an_agent_inbox_no_e_mail_goes_to_agents(app, client, mailbox):
    _reference, debtor_id = make_case(app)
    sign_in(client, debtor_id)
    assert write(client).status_code == 303
    assert mailbox.sent == []


def test_another_debtors_thread_and_attachment_are_never_reachable(app, client):
    _ref, marie = make_case(app)
    _ref, paul = make_case(app, name="Paul Martin", email="paul@example.fr")
    sign_in(client, marie)
    write(client, body="My private words", files=[("id card.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32)])
    with app.app_context():
        upload_id = db.session.scalars(select(Upload.id)).one()
    other = app.test_client()
    sign_in(other, paul)
    assert "My private words" not in other.get("/messages").get_data(as_text=True)
    assert other.get(f"/files/{upload_id}").status_code == 404
    assert client.get(f"/files/{upload_id}").status_code == 200
    assert app.test_client().get("/messages").status_code in (302, 401)  # not signed in


def test_a_script_named_pdf_is_refused_and_nothing_is_kept(app, client, mailbox):
    _ref, debtor_id = make_case(app)
    sign_in(client, debtor_id)
    response = write(client, files=[("proof.pdf", b"#!/bin/sh\nrm -rf /\n")])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is not a PDF, JPEG or PNG" in page and 'aria-invalid="true"' in page
    assert "Can I pay the rest in March?" in page  # the words are not lost
    assert (_count(app, Message), _count(app, MessageAttachment), _count(app, Upload)) == (0, 0, 0)


def test_an_empty_message_is_refused_at_its_field(app, client, agent):
    _ref, debtor_id = make_case(app)
    sign_in(client, debtor_id)
    response = write(client, body="   ")
    assert response.status_code == 400 and "Please write your message." in response.get_data(as_text=True)
    path = f"/agent/debtors/{debtor_id}/messages"
    response = agent.post(path, data={"csrf_token": token(agent, path), "body": ""})
    assert response.status_code == 400 and "Write the answer." in response.get_data(as_text=True)
    assert _count(app, Message) == 0


def test_a_debtor_without_e_mail_is_told_by_sms(app, client, agent, mailbox, sms_box):
    _ref, debtor_id = make_case(app, email=None, phone="+33611223344")
    path = f"/agent/debtors/{debtor_id}/messages"
    agent.post(path, data={"csrf_token": token(agent, path), "body": "Hello, your plan is ready."})
    (sms,) = sms_box.sent
    assert sms.to == "+33611223344" and "/messages" in sms.text and "plan" not in sms.text
    assert mailbox.sent == []


def _submission(client, path: str) -> str:
    """The submission id of the form as the page rendered it."""
    return re.search(r'name="submission" type="hidden" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_the_same_form_sent_twice_is_one_message_on_both_sides(app, client, agent, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "AGENT_INBOX", "inbox@agency.test")
    _reference, debtor_id = make_case(app, email="marie@example.fr")
    sign_in(client, debtor_id)
    first, second = _submission(client, "/messages"), _submission(client, "/messages")
    assert first != second  # each page load is a new form
    data = lambda: {"csrf_token": token(client, "/messages"), "body": "Sent once.", "submission": first,  # noqa: E731
                    "attachments": [(io.BytesIO(PDF), "payslip.pdf")]}
    for _ in range(2):  # a double click, or a retry after an answer that never arrived
        assert client.post("/messages", data=data(), content_type="multipart/form-data").status_code == 303
    assert _count(app, Message) == 1 and _count(app, MessageAttachment) == 1 and len(mailbox.sent) == 1
    assert client.get("/messages").get_data(as_text=True).count("Sent once.") == 1

    path = f"/agent/debtors/{debtor_id}/messages"
    answer = _submission(agent, path)
    for _ in range(2):
        response = agent.post(path, data={"csrf_token": token(agent, path), "body": "Answered once.", "submission": answer})
        assert response.status_code == 303
    assert _count(app, Message) == 2 and len(mailbox.sent) == 2


def test_a_form_without_a_submission_id_still_sends(app, client):
    _reference, debtor_id = make_case(app)
    sign_in(client, debtor_id)
    for _ in range(2):  # a page rendered before the id existed: no deduplication, nothing refused
        assert client.post("/messages", data={"csrf_token": token(client, "/messages"), "body": "Hello",
                                              "submission": "not-one-of-ours!"}).status_code == 303
    assert _count(app, Message) == 2
