"""Test data: cases with their creditor, debtor and export snapshot, built through the ORM."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

from portal.cases.models import Case, CaseExport, CaseStatus, Debtor, DebtorType
from portal.creditors.models import Creditor
from portal.extensions import db

_seq = itertools.count(1)


def creditor(external_id: str = "ACME-FR", name: str = "Acme SARL", **kw) -> Creditor:
    found = db.session.query(Creditor).filter_by(external_id=external_id).one_or_none()
    if found:
        return found
    obj = Creditor(external_id=external_id, name=name, **kw)
    db.session.add(obj)
    db.session.flush()
    return obj


def case(
    reference: str | None = None,
    *,
    creditor_id: str = "ACME-FR",
    debtor_id: str | None = None,
    name: str = "Marie Dupont",
    email: str | None = "marie@example.fr",
    phone: str | None = "+33612345678",
    birth_date: date | None = date(1980, 4, 12),
    postcode: str | None = "75011",
    country: str = "FR",
    language: str | None = "fr",
    debtor_type: DebtorType = DebtorType.person,
    currency: str = "EUR",
    principal: int = 10000,
    interest: int = 250,
    fees: int = 500,
    costs: int = 1200,
    status: CaseStatus = CaseStatus.open,
    events_applied_through: int = 0,
    exported_at: datetime | None = None,
    commit: bool = True,
    **creditor_kw,
) -> Case:
    """A case with everything it needs; commits by default so HTTP tests can see it."""
    n = next(_seq)
    reference = reference or f"AK-TEST-{n:06d}"
    exported_at = exported_at or datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    cred = creditor(creditor_id, **creditor_kw)
    key = f"id:{debtor_id}" if debtor_id else f"case:{reference}"
    debtor = db.session.query(Debtor).filter_by(key=key).one_or_none()
    if debtor is None:
        debtor = Debtor(
            key=key, external_id=debtor_id, type=debtor_type, name=name, email=email, phone=phone,
            birth_date=birth_date, postcode=postcode, country=country, language=language,
            exported_at=exported_at,
        )
        db.session.add(debtor)
        db.session.flush()
    obj = Case(reference=reference, lookup_key=reference.replace("-", ""), creditor_id=cred.id, debtor_id=debtor.id)
    db.session.add(obj)
    db.session.flush()
    export = CaseExport(
        case_id=obj.id, exported_at=exported_at, status=status, currency=currency,
        principal_minor=principal, interest_minor=interest, fees_minor=fees, costs_minor=costs,
        events_applied_through=events_applied_through, invoice_number=f"INV-{n:05d}",
        invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1), risk_score=30,
        record_hash=f"test-{n}",
    )
    db.session.add(export)
    db.session.flush()
    obj.current_export_id = export.id
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return obj
