"""Downloading documents and checking their codes on the public page."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.documents.models import DocumentKind, IssuedDocument
from portal.extensions import db
from portal.payments.models import PaymentKind
from tests import factories
from tests.documents.conftest import pay, post_code
from tests.helpers import sign_in

TOTAL = 10000 + 250 + 500 + 1200


def _is_pdf(response) -> bool:
    return response.status_code == 200 and response.mimetype == "application/pdf" and response.data[:5] == b"%PDF-"


def test_statement_downloads_and_its_code_checks_out(app, client, codes):
    with app.app_context():
        case = factories.case("AK-2026-004211", name="Marie Dupont", language="en")
        sign_in(client, case)
    response = client.get("/cases/AK-2026-004211/documents/statement.pdf")
    assert _is_pdf(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert 'filename="statement-AK-2026-004211.pdf"' in response.headers["Content-Disposition"]

    public = app.test_client()  # anyone, not signed in
    page = public.get(f"/verify?code={codes[0]}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "This code belongs to a genuine document" in text
    assert "Statement of a case" in text and "Acme SARL" in text
    assert "AK-****-***211" in text and "€119.50" in text
    # Nothing more: not the full reference, not the debtor.
    assert "AK-2026-004211" not in text and "Marie" not in text and "Dupont" not in text


def test_code_typed_loosely_still_matches(app, client, codes):
    with app.app_context():
        case = factories.case("AK-2026-004212", language="en")
        sign_in(client, case)
    client.get("/cases/AK-2026-004212/documents/statement.pdf")
    typed = codes[0].replace("-", " ").lower()
    page = post_code(app.test_client(), typed)
    assert page.status_code == 200 and "genuine document" in page.get_data(as_text=True)


def test_forged_code_is_refused(app, client, codes):
    with app.app_context():
        case = factories.case("AK-2026-004213", language="en")
        sign_in(client, case)
    client.get("/cases/AK-2026-004213/documents/statement.pdf")
    genuine = codes[0]
    forged = ("A" if genuine[0] != "A" else "B") + genuine[1:]
    page = post_code(app.test_client(), forged)
    text = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "We found no document with this code" in text and "Acme SARL" not in text


def test_malformed_code_gets_an_error_on_the_field(app):
    page = post_code(app.test_client(), "hello")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "A verification code is 20 letters and digits" in text
    assert 'aria-invalid="true"' in text and 'aria-describedby="code-hint code-error"' in text


def test_verification_is_rate_limited_per_ip(app, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_IP_LIMIT", "3 per minute")
    public = app.test_client()
    answers = [post_code(public, "ABCD-EFGH-JKLM-NPQR-STUV").status_code for _ in range(4)]
    assert answers == [404, 404, 404, 429]
    assert public.get("/verify").status_code == 200  # the empty form stays reachable


def test_another_debtors_case_has_no_documents(app, client):
    with app.app_context():
        mine = factories.case("AK-2026-000001", language="en")
        factories.case("AK-2026-000002", debtor_id="someone-else", language="en")
        sign_in(client, mine)
    assert client.get("/cases/AK-2026-000002/documents/statement.pdf").status_code == 404
    assert client.get("/cases/AK-2026-000002/documents").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IssuedDocument)) == 0


def test_anonymous_visitors_cannot_download(app):
    with app.app_context():
        factories.case("AK-2026-000003", language="en")
    response = app.test_client().get("/cases/AK-2026-000003/documents/statement.pdf")
    assert response.status_code in (302, 401)


def test_receipt_for_a_received_payment(app, client, codes):
    with app.app_context():
        case = factories.case("AK-2026-000004", language="en")
        payment = pay(case, 5000)
        reference = payment.reference
        sign_in(client, case)
    listing = client.get("/cases/AK-2026-000004/documents").get_data(as_text=True)
    assert reference in listing
    assert "Confirmation of payment in full" not in listing  # something is still due
    assert _is_pdf(client.get(f"/cases/AK-2026-000004/documents/receipt-{reference}.pdf"))
    assert client.get("/cases/AK-2026-000004/documents/receipt-PAY-99999999.pdf").status_code == 404
    assert client.get("/cases/AK-2026-000004/documents/letter.pdf").status_code == 404
    text = app.test_client().get(f"/verify?code={codes[0]}").get_data(as_text=True)
    assert "Payment receipt" in text and "€50.00" in text


def test_paid_in_full_letter(app, client, codes):
    with app.app_context():
        case = factories.case("AK-2026-000005", language="en")
        pay(case, TOTAL)
        sign_in(client, case)
    assert "Confirmation of payment in full" in client.get("/cases/AK-2026-000005/documents").get_data(as_text=True)
    response = client.get("/cases/AK-2026-000005/documents/letter.pdf")
    assert _is_pdf(response) and "paid-in-full-AK-2026-000005.pdf" in response.headers["Content-Disposition"]
    with app.app_context():
        document = db.session.scalar(select(IssuedDocument))
        assert document.kind == DocumentKind.paid_in_full and document.amount_minor == TOTAL


def test_settlement_letter_verifies(app, client, codes):
    with app.app_context():
        case = factories.case("AK-2026-000006", language="en")
        pay(case, 10000, kind=PaymentKind.settlement, discount_minor=TOTAL - 10000)
        sign_in(client, case)
    assert _is_pdf(client.get("/cases/AK-2026-000006/documents/letter.pdf"))
    text = app.test_client().get(f"/verify?code={codes[0]}").get_data(as_text=True)
    assert "Settlement letter" in text and "€100.00" in text and "AK-****-***006" in text


def test_statement_in_french_is_a_pdf_too(app, client, compiled_catalogues):
    with app.app_context():
        case = factories.case("AK-2026-000007", language="fr")
        sign_in(client, case)
    assert _is_pdf(client.get("/cases/AK-2026-000007/documents/statement.pdf"))
