"""The record that a debtor's personal data was erased (what erasure keeps of them is the ledger's facts)."""

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class PrivacyErasure(db.Model):
    """One row per erased debtor. The primary key makes a second, concurrent erasure of the
    same debtor fail instead of running twice."""

    __tablename__ = "privacy_erasures"

    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
