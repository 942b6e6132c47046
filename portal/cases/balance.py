"""What a debtor owes now, derived from the export snapshot and the portal's entries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from portal.cases.models import Case, CaseEntry, CaseExport, EntryKind
from portal.extensions import db
from portal.money import Money


@dataclass(frozen=True)
class Breakdown:
    """The figures of the "what you owe" page and of `GET /api/v1/cases/<ref>`."""

    principal: Money
    interest: Money
    fees: Money
    costs: Money
    #: Portal payments the ledger had not yet applied when it exported the figures above.
    paid_since_export: Money
    #: Settlement discounts written off since the export.
    discounts_since_export: Money
    #: Refunds and lost chargebacks since the export (they raise the balance again).
    reversals_since_export: Money

    @property
    def exported_total(self) -> Money:
        return self.principal + self.interest + self.fees + self.costs

    @property
    def total_due(self) -> Money:
        """Exported total less what the portal has recorded since; never below zero."""
        due = (
            self.exported_total
            - self.paid_since_export
            - self.discounts_since_export
            + self.reversals_since_export
        )
        return due if due.minor > 0 else Money.zero(due.currency)


def breakdown(export: CaseExport, entries_after: list[CaseEntry]) -> Breakdown:
    """Combine a snapshot with the entries whose sequence is above its `events_applied_through`."""
    cur = export.currency
    sums = {kind: 0 for kind in EntryKind}
    for entry in entries_after:
        if entry.sequence <= export.events_applied_through:
            continue  # already in the exported components: counting it again would double it
        sums[entry.kind] += entry.amount_minor
    return Breakdown(
        principal=Money(export.principal_minor, cur),
        interest=Money(export.interest_minor, cur),
        fees=Money(export.fees_minor, cur),
        costs=Money(export.costs_minor, cur),
        paid_since_export=Money(sums[EntryKind.payment], cur),
        discounts_since_export=Money(sums[EntryKind.discount], cur),
        reversals_since_export=Money(sums[EntryKind.refund] + sums[EntryKind.chargeback], cur),
    )


def case_breakdown(case: Case, entries: list[CaseEntry] | None = None) -> Breakdown:
    """The breakdown of one case, from the entries the export does not include.

    `entries`: every entry of the case, in sequence order, when the caller has them already
    (the "what you owe" page shows them too); otherwise only the ones needed are read.
    """
    export = case.export
    if export is None:
        raise ValueError(f"case {case.reference} has no export")
    if entries is not None:
        return breakdown(export, [entry for entry in entries if entry.sequence > export.events_applied_through])
    entries = db.session.scalars(
        select(CaseEntry)
        .where(CaseEntry.case_id == case.id, CaseEntry.sequence > export.events_applied_through)
        .order_by(CaseEntry.sequence)
    ).all()
    return breakdown(export, list(entries))


def case_breakdowns(cases: list[Case]) -> dict[int, Breakdown]:
    """Breakdowns of many cases (each with its export loaded) in one query, keyed by case id.

    The cases list would otherwise run one entries query per case (N+1).
    """
    exports = {case.id: case.export for case in cases if case.export is not None}
    if len(exports) < len(cases):
        missing = next(case.reference for case in cases if case.export is None)
        raise ValueError(f"case {missing} has no export")
    if not exports:
        return {}
    entries: dict[int, list[CaseEntry]] = {case_id: [] for case_id in exports}
    export_ids = [export.id for export in exports.values()]
    rows = db.session.scalars(
        select(CaseEntry)
        .join(CaseExport, CaseExport.case_id == CaseEntry.case_id)
        .where(CaseExport.id.in_(export_ids), CaseEntry.sequence > CaseExport.events_applied_through)
        .order_by(CaseEntry.case_id, CaseEntry.sequence)
    )
    for entry in rows:
        entries[entry.case_id].append(entry)
    return {case_id: breakdown(export, entries[case_id]) for case_id, export in exports.items()}
