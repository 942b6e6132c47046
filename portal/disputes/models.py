"""Disputes: a debtor says a debt is not (or not entirely) theirs to pay; an agent decides."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Enum, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.cases.models import Case
from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db
from portal.money import Money
from portal.uploads.models import Upload


class DisputeReason(enum.StrEnum):
    """Why the debtor disputes; the value is the ledger's `reason_code`."""

    not_mine = "not_mine"
    already_paid = "already_paid"
    wrong_amount = "wrong_amount"
    goods = "goods"  # returned, or never received
    other = "other"


class DisputeState(enum.StrEnum):
    """open -> upheld | not_upheld; a decided dispute never changes again."""

    open = "open"
    upheld = "upheld"
    not_upheld = "not_upheld"


class UpheldOutcome(enum.StrEnum):
    """What the agent has the collection ledger do when a dispute is upheld."""

    close = "close"
    correct = "correct"


class IllegalTransition(ValueError):
    """A dispute was moved in a way its state machine forbids (e.g. decided twice)."""


#: The state machine: which states each state may move to.
TRANSITIONS: dict[DisputeState, frozenset[DisputeState]] = {
    DisputeState.open: frozenset({DisputeState.upheld, DisputeState.not_upheld}),
    DisputeState.upheld: frozenset(),
    DisputeState.not_upheld: frozenset(),
}


class Dispute(db.Model):
    """One dispute of one case. While open (or upheld and not yet in an export) collection pauses."""

    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint("corrected_total_minor IS NULL OR corrected_total_minor >= 0", name="corrected_not_negative"),
        Index("ix_disputes_state_created_at", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    reason: Mapped[DisputeReason] = mapped_column(Enum(DisputeReason, native_enum=False, length=20))
    #: The debtor's own words.
    message: Mapped[str] = mapped_column(Text)
    state: Mapped[DisputeState] = mapped_column(Enum(DisputeState, native_enum=False, length=20),
                                                default=DisputeState.open)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The agent who decided.
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    #: Upheld only: close the case, or correct the balance to `corrected_total_minor`.
    outcome: Mapped[UpheldOutcome | None] = mapped_column(Enum(UpheldOutcome, native_enum=False, length=10))
    #: Upheld with a correction: the right total, in the case's currency's minor units.
    corrected_total_minor: Mapped[int | None] = mapped_column(BigInteger)
    #: What the debtor reads (and receives by e-mail); required when not upheld.
    explanation: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship()
    evidence: Mapped[list[Upload]] = relationship(secondary="dispute_evidence", order_by=Upload.id)

    @property
    def corrected_total(self) -> Money | None:
        """The corrected total as Money in the case's currency (upheld with a correction only)."""
        if self.corrected_total_minor is None:
            return None
        return Money(self.corrected_total_minor, self.case.export.currency)

    def move(self, to: DisputeState) -> None:
        """Change state if the state machine allows it, else raise IllegalTransition."""
        if to not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"dispute {self.id}: {self.state} -> {to} is not allowed")
        self.state = to


class DisputeEvidence(db.Model):
    """Links a dispute to the files the debtor sent with it."""

    __tablename__ = "dispute_evidence"

    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True)
