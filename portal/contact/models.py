"""What the debtor corrected in the portal: their postal address (the case export carries none),
and their e-mail and phone while the collection system has not caught up (see portal.contact.corrections)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
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


class ContactCorrection(db.Model):
    """The debtor's proven e-mail and phone, in force over older export records: one row per debtor.

    `debtors.email` / `debtors.phone` always hold the value in force (the correction while
    it is, else the export's); this row is what the import needs to keep it so. A field is
    corrected while its `*_at` is set; the row goes once neither is.
    """

    __tablename__ = "contact_corrections"
    __table_args__ = (
        CheckConstraint("email_at IS NOT NULL OR phone_at IS NOT NULL", name="something_corrected"),
    )

    #: The debtor it belongs to.
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="CASCADE"), primary_key=True)
    #: The e-mail address the debtor proved with a code.
    email: Mapped[str | None] = mapped_column(String(320))
    #: When the debtor proved it: the `occurred_at` of its `debtor.contact_changed` events. NULL: not corrected.
    email_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The e-mail of the latest export record, put back in force when the correction is superseded.
    export_email: Mapped[str | None] = mapped_column(String(320))
    #: The mobile number (E.164) the debtor proved with a code.
    phone: Mapped[str | None] = mapped_column(String(16))
    #: When the debtor proved it, as `email_at`. NULL: not corrected.
    phone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The phone of the latest export record, as `export_email`.
    export_phone: Mapped[str | None] = mapped_column(String(16))
