"""The creditor table."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class Creditor(db.Model):
    """A client of the agency whose cases debtors settle in the portal."""

    __tablename__ = "creditors"
    __table_args__ = (
        CheckConstraint("link_ttl_days BETWEEN 1 AND 366", name="link_ttl_days_range"),
        CheckConstraint("part_payment_min_minor >= 0", name="part_payment_min_not_negative"),
        CheckConstraint("settlement_days IS NULL OR settlement_days BETWEEN 1 AND 366", name="settlement_days_range"),
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
    #: Whether debtors may pay part of what they owe online.
    allow_part_payment: Mapped[bool] = mapped_column(default=True, server_default="1")
    #: Smallest part payment, in minor units of the case's currency (Stripe's own minimum applies too).
    part_payment_min_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: Settlement offer: open this many days after the agency's statement; NULL = no offer.
    settlement_days: Mapped[int | None]
    #: Settlement offer: the interest is written off when the rest is paid in time.
    settlement_waive_interest: Mapped[bool] = mapped_column(default=False, server_default="0")
    #: Settlement offer: the collection costs are written off when the rest is paid in time.
    settlement_waive_costs: Mapped[bool] = mapped_column(default=False, server_default="0")
    #: Days after a debtor's last case with this creditor ended before `flask privacy erase`
    #: removes their personal data (six years by default).
    retention_days: Mapped[int] = mapped_column(default=2190, server_default="2190")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
