"""Single-case push and read-back, shared by the API views: validation, import, representation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from portal.cases.balance import case_breakdown
from portal.cases.models import Case
from portal.extensions import db
from portal.intake.batch import apply_batch
from portal.intake.fastpath import as_row
from portal.intake.records import normalise_reference, validate


@dataclass
class PushOutcome:
    """What became of a pushed record: created, updated, unchanged, stale, conflict or invalid."""

    result: str
    case: Case | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    held_exported_at: datetime | None = None


def push(path_reference: str, body: dict[str, Any]) -> PushOutcome:
    """Validate one record and import it through the file importer's batch code; never commits.

    Raises IntegrityError when a concurrent push created the same case first: the
    caller rolls back and pushes again, and the record is then judged against it."""
    reference = normalise_reference(path_reference)
    if reference is None:
        return PushOutcome("invalid", errors=[("case_reference", "must be 6-32 characters of A-Z, 0-9 and '-'")])
    given = body.get("case_reference")
    if given not in (None, "") and normalise_reference(str(given)) != reference:
        return PushOutcome("invalid", errors=[("case_reference", f"does not match the reference in the path ({reference})")])
    checked = validate({**body, "case_reference": reference})
    if checked.record is None:
        return PushOutcome("invalid", errors=checked.errors)
    result = apply_batch(db.session, [(1, *as_row(checked.record))])
    counts = result.counts
    if counts.rejected:
        return PushOutcome("conflict", find_case(reference), [(r.field, r.reason) for r in result.rejections])
    if counts.stale:
        return PushOutcome("stale", find_case(reference), held_exported_at=result.held[reference])
    outcome = "created" if counts.created else "updated" if counts.updated else "unchanged"
    return PushOutcome(outcome, find_case(reference))


def find_case(path_reference: str) -> Case | None:
    """The case with this reference (normalised the way intake stores it), or None."""
    reference = normalise_reference(path_reference)
    if reference is None:
        return None
    return db.session.scalar(select(Case).where(Case.reference == reference))


def rfc3339(moment: datetime) -> str:
    """UTC timestamp as RFC 3339 with a Z."""
    return moment.isoformat().replace("+00:00", "Z")


def describe(case: Case) -> dict[str, Any]:
    """The case as the portal holds it: what the API's GET returns."""
    export = case.export
    figures = case_breakdown(case)
    return {
        "case_reference": case.reference,
        "creditor": {"id": case.creditor.external_id, "name": case.creditor.name},
        "debtor_id": case.debtor.external_id,
        "status": export.status.value,
        "currency": export.currency,
        "principal_minor": figures.principal.minor,
        "interest_minor": figures.interest.minor,
        "fees_minor": figures.fees.minor,
        "costs_minor": figures.costs.minor,
        "paid_since_export_minor": figures.paid_since_export.minor,
        "discounts_since_export_minor": figures.discounts_since_export.minor,
        "reversals_since_export_minor": figures.reversals_since_export.minor,
        "total_outstanding_minor": figures.total_due.minor,
        "events_applied_through": export.events_applied_through,
        "last_sequence": case.last_sequence,
        "exported_at": rfc3339(export.exported_at),
        "updated_at": rfc3339(case.updated_at),
    }
