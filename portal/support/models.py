"""Support needs a debtor chose to share: a table of their own, read by agents only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
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
