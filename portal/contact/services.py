"""The debtor corrects their e-mail, phone or postal address.

A new e-mail or phone takes effect only once a one-time code sent to it comes back
(portal.auth.codes), and then holds against older exports (portal.contact.corrections);
the address takes effect at once. Each change posts
`debtor.contact_changed` (changed fields only) on every case of the debtor that is not
closed, and is audited, in the caller's transaction. Flushes only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select

from portal.agent.audit import audit
from portal.cases.models import Case, CaseExport, CaseStatus, Debtor
from portal.clock import utcnow
from portal.contact import corrections
from portal.contact.models import ContactCorrection, DebtorAddress
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
    now = utcnow()
    proven = {field: value for field, value in (("email", email), ("phone", phone))
              if value is not None and value != getattr(debtor, field)}
    if proven:
        correction = db.session.get(ContactCorrection, debtor.id) or ContactCorrection(debtor_id=debtor.id)
        for field, value in proven.items():
            corrections.correct(correction, debtor, field, value, now)
            data[field] = value
        if correction.email_at is not None or correction.phone_at is not None:
            db.session.add(correction)
        elif inspect(correction).persistent:
            db.session.delete(correction)  # back to the export's values: nothing to hold against it
    if address is not None:
        current = address_of(debtor.id)
        wanted = {part: address.get(part) or None for part in ADDRESS_PARTS}
        if _address_dict(current) != wanted:
            if current is None:
                current = DebtorAddress(debtor_id=debtor.id)
                db.session.add(current)
            for part, value in wanted.items():
                setattr(current, part, value)
            current.updated_at = now
            data["address"] = wanted
    if not data:
        return []
    db.session.flush()
    for case in live_cases(debtor.id):
        # One moment on every event: it is how portal.contact.corrections finds them again.
        record_event(case, corrections.EVENT_TYPE, data, occurred_at=now)
    # Field names only: the audit log outlives erasure, so it must not hold the values.
    audit(None, "debtor.contact_changed", f"debtor:{debtor.id}", fields=sorted(data))
    return sorted(data)
