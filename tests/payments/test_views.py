"""Paying from the debtor's side, end to end through the SDK and the emulator's hosted pages."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select, update

from portal.cases.models import CaseEntry, CaseStatus, Debtor, EntryKind
from portal.extensions import db
from portal.ledger.models import LedgerEvent
from portal.payments.models import PaymentState
from tests import factories
from tests.helpers import sign_in
from tests.payments.conftest import DECLINED, IBAN, THREE_DS


def _ledger_types(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(LedgerEvent.type).order_by(LedgerEvent.sequence)))


def _entries(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [(e.kind.value, e.amount_minor) for e in db.session.scalars(select(CaseEntry).order_by(CaseEntry.sequence))]


def test_pay_in_full_shows_receipt_zero_balance_and_mails_it(app, debtor, emulator, mailbox):
    debtor.has_case(email="marie@example.fr")  # 100.00 + 2.50 + 5.00 + 12.00 = 119.50 EUR
    with app.app_context():  # pages in English, the receipt e-mail in the debtor's own French
        db.session.execute(update(Debtor).values(language="fr"))
        db.session.commit()
    debtor.client.post("/language", data={"csrf_token": debtor.csrf(), "language": "en", "next": "/"})
    assert b"Pay online" in debtor.client.get(f"/cases/{debtor.reference}").data
    session_id = debtor.checkout("full")
    assert emulator.store.objects[session_id]["amount_total"] == 11950  # the server's amount, not the browser's
    page = debtor.come_back(debtor.pay_on_stripe(session_id))
    html = page.get_data(as_text=True)
    assert "Thank you, your payment is received" in html and "€119.50" in html
    assert "Card" in html and "PAY-00000001" in html
    emulator.deliver()  # the webhooks arrive after the return page recorded it: nothing more happens
    [payment] = debtor.payments()
    assert payment.state == PaymentState.succeeded and payment.method == "card"
    assert _entries(app) == [("payment", 11950)]
    assert _ledger_types(app) == ["payment.succeeded", "case.settled"]
    case_page = debtor.client.get(f"/cases/{debtor.reference}").get_data(as_text=True)
    assert "Pay online" not in case_page and "€0.00" in case_page
    [mail] = mailbox.sent
    assert mail["To"] == "marie@example.fr" and "PAY-00000001" in mail["Subject"]
    body = mail.get_content()
    assert "Montant payé\u00a0: 119,50\xa0€" in body and "Moyen de paiement\u00a0: Carte" in body  # in French, the debtor's language


def test_pay_part_leaves_the_rest_to_pay(app, debtor, emulator):
    debtor.has_case()
    session_id = debtor.checkout("part", "25,50")
    assert emulator.store.objects[session_id]["amount_total"] == 2550
    emulator.deliver()
    debtor.pay_on_stripe(session_id)
    emulator.deliver()  # webhook first this time
    page = debtor.client.get(f"/payments/{debtor.payments()[0].id}").get_data(as_text=True)
    assert "€25.50" in page and "€94.00" in page  # paid, and still to pay
    assert _entries(app) == [("payment", 2550)]
    assert _ledger_types(app) == ["payment.succeeded"]


def test_part_amounts_outside_the_bounds_are_refused_with_the_reason(app, debtor, emulator):
    debtor.has_case(part_payment_min_minor=1000, creditor_id="MIN-10")
    for raw, message in [("9.99", "The smallest amount you can pay is €10.00."),
                         ("119.51", "You cannot pay more than €119.50."),
                         ("abc", "Enter the amount as a number"),
                         ("10.001", "at most 2 decimals"),
                         ("", "Enter the amount you want to pay.")]:
        response = debtor.choose("part", raw)
        html = response.get_data(as_text=True)
        assert response.status_code == 400, raw
        assert message in html and 'aria-invalid="true"' in html and 'aria-describedby="amount-hint amount-error"' in html
    assert debtor.payments() == [] and emulator.store.all("checkout.session") == []
    assert debtor.choose("part", "119.50").status_code == 303  # the whole amount is a valid part


def test_settlement_writes_off_the_rest_and_settles_the_case(app, debtor, emulator, mailbox, monkeypatch):
    monkeypatch.setattr("portal.payments.policy.today", lambda: date(2026, 11, 25))
    debtor.has_case(creditor_id="SETTLE", settlement_days=30, settlement_waive_interest=True, settlement_waive_costs=True)
    html = debtor.pay_page().get_data(as_text=True)
    assert "Pay €105.00 by December 20, 2026" in html and "remaining €14.50" in html
    session_id = debtor.checkout("settlement")
    assert emulator.store.objects[session_id]["amount_total"] == 10500
    debtor.pay_on_stripe(session_id)
    emulator.deliver()
    assert _entries(app) == [("payment", 10500), ("discount", 1450)]
    assert _ledger_types(app) == ["payment.succeeded", "case.settled"]
    page = debtor.client.get(f"/payments/{debtor.payments()[0].id}").get_data(as_text=True)
    assert "Written off under the settlement offer" in page and "Nothing more is due on this case." in page


def test_no_settlement_offer_after_its_deadline(app, debtor, monkeypatch):
    monkeypatch.setattr("portal.payments.policy.today", lambda: date(2026, 12, 21))
    debtor.has_case(creditor_id="SETTLE", settlement_days=30, settlement_waive_interest=True)
    assert "Settlement offer" not in debtor.pay_page().get_data(as_text=True)
    assert debtor.choose("settlement", nonce="n" * 22).status_code == 400


def test_declined_card_then_a_good_one(app, debtor, emulator):
    debtor.has_case()
    session_id = debtor.checkout("full")
    declined = debtor.pay_on_stripe(session_id, card=DECLINED)
    assert declined.status_code == 402
    emulator.deliver()
    [payment] = debtor.payments()
    assert payment.state == PaymentState.open and payment.failure_code == "generic_decline"
    assert _entries(app) == []
    debtor.come_back(debtor.pay_on_stripe(session_id))
    assert debtor.payments()[0].state == PaymentState.succeeded


def test_failed_3d_secure_records_nothing(app, debtor, emulator):
    debtor.has_case()
    session_id = debtor.checkout("full")
    challenge = debtor.pay_on_stripe(session_id, card=THREE_DS)
    assert challenge.status_code == 303 and "/c/3ds/" in challenge.location
    failed = debtor.stripe.post(challenge.location.removeprefix("http://stripe-emulator.test"), data={"outcome": "fail"})
    assert "error=authentication" in failed.location
    emulator.deliver()
    assert debtor.payments()[0].state == PaymentState.open and _entries(app) == []
    page = debtor.client.get(f"/payments/{debtor.payments()[0].id}/return", follow_redirects=True)
    assert "waiting for confirmation" in page.get_data(as_text=True)
    assert 'http-equiv="refresh"' in page.get_data(as_text=True)


def test_sepa_processing_then_success(app, debtor, emulator, stripe_page, mailbox):
    debtor.has_case()
    session_id = debtor.checkout("full")
    page = debtor.come_back(debtor.pay_on_stripe(session_id, iban=IBAN)).get_data(as_text=True)
    assert "bank debit of €119.50 is on its way" in page
    emulator.deliver()
    [payment] = debtor.payments()
    assert payment.state == PaymentState.processing and _entries(app) == [] and mailbox.sent == []
    stripe_page.post("/_emulator/sepa", json={"payment_intent": payment.payment_intent_id, "outcome": "succeeded"})
    emulator.deliver()
    assert debtor.payments()[0].state == PaymentState.succeeded and debtor.payments()[0].method == "sepa_debit"
    assert _entries(app) == [("payment", 11950)] and len(mailbox.sent) == 1


def test_sepa_processing_then_failure(app, debtor, emulator, stripe_page, mailbox):
    debtor.has_case()
    session_id = debtor.checkout("full")
    debtor.pay_on_stripe(session_id, iban=IBAN)
    emulator.deliver()
    payment = debtor.payments()[0]
    stripe_page.post("/_emulator/sepa", json={"payment_intent": payment.payment_intent_id, "outcome": "failed"})
    emulator.deliver()
    payment = debtor.payments()[0]
    assert payment.state == PaymentState.failed and payment.failure_code == "insufficient_funds"
    assert _entries(app) == [] and mailbox.sent == []
    page = debtor.client.get(f"/payments/{payment.id}").get_data(as_text=True)
    assert "did not go through" in page and "Try again" in page


def test_double_submit_gives_one_checkout_session(app, debtor, emulator):
    debtor.has_case()
    html = debtor.pay_page().get_data(as_text=True)
    nonce = re.search(r'value="full">\s*<input type="hidden" name="nonce" value="([^"]+)"', html).group(1)
    first, second = debtor.choose("full", nonce=nonce), debtor.choose("full", nonce=nonce)
    assert first.status_code == second.status_code == 303 and first.location == second.location
    assert len(emulator.store.all("checkout.session")) == 1 and len(debtor.payments()) == 1
    third = debtor.choose("full")  # a new click later, same choice: back to the same open page
    assert third.location == first.location and len(debtor.payments()) == 1


def test_same_submission_with_another_amount_is_a_conflict(app, debtor, emulator):
    debtor.has_case()
    nonce = "x" * 22
    assert debtor.choose("part", "10", nonce=nonce).status_code == 303
    conflict = debtor.choose("part", "11", nonce=nonce)
    assert conflict.status_code == 409 and "already started" in conflict.get_data(as_text=True)
    assert len(emulator.store.all("checkout.session")) == 1


def test_zero_decimal_currency(app, debtor, emulator):
    debtor.has_case(currency="JPY", principal=12000, interest=0, fees=500, costs=0, creditor_id="JP")
    html = debtor.pay_page().get_data(as_text=True)
    assert "¥12,500" in html
    assert "Enter a whole amount" in debtor.choose("part", "100.5").get_data(as_text=True)
    session_id = debtor.checkout("part", "3000")
    assert emulator.store.objects[session_id]["amount_total"] == 3000
    assert emulator.store.objects[session_id]["currency"] == "jpy"
    debtor.come_back(debtor.pay_on_stripe(session_id))
    assert _entries(app) == [("payment", 3000)]


def test_on_hold_and_other_debtors_cases_offer_nothing(app, debtor, client):
    debtor.has_case(status=CaseStatus.on_hold)
    assert "Pay online" not in debtor.client.get(f"/cases/{debtor.reference}").get_data(as_text=True)
    assert "nothing to pay online" in debtor.pay_page().get_data(as_text=True)
    assert debtor.choose("full", nonce="y" * 22).status_code == 400
    with app.app_context():
        other = factories.case(debtor_id="someone-else")
        other_ref = other.reference
    assert debtor.client.get(f"/cases/{other_ref}/pay").status_code == 404


def test_another_debtor_cannot_see_a_payment(app, debtor, emulator):
    debtor.has_case()
    debtor.checkout("full")
    payment_id = debtor.payments()[0].id
    with app.app_context():
        other = factories.case(debtor_id="other")
        sign_in(debtor.client, other)
    assert debtor.client.get(f"/payments/{payment_id}").status_code == 404
    assert debtor.client.get(f"/payments/{payment_id}/return").status_code == 404


def test_pay_pages_allow_no_third_party_script(app, debtor, emulator):
    debtor.has_case()
    response = debtor.pay_page()
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "form-action 'self' http://stripe-emulator.test" in csp
    assert "<script" not in response.get_data(as_text=True)


def test_entries_use_the_payment_kind(app, debtor, emulator):
    debtor.has_case()
    debtor.come_back(debtor.pay_on_stripe(debtor.checkout("part", "20")))
    with app.app_context():
        entry = db.session.scalars(select(CaseEntry)).one()
        assert entry.kind == EntryKind.payment and entry.description == "PAY-00000001"
