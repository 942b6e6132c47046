"""The debtor corrects their e-mail, phone or postal address.

A new e-mail or phone takes effect only once a one-time code sent to it comes back
(portal.auth.codes); the address takes effect at once. Each change posts
`debtor.contact_changed` (changed fields only) on every case of the debtor that is not
closed, and is audited, in the caller's transaction. Flushes only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal.agent.audit import audit
from portal.cases.models import Case, CaseExport, CaseStatus, Debtor
from portal.clock import utcnow
from portal.contact.models import DebtorAddress
from portal.extensions import db
from portal.ledger.outbox import record_event

#: The parts of a postal address, as stored and as sent to the ledger.
ADDRESS_PARTS = ("line1", "line2", "postcode", "city", "country")


def address_of(debtor_id: int) -> DebtorAddress | None:
    """The address the debtor corrected in the portal, if any."""
    return db.session.get(DebtorAddress, debtor_id)


def live_cases(debtor_id: int) -> list[Case]:
    """The debtor's cases the ledger still works on (every one not closed), by reference."""
    return list(db.session.scalars(
        select(Case).join(CaseExport, CaseExport.id == Case.current_export_id)
        .where(Case.debtor_id == debtor_id, CaseExport.status != CaseStatus.closed).order_by(Case.reference)
    ))


def _address_dict(address: DebtorAddress | None) -> dict[str, str | None] | None:
    """An address as the event carries it."""
    if address is None:
        return None
    return {part: getattr(address, part) for part in ADDRESS_PARTS}


def change(debtor: Debtor, email: str | None = None, phone: str | None = None,
           address: dict[str, str | None] | None = None) -> list[str]:
    """Apply the given corrections; post and audit what really changed. Returns the changed fields."""
    data: dict[str, Any] = {}
    if email is not None and email != debtor.email:
        debtor.email = data["email"] = email
    if phone is not None and phone != debtor.phone:
        debtor.phone = data["phone"] = phone
    if address is not None:
        current = address_of(debtor.id)
        wanted = {part: address.get(part) or None for part in ADDRESS_PARTS}
        if _address_dict(current) != wanted:
            if current is None:
                current = DebtorAddress(debtor_id=debtor.id)
                db.session.add(current)
            for part, value in wanted.items():
                setattr(current, part, value)
            current.updated_at = utcnow()
            data["address"] = wanted
    if not data:
        return []
    db.session.flush()
    for case in live_cases(debtor.id):
        record_event(case, "debtor.contact_changed", data)
    # Field names only: the audit log outlives erasure, so it must not hold the values.
    audit(None, "debtor.contact_changed", f"debtor:{debtor.id}", fields=sorted(data))
    return sorted(data)
