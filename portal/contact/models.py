"""The postal address a debtor corrected in the portal (the case export carries none)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class DebtorAddress(db.Model):
    """The debtor's own corrected postal address: one row per debtor, replaced on each correction."""

    __tablename__ = "debtor_addresses"

    #: The debtor it belongs to.
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="CASCADE"), primary_key=True)
    #: Street and number.
    line1: Mapped[str] = mapped_column(String(200))
    #: Flat, building, care of (optional).
    line2: Mapped[str | None] = mapped_column(String(200))
    #: Postal code as written locally.
    postcode: Mapped[str] = mapped_column(String(20))
    #: Town or city.
    city: Mapped[str] = mapped_column(String(100))
    #: ISO 3166-1 alpha-2.
    country: Mapped[str] = mapped_column(String(2))
    #: When the debtor last corrected it.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
