"""One row per document handed out, holding only what /verify may confirm about it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db
from portal.money import Money


class DocumentKind(enum.StrEnum):
    """What a document is; /verify names it and nothing more."""

    statement = "statement"  # the case's breakdown and history on the day
    receipt = "receipt"  # one received payment
    paid_in_full = "paid_in_full"  # nothing more is due, paid in full
    settlement = "settlement"  # nothing more is due, settled under the creditor's offer


class IssuedDocument(db.Model):
    """A PDF the portal produced. The facts are copied at issue time, so a later change or a
    privacy erasure never alters what an earlier document said (and /verify still confirms it)."""

    __tablename__ = "issued_documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: hex SHA-256 of the verification code; the code itself is only printed on the document.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[DocumentKind] = mapped_column(Enum(DocumentKind, native_enum=False, length=16))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: The payment a receipt is for; NULL for other kinds.
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    #: Creditor's name when issued (shown by /verify).
    creditor_name: Mapped[str] = mapped_column(String(200))
    #: The case reference with its middle hidden, as /verify shows it.
    reference_masked: Mapped[str] = mapped_column(String(32))
    #: The document's key amount (due, paid or settled), in minor units of `currency`;
    #: negative only on a statement of a case paid beyond what was due.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    #: ISO 4217.
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def amount(self) -> Money:
        """The key amount as Money."""
        return Money(self.amount_minor, self.currency)
