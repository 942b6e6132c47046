"""Issuing documents with a verification code, and checking a code on the public page."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from portal.cases.balance import case_breakdown
from portal.cases.models import Case, CaseEntry, EntryKind
from portal.documents.models import DocumentKind, IssuedDocument
from portal.extensions import db
from portal.money import Money
from portal.payments.models import PAID_STATES, Payment, PaymentKind

#: 100 random bits, printed as 20 base32 characters in groups of four.
CODE_BYTES = 13
CODE_CHARS = 20
#: Characters people confuse with base32 ones when typing a printed code.
_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


@dataclass(frozen=True)
class Issued:
    """A document row and the code to print on it (the code is never stored)."""

    document: IssuedDocument
    code: str


def new_code() -> str:
    """A fresh unguessable code, e.g. "K7QM-2XJD-..." (>= 80 bits as the brief asks: 100)."""
    raw = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode()[:CODE_CHARS]
    return "-".join(raw[i:i + 4] for i in range(0, CODE_CHARS, 4))


def normalise_code(text: str | None) -> str | None:
    """The code as typed (any case, spaces or dashes, 0/1/8 for O/I/B) in canonical form, or None."""
    compact = re.sub(r"[\s\-]", "", (text or "").upper()).translate(_LOOKALIKES)
    if not re.fullmatch(r"[A-Z2-7]{%d}" % CODE_CHARS, compact):
        return None
    return "-".join(compact[i:i + 4] for i in range(0, CODE_CHARS, 4))


def code_hash(code: str) -> str:
    """What is stored for a canonical code."""
    return hashlib.sha256(code.encode()).hexdigest()


def mask_reference(reference: str) -> str:
    """Keep the first two and last three characters: "AK-2026-004211" -> "AK-****-***211"."""
    keep_end = len(reference) - 3
    return "".join(ch if i < 2 or i >= keep_end or ch == "-" else "*" for i, ch in enumerate(reference))


def issue(case: Case, kind: DocumentKind, amount: Money, payment: Payment | None = None) -> Issued:
    """Record a document about to be handed out; flushes only."""
    code = new_code()
    document = IssuedDocument(
        code_hash=code_hash(code), kind=kind, case_id=case.id, payment_id=payment.id if payment else None,
        creditor_name=case.creditor.name, reference_masked=mask_reference(case.reference),
        amount_minor=amount.minor, currency=amount.currency,
    )
    db.session.add(document)
    db.session.flush()
    return Issued(document, code)


def verify(text: str | None) -> IssuedDocument | None:
    """The document a typed code belongs to, or None for a malformed or unknown (forged) code."""
    code = normalise_code(text)
    if code is None:
        return None
    return db.session.scalar(select(IssuedDocument).where(IssuedDocument.code_hash == code_hash(code)))


def paid_payments(case: Case) -> list[Payment]:
    """The case's payments that were received (each has a receipt), oldest first."""
    return list(db.session.scalars(
        select(Payment).where(Payment.case_id == case.id, Payment.state.in_(PAID_STATES))
        .order_by(Payment.succeeded_at, Payment.id)
    ))


def find_payment(case: Case, payment_reference: str) -> Payment | None:
    """One received payment of this case by its printed reference."""
    for payment in paid_payments(case):
        if payment.reference == payment_reference:
            return payment
    return None


def closing_letter(case: Case) -> tuple[DocumentKind, Money] | None:
    """Which letter a case earned and the amount it states, or None while something is still due.

    Settled: a settlement-offer payment was received and wrote the rest off. Paid in full:
    nothing due and money was received through the portal. The amount is what was paid, net of refunds.
    """
    if case.export is None or case_breakdown(case).total_due:
        return None
    payments = paid_payments(case)
    if not payments:
        return None
    entries = db.session.scalars(select(CaseEntry).where(CaseEntry.case_id == case.id)).all()
    paid = sum(e.amount_minor for e in entries if e.kind == EntryKind.payment)
    paid -= sum(e.amount_minor for e in entries if e.kind in (EntryKind.refund, EntryKind.chargeback))
    settled = any(p.kind == PaymentKind.settlement and p.discount_minor for p in payments)
    kind = DocumentKind.settlement if settled else DocumentKind.paid_in_full
    return kind, Money(max(paid, 0), case.export.currency)
