"""Cases with received payments, built through the ORM, for the document tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from portal.cases.models import Case, CaseEntry, EntryKind
from portal.extensions import db
from portal.payments.models import Payment, PaymentKind, PaymentState
from tests.helpers import compiled_catalogues  # noqa: F401  (fixture)


def pay(case: Case, amount_minor: int, *, kind: PaymentKind = PaymentKind.full, discount_minor: int = 0) -> Payment:
    """A received payment and the entries it put on the case (as fulfilment would), committed."""
    sequence = case.last_sequence + 1
    payment = Payment(
        case_id=case.id, kind=kind, state=PaymentState.succeeded, amount_minor=amount_minor, currency="EUR",
        discount_minor=discount_minor, idempotency_key=f"test-{case.id}-{sequence}", method="card",
        succeeded_at=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
    )
    db.session.add(payment)
    db.session.add(CaseEntry(case_id=case.id, kind=EntryKind.payment, amount_minor=amount_minor, currency="EUR",
                             sequence=sequence))
    if discount_minor:
        sequence += 1
        db.session.add(CaseEntry(case_id=case.id, kind=EntryKind.discount, amount_minor=discount_minor,
                                 currency="EUR", sequence=sequence))
    case.last_sequence = sequence
    db.session.commit()
    return payment


@pytest.fixture
def codes(monkeypatch):
    """Every verification code issued during the test, in order (the PDF is the only other place it appears)."""
    from portal.documents import services

    issued: list[str] = []
    original = services.new_code

    def recording() -> str:
        code = original()
        issued.append(code)
        return code

    monkeypatch.setattr(services, "new_code", recording)
    return issued


def post_code(client, code: str):
    """Submit the public form as a browser would: GET it for the CSRF token, then POST."""
    page = client.get("/verify").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/verify", data={"code": code, "csrf_token": token})
