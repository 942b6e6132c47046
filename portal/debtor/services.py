"""What the signed-in debtor may see: their cases, one case's figures and its history."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from portal.auth.identity import DebtorIdentity
from portal.cases.balance import Breakdown, case_breakdown, case_breakdowns
from portal.cases.models import Case, CaseEntry, CaseExport, Debtor, EntryKind
from portal.extensions import db
from portal.money import Money


@dataclass(frozen=True)
class CaseSummary:
    """One line of the "your cases" list."""

    case: Case
    total_due: Money


class EventKind(enum.StrEnum):
    """What a line of a case's history is about (the template words each one)."""

    invoice = "invoice"
    due = "due"
    statement = "statement"
    payment = EntryKind.payment.value
    discount = EntryKind.discount.value
    refund = EntryKind.refund.value
    chargeback = EntryKind.chargeback.value


@dataclass(frozen=True)
class HistoryEvent:
    """One thing that happened on a case, for the history list (newest first)."""

    kind: EventKind
    #: A date for invoice and due dates; an aware datetime for statements and entries.
    when: date | datetime
    amount: Money | None = None
    description: str | None = None

    @property
    def sort_key(self) -> datetime:
        """Dates count as the start of their day (UTC), so they sort among datetimes."""
        if isinstance(self.when, datetime):
            return self.when
        return datetime.combine(self.when, time.min, tzinfo=UTC)


def debtor_cases(identity: DebtorIdentity) -> list[CaseSummary]:
    """Every case the debtor may see (closed ones excluded), with its total due now."""
    cases = db.session.scalars(
        identity.cases().options(selectinload(Case.creditor), selectinload(Case.export))
    ).all()
    figures = case_breakdowns(list(cases))  # one query for every case's entries, not one per case
    return [CaseSummary(case, figures[case.id].total_due) for case in cases]


def find_case(identity: DebtorIdentity, reference: str) -> Case | None:
    """The debtor's own, not closed, case with this reference; None for anything else."""
    return db.session.scalar(
        identity.cases()
        .where(Case.reference == reference.strip().upper())
        # The page shows both: one query instead of three.
        .options(joinedload(Case.export), joinedload(Case.creditor))
    )


def debtor_details(identity: DebtorIdentity) -> Debtor | None:
    """The signed-in debtor's row."""
    return db.session.get(Debtor, identity.debtor_id)


def entries(case: Case) -> list[CaseEntry]:
    """Every portal entry of the case, in ledger order (the figures and the history share them)."""
    return list(db.session.scalars(
        select(CaseEntry).where(CaseEntry.case_id == case.id).order_by(CaseEntry.sequence)
    ))


def figures(case: Case, case_entries: list[CaseEntry] | None = None) -> Breakdown:
    """The breakdown of what is owed now (see `portal.cases.balance`), from `case_entries` when given."""
    return case_breakdown(case, case_entries)


def history(case: Case, case_entries: list[CaseEntry] | None = None) -> list[HistoryEvent]:
    """Invoice and due dates, the agency's statements and the portal's entries, newest first."""
    events: list[HistoryEvent] = []
    if case.export is not None:
        if case.export.invoice_date is not None:
            events.append(HistoryEvent(EventKind.invoice, case.export.invoice_date))
        if case.export.due_date is not None:
            events.append(HistoryEvent(EventKind.due, case.export.due_date))
    for export in db.session.scalars(select(CaseExport).where(CaseExport.case_id == case.id)):
        total = export.principal_minor + export.interest_minor + export.fees_minor + export.costs_minor
        events.append(HistoryEvent(EventKind.statement, export.exported_at, Money(total, export.currency)))
    for entry in entries(case) if case_entries is None else case_entries:
        events.append(
            HistoryEvent(
                EventKind(entry.kind.value), entry.occurred_at, Money(entry.amount_minor, entry.currency),
                entry.description,
            )
        )
    # Stable sort: on the same instant the invoice stays below its due date.
    order = {kind: n for n, kind in enumerate(EventKind)}
    return sorted(events, key=lambda e: (e.sort_key, order[e.kind]), reverse=True)


def mask_name(name: str) -> str:
    """Keep the first letter of each word: "Marie Dupont" -> "M**** D*****"."""
    return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split())


def mask_email(email: str) -> str:
    """Keep the first letter of the mailbox and the top-level domain: "m***@e******.fr"."""
    local, _, domain = email.partition("@")
    host, dot, tld = domain.rpartition(".")
    if not dot:
        host, tld = domain, ""
    masked_host = host[:1] + "*" * max(len(host) - 1, 0)
    return f"{local[:1]}{'*' * max(len(local) - 1, 2)}@{masked_host}{dot}{tld}"


def mask_phone(phone: str) -> str:
    """Keep the last two digits only: "+33612345678" -> "**********78"."""
    return "*" * max(len(phone) - 2, 2) + phone[-2:]
