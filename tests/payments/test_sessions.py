"""One payable Checkout page per case: a new choice closes the others, and money already taken is shown, not taken again."""

from __future__ import annotations

from sqlalchemy import select

from portal.cases.models import CaseEntry
from portal.extensions import db
from portal.payments import services, sessions
from portal.payments.models import Payment, PaymentKind, PaymentState
from portal.money import Money
from tests.payments.conftest import IBAN

S = PaymentState


def _paid_minor(app) -> list[int]:
    with app.app_context():
        return [e.amount_minor for e in db.session.scalars(select(CaseEntry).order_by(CaseEntry.sequence))]


def test_a_new_choice_closes_the_page_left_open(app, debtor, emulator, stripe_page):
    debtor.has_case()
    first = debtor.checkout("part", "20")
    second = debtor.checkout("full")
    assert emulator.store.objects[first]["status"] == "expired" and emulator.store.objects[second]["status"] == "open"
    assert [p.state for p in debtor.payments()] == [S.expired, S.open]
    assert b"expired" in debtor.pay_on_stripe(first).data.lower()  # the old tab can no longer be paid
    debtor.come_back(debtor.pay_on_stripe(second))
    emulator.deliver()
    assert _paid_minor(app) == [11950]
    assert [p.state for p in debtor.payments()] == [S.expired, S.succeeded]


def test_a_page_paid_in_another_tab_is_shown_and_nothing_more_is_taken(app, debtor, emulator):
    debtor.has_case()
    first = debtor.checkout("full")
    debtor.pay_on_stripe(first)  # the other tab: paid, but neither the return nor the webhook reached us yet
    response = debtor.choose("part", "30")
    [payment] = debtor.payments()
    assert response.status_code == 303 and response.location == f"/payments/{payment.id}"
    assert payment.state == S.succeeded and _paid_minor(app) == [11950]
    assert len(emulator.store.all("checkout.session")) == 1  # no second page was opened
    receipt = debtor.client.get(response.location).get_data(as_text=True)
    assert "Thank you, your payment is received" in receipt and "€119.50" in receipt
    assert "You had already paid on an earlier page, so nothing more was taken." in receipt  # why no new page
    emulator.deliver()  # the late webhooks change nothing
    assert _paid_minor(app) == [11950]


def test_a_delayed_debit_on_its_way_is_not_paid_twice(app, debtor, emulator):
    debtor.has_case()
    first = debtor.checkout("full")
    debtor.pay_on_stripe(first, iban=IBAN)  # SEPA: processing for days
    response = debtor.choose("full")
    [payment] = debtor.payments()
    assert response.location == f"/payments/{payment.id}" and payment.state == S.processing
    assert len(emulator.store.all("checkout.session")) == 1


def test_no_new_page_while_stripe_cannot_close_the_old_one(app, debtor, emulator, monkeypatch):
    debtor.has_case()
    first = debtor.checkout("part", "20")
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    monkeypatch.setitem(app.extensions, "stripe_http_client", None)
    response = debtor.choose("full")
    assert response.status_code == 502 and "try again" in response.get_data(as_text=True).lower()
    assert [p.state for p in debtor.payments()] == [S.open]
    assert emulator.store.objects[first]["status"] == "open"


def _open(app, case, nonce: str, amount_minor: int) -> int:
    """A page opened the way the view does it, without its closing passes (a twin request in flight)."""
    payment = services.start(case, PaymentKind.part, Money(amount_minor, "EUR"), Money.zero("EUR"), nonce)
    db.session.commit()
    services.open_checkout(payment, success_url="http://portal.test/ok", cancel_url="http://portal.test/no",
                           email=None, locale="en", description="twin")
    db.session.commit()
    return payment.id


def test_twin_submissions_leave_one_page_open(app, debtor, emulator):
    case = debtor.has_case()
    with app.app_context():
        case = db.session.merge(case)
        older, newer = _open(app, case, "a" * 22, 2000), _open(app, case, "b" * 22, 3000)
        assert sessions.keep_one(case.id, newer) is None
        states = {p.id: p.state for p in db.session.scalars(select(Payment))}
    assert states == {older: S.expired, newer: S.open}


def test_twin_whose_other_page_was_paid_closes_itself(app, debtor, emulator):
    case = debtor.has_case()
    with app.app_context():
        case = db.session.merge(case)
        older, newer = _open(app, case, "a" * 22, 2000), _open(app, case, "b" * 22, 3000)
        older_session, case_id = db.session.get(Payment, older).checkout_session_id, case.id
    debtor.pay_on_stripe(older_session)
    with app.app_context():
        taken = sessions.keep_one(case_id, newer)
        assert taken is not None and taken.id == older
        states = {p.id: p.state for p in db.session.scalars(select(Payment))}
    assert states == {older: S.succeeded, newer: S.expired}
    assert _paid_minor(app) == [2000]
