"""Which tables hold a debtor's data, found by walking the schema's foreign keys from `debtors`.

Every such table must appear in `NOT_EXPORTED` or be exported, and in `ERASE` or `KEPT`;
a test fails when a new table appears in neither, so no feature can add personal data
that export and erasure silently miss.
"""

from __future__ import annotations

from sqlalchemy import Table

from portal.extensions import db

#: Delete every row of the debtor in these tables on erasure.
DELETE = "delete"

#: How erasure treats each table: DELETE, or the columns to overwrite (and with what).
ERASE: dict[str, str | dict[str, object]] = {
    "debtors": {"name": "", "email": None, "phone": None, "birth_date": None, "postcode": None, "language": None},
    "uploads": DELETE,  # through portal.uploads.services.delete_upload: the files go too
    "dispute_evidence": DELETE,
    "messages": DELETE,  # the thread's words; attachments go with "uploads"
    "message_attachments": DELETE,
    "debtor_addresses": DELETE,  # the postal address the debtor corrected
    "contact_corrections": DELETE,  # the e-mail and phone the debtor corrected, and the export's
    "disputes": {"message": "", "explanation": None},
    "case_notes": DELETE,  # agents' free text about the person
    "one_time_codes": DELETE,
    "reminder_links": DELETE,
    "plans": {"reason": None, "budget": None, "support_needs": None, "decision_note": None},
    "case_pauses": DELETE,  # a pause asked in hardship says something about the person
    "support_needs": DELETE,  # shared with consent, for as long as the case is handled
}

#: Tables erasure keeps whole, and why: the ledger's facts (amounts, references, sequences).
KEPT: dict[str, str] = {
    "cases": "reference, creditor and sequences: ledger facts",
    "case_exports": "the creditor's figures for the case: ledger facts",
    "case_entries": "money received, refunded or written off: ledger facts",
    "ledger_events": "events already reported to the ledger, kept as the law requires",
    "ledger_streams": "delivery bookkeeping of the relay, no personal data",
    "payments": "amounts and provider references: accounting records",
    "payment_events": "a payment's history: accounting records",
    "stripe_events": "provider event ids: accounting records",
    "instalments": "amounts and due dates: accounting records",
    "plan_events": "a plan's history: accounting records",
    "plan_payments": "links between payments and instalments",
    "issued_documents": "what a document said, so its code can still be verified",
    "privacy_erasures": "the record that the erasure was done",
}

#: Tables left out of the export, and why.
NOT_EXPORTED: dict[str, str] = {
    "ledger_streams": "delivery bookkeeping of the relay, nothing about the person",
    "stripe_events": "provider event ids, nothing about the person",
}

#: Columns never written to an export: secrets, or hashes of them.
REDACTED_COLUMNS = frozenset({"code_hash", "attempt_hash", "token_hash", "storage_key", "idempotency_key",
                              "checkout_url", "setup_session_id"})


def debtor_tables() -> list[Table]:
    """Every table reachable from `debtors` through foreign keys, parents before children."""
    reached = {"debtors"}
    changed = True
    while changed:
        changed = False
        for table in db.metadata.sorted_tables:
            if table.name not in reached and any(fk.column.table.name in reached for fk in table.foreign_keys):
                reached.add(table.name)
                changed = True
    return [t for t in db.metadata.sorted_tables if t.name in reached]
