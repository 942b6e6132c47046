"""Opening and deciding disputes, and the rule that pauses collection on a disputed case.

Services flush only; the view (or command) commits once. E-mails are queued on the
session and leave after that commit.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select
from werkzeug.datastructures import FileStorage

from portal.agent.models import Staff
from portal.cases.models import Case
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import best_match
from portal.ledger.outbox import record_event
from portal.notifications import queue_email
from portal.disputes.models import (
    Dispute, DisputeEvidence, DisputeReason, DisputeState, UpheldOutcome,
)
from portal.uploads import save_uploads

#: The ledger accepts a `message` of at most this many characters.
MESSAGE_MAX = 2000


class DisputeError(ValueError):
    """A dispute cannot be opened or decided as asked; `message` is translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def pausing(case_id_column):
    """SQL: a dispute pauses collection and reminders on the case in `case_id_column`.

    Open disputes pause; so does an upheld one until an export newer than the decision
    shows the ledger's correction (closed case or corrected balance)."""
    awaiting_export = and_(
        Dispute.state == DisputeState.upheld,
        ~exists().where(Case.id == Dispute.case_id, Case.exported_at_seen > Dispute.resolved_at),
    )
    return exists().where(Dispute.case_id == case_id_column,
                          or_(Dispute.state == DisputeState.open, awaiting_export))


def is_paused(case: Case) -> bool:
    """Whether automatic collection and reminders are paused on `case` by a dispute."""
    return bool(db.session.scalar(select(pausing(case.id))))


def current_dispute(case: Case) -> Dispute | None:
    """The case's open dispute, else its latest decided one."""
    return db.session.scalar(
        select(Dispute).where(Dispute.case_id == case.id)
        .order_by((Dispute.state == DisputeState.open).desc(), Dispute.created_at.desc(), Dispute.id.desc())
        .limit(1)
    )


def open_dispute(case: Case, reason: DisputeReason, message: str, files: list[FileStorage]) -> Dispute:
    """Record the debtor's dispute with its evidence and post `case.disputed`; flushes only.

    Raises DisputeError when one is already open, UploadError for a refused file."""
    message = message.strip()
    if not message or len(message) > MESSAGE_MAX:
        raise DisputeError(_("Please tell us in at most %(max)d characters why you dispute this debt.",
                             max=MESSAGE_MAX))
    # The case row is locked by the sequence update below; re-check after taking it.
    event = record_event(case, "case.disputed", {"reason_code": reason.value, "message": message})
    if db.session.scalar(select(exists().where(Dispute.case_id == case.id, Dispute.state == DisputeState.open))):
        raise DisputeError(_("This debt is already disputed. An agent is looking into it."))
    dispute = Dispute(case_id=case.id, reason=reason, message=message, state=DisputeState.open,
                      created_at=event.occurred_at)
    db.session.add(dispute)
    db.session.flush()
    for upload in save_uploads(files, case.debtor_id):
        db.session.add(DisputeEvidence(dispute_id=dispute.id, upload_id=upload.id))
    db.session.flush()
    return dispute


def resolve(dispute: Dispute, staff: Staff, upheld: bool, explanation: str | None,
            outcome: UpheldOutcome | None = None, corrected_total_minor: int | None = None) -> Dispute:
    """Decide a dispute and queue the e-mail telling the debtor; flushes only.

    Not upheld needs an explanation; upheld needs an outcome (and the right total to correct to)."""
    explanation = (explanation or "").strip() or None
    if upheld:
        if outcome is None:
            raise DisputeError(_("Choose whether the case is closed or its balance corrected."))
        if outcome == UpheldOutcome.correct and (corrected_total_minor is None or corrected_total_minor < 0):
            raise DisputeError(_("Enter the corrected total."))
    elif explanation is None:
        raise DisputeError(_("Explain to the debtor why the dispute is not upheld."))
    dispute.move(DisputeState.upheld if upheld else DisputeState.not_upheld)
    dispute.resolved_at = utcnow()
    dispute.resolved_by = staff.id
    dispute.explanation = explanation
    dispute.outcome = outcome if upheld else None
    dispute.corrected_total_minor = corrected_total_minor if upheld and outcome == UpheldOutcome.correct else None
    db.session.flush()
    _tell_debtor(dispute)
    return dispute


def _tell_debtor(dispute: Dispute) -> None:
    """Queue the decision e-mail in the debtor's language (nothing without an address)."""
    case = dispute.case
    debtor = case.debtor
    if not debtor.email:
        return
    url = f"{current_app.config['PORTAL_BASE_URL']}/cases/{case.reference}/dispute"
    locale = best_match(debtor.language) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject = _("Your dispute about case %(reference)s", reference=case.reference)
        text = render_template("mail/dispute_decided.html", dispute=dispute, case=case, url=url)
    queue_email(debtor.email, subject, text)


def queue() -> list[Dispute]:
    """Open disputes, oldest first: the agents' work list."""
    return list(db.session.scalars(
        select(Dispute).where(Dispute.state == DisputeState.open).order_by(Dispute.created_at, Dispute.id)
    ))


def open_count() -> int:
    """How many disputes wait for a decision."""
    return db.session.scalar(select(func.count()).where(Dispute.state == DisputeState.open))
