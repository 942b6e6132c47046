"""Support needs a debtor chose to share (a table of their own, read by agents only); pauses they asked for."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class SupportNeed(db.Model):
    """What a debtor told us about their circumstances, kept only with their explicit consent."""

    __tablename__ = "support_needs"

    #: One row per debtor; deleting it is the debtor's "forget this".
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="CASCADE"), primary_key=True)
    #: The debtor's own words (illness, disability, bereavement, reading difficulty, ...).
    details: Mapped[str] = mapped_column(Text)
    #: When the debtor ticked the consent box for the current text.
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CasePause(db.Model):
    """A pause in collection and reminders a debtor asked for, within the creditor's allowance; ends by itself."""

    __tablename__ = "case_pauses"
    __table_args__ = (
        CheckConstraint("days > 0", name="days_positive"),
        CheckConstraint("ends_on > starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: First day without collection or reminders.
    starts_on: Mapped[date] = mapped_column(Date)
    #: First day collection and reminders run again (starts_on + days).
    ends_on: Mapped[date] = mapped_column(Date)
    #: Length asked for, in days (counted against the policy's pause_max_days).
    days: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
