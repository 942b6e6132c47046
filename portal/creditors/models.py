"""The creditor table."""

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class Creditor(db.Model):
    """A client of the agency whose cases debtors settle in the portal."""

    __tablename__ = "creditors"
    __table_args__ = (
        CheckConstraint("link_ttl_days BETWEEN 1 AND 366", name="link_ttl_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: `creditor_id` of the case export (1-64 chars), unique across the agency.
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: Name shown to the debtor; refreshed by every import that mentions it.
    name: Mapped[str] = mapped_column(String(200))
    #: How long a reminder link stays valid, in days.
    link_ttl_days: Mapped[int] = mapped_column(default=30, server_default="30")
    #: Whether a case with neither e-mail nor phone may sign in on the knowledge step alone
    #: (a low-assurance session that shows personal details masked).
    allow_knowledge_only: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
