"""Records and export files for intake tests, built here so every test shows its data."""

from __future__ import annotations

import csv
import io
import json

from portal.intake.records import FIELDS


def record(reference: str = "AK-2026-0000001", **changes) -> dict:
    """A valid record as an export file holds it (all strings); `changes` override fields."""
    values = {
        "case_reference": reference, "creditor_id": "ACME-FR", "creditor_name": "Acme SARL",
        "debtor_id": "D1", "debtor_type": "person", "debtor_name": "Marie Dupont",
        "debtor_email": "marie@example.fr", "debtor_phone": "+33612345678", "debtor_birth_date": "1980-04-12",
        "debtor_postcode": "75011", "debtor_country": "FR", "debtor_language": "fr", "currency": "EUR",
        "principal_minor": "10000", "interest_minor": "250", "fees_minor": "500", "costs_minor": "1200",
        "invoice_number": "INV-1", "invoice_date": "2026-06-01", "due_date": "2026-07-01", "risk_score": "30",
        "status": "open", "events_applied_through": "0", "exported_at": "2026-11-20T08:00:00Z",
    }
    values.update(changes)
    return values


def csv_bytes(records: list[dict], columns=FIELDS, *, bom: bool = False, newline: str = "\n") -> bytes:
    """The records as a CSV export with a header of `columns`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(columns)
    for values in records:
        writer.writerow([values.get(name, "") for name in columns])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def jsonl_bytes(records: list[dict]) -> bytes:
    """The records as JSON Lines, absent values left out."""
    return "".join(json.dumps({k: v for k, v in r.items() if v != ""}, ensure_ascii=False) + "\n" for r in records).encode()
