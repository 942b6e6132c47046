"""Back-office case work: search, what a case view shows, notes, and reopening debtor sign-in.

Each action writes its audit entry in the same transaction; the view commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal.agent.audit import audit, entries_about
from portal.agent.models import AuditEntry, CaseNote, Staff
from portal.auth import services as signin
from portal.auth.models import VerificationThrottle
from portal.cases.balance import Breakdown, case_breakdown
from portal.cases.models import Case, CaseEntry, CaseExport, CaseStatus, Debtor
from portal.extensions import db
from portal.ledger import services as ledger
from portal.ledger.models import EventState, LedgerEvent
from portal.money import Money

#: Most results a search returns; staff narrow the query rather than scroll.
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class SignInLock:
    """The debtor sign-in counter of a case: failures so far and whether it is closed."""

    failures: int
    locked: bool


@dataclass(frozen=True)
class CaseFile:
    """Everything the case view shows."""

    case: Case
    figures: Breakdown | None
    #: Every export snapshot with its total, newest first.
    exports: list[tuple[CaseExport, Money]]
    #: The portal's entries with their amount, newest first.
    entries: list[tuple[CaseEntry, Money]]
    lock: SignInLock
    notes: list[CaseNote]
    contact_log: list[AuditEntry]


def search(staff: Staff, query: str) -> list[Case]:
    """Cases whose reference matches (any spelling), or whose debtor's name or e-mail starts
    with `query` (any word of the name); at most SEARCH_LIMIT, audited."""
    text = query.strip()
    reference = signin.normalise_reference(text)
    prefix = _like_escape(text.lower())
    cases = db.session.scalars(
        select(Case)
        .join(Debtor, Debtor.id == Case.debtor_id)
        .where(
            or_(
                Case.reference == reference,
                Case.lookup_key == signin.throttle_key(reference),
                func.lower(Debtor.name).like(f"{prefix}%", escape="\\"),
                func.lower(Debtor.name).like(f"% {prefix}%", escape="\\"),
                func.lower(Debtor.email).like(f"{prefix}%", escape="\\"),
            )
        )
        .options(selectinload(Case.debtor), selectinload(Case.creditor), selectinload(Case.export))
        .order_by(Case.reference)
        .limit(SEARCH_LIMIT)
    ).all()
    audit(staff, "case.search", None, query=text[:100], results=len(cases))
    return list(cases)


def find_case(reference: str) -> Case | None:
    """The case with this reference, typed in any spelling (spaces, case, dashes)."""
    normalised = signin.normalise_reference(reference)
    rows = db.session.scalars(
        select(Case).where(or_(Case.reference == normalised, Case.lookup_key == signin.throttle_key(normalised)))
    ).all()
    exact = [c for c in rows if c.reference == normalised]
    return exact[0] if exact else (rows[0] if len(rows) == 1 else None)


def reference_match(cases: list[Case], query: str) -> Case | None:
    """The case among `cases` whose reference is `query` in some spelling, if any."""
    key = signin.throttle_key(signin.normalise_reference(query))
    return next((case for case in cases if case.lookup_key == key), None)


def sign_in_lock(case: Case) -> SignInLock:
    """The debtor sign-in counter for this case's reference."""
    row = db.session.get(VerificationThrottle, signin.throttle_key(case.reference))
    return SignInLock(row.failures, row.locked_at is not None) if row else SignInLock(0, False)


def case_file(staff: Staff, case: Case) -> CaseFile:
    """What the case view shows; the viewing itself is audited (who saw whose data)."""
    audit(staff, "case.view", case.reference, debtor_id=case.debtor_id)
    exports = db.session.scalars(
        select(CaseExport).where(CaseExport.case_id == case.id).order_by(CaseExport.exported_at.desc())
    ).all()
    entries = db.session.scalars(
        select(CaseEntry).where(CaseEntry.case_id == case.id).order_by(CaseEntry.sequence.desc())
    ).all()
    notes = db.session.scalars(
        select(CaseNote).where(CaseNote.case_id == case.id).options(selectinload(CaseNote.staff))
        .order_by(CaseNote.created_at.desc(), CaseNote.id.desc())
    ).all()
    return CaseFile(
        case=case,
        figures=case_breakdown(case) if case.export is not None else None,
        exports=[(e, Money(e.principal_minor + e.interest_minor + e.fees_minor + e.costs_minor, e.currency))
                 for e in exports],
        entries=[(e, Money(e.amount_minor, e.currency)) for e in entries],
        lock=sign_in_lock(case),
        notes=list(notes),
        contact_log=entries_about(case.reference),
    )


def add_note(staff: Staff, case: Case, body: str) -> CaseNote:
    """Append an internal note to the case, audited with its text. Flushes only."""
    note = CaseNote(case_id=case.id, staff_id=staff.id, body=body)
    db.session.add(note)
    db.session.flush()
    audit(staff, "case.note_added", case.reference, note_id=note.id, after={"note": body})
    return note


def unlock_sign_in(staff: Staff, case: Case) -> bool:
    """Reopen debtor sign-in on the case (supervisors); False if it was not locked. Flushes only."""
    before = sign_in_lock(case)
    if not signin.unlock(case.reference):
        return False
    audit(
        staff, "case.signin_unlocked", case.reference,
        before={"locked": True, "failures": before.failures}, after={"locked": False, "failures": 0},
    )
    return True


def counts() -> dict[str, int]:
    """Figures for the home page: cases by status and debtor sign-ins that are locked."""
    by_status = dict(
        db.session.execute(
            select(CaseExport.status, func.count())
            .join(Case, Case.current_export_id == CaseExport.id)
            .group_by(CaseExport.status)
        ).all()
    )
    locked = db.session.scalar(
        select(func.count()).select_from(VerificationThrottle).where(VerificationThrottle.locked_at.is_not(None))
    )
    return {
        "open": by_status.get(CaseStatus.open, 0),
        "on_hold": by_status.get(CaseStatus.on_hold, 0),
        "closed": by_status.get(CaseStatus.closed, 0),
        "locked_sign_ins": locked or 0,
    }


def _like_escape(text: str) -> str:
    """The text with LIKE wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def requeue_dead_letters(staff: Staff, ids: list[str] | None) -> int:
    """Put the given dead letters (all when None) back in the ledger queue, audited per event.

    Unknown ids raise ValueError and nothing changes. Flushes only."""
    if ids is None:
        ids = list(db.session.scalars(select(LedgerEvent.id).where(LedgerEvent.state == EventState.dead)))
    if not ids:
        return 0
    count = ledger.requeue(ids)
    for event_id in ids:
        audit(staff, "ledger.requeued", event_id, before={"state": "dead"}, after={"state": "pending"})
    return count
