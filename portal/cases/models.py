"""Debtors, cases, the immutable export snapshots and the portal's own entries.

A case's balance is never stored. It is derived from two kinds of immutable rows:

* `CaseExport`: one row per accepted export record, holding the components the
  collection ledger computed (principal, interest, fees, costs) and
  `events_applied_through`, the highest portal ledger sequence already in them;
* `CaseEntry`: the portal's own facts (payments, refunds, discounts, chargebacks),
  each stamped with the ledger `sequence` of the event that reports it.

Balance = current export's components - effect of entries whose sequence is higher
than the export's `events_applied_through` (see `portal.cases.balance`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.creditors.models import Creditor
from portal.db_types import UTCDateTime
from portal.extensions import db


class DebtorType(enum.StrEnum):
    person = "person"
    business = "business"


class CaseStatus(enum.StrEnum):
    """As exported: only `open` can be paid or planned, `on_hold` shows without actions,
    `closed` cannot sign in."""

    open = "open"
    on_hold = "on_hold"
    closed = "closed"


class EntryKind(enum.StrEnum):
    """The portal's own facts about money on a case. `sign` is their effect on the balance."""

    payment = "payment"  # money received: lowers the balance
    discount = "discount"  # settlement discount written off: lowers it
    refund = "refund"  # money given back: raises it again
    chargeback = "chargeback"  # a dispute lost at the bank: raises it again

    @property
    def sign(self) -> int:
        return -1 if self in (EntryKind.payment, EntryKind.discount) else 1


class Debtor(db.Model):
    """A person or company. Cases sharing the export's `debtor_id` share one debtor row."""

    __tablename__ = "debtors"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "id:<debtor_id>" when the export gives a debtor_id, else "case:<reference>", so
    #: a debtor without an id is never merged with anyone else's cases.
    key: Mapped[str] = mapped_column(String(80), unique=True)
    #: `debtor_id` of the export, when it has one.
    external_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[DebtorType] = mapped_column(Enum(DebtorType, native_enum=False, length=16))
    #: Any script, as exported.
    name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320))
    #: E.164, e.g. +33612345678.
    phone: Mapped[str | None] = mapped_column(String(16))
    #: Persons only; the knowledge factor of the first sign-in step where present.
    birth_date: Mapped[date | None] = mapped_column(Date)
    #: The knowledge factor where there is no birth date.
    postcode: Mapped[str | None] = mapped_column(String(20))
    #: ISO 3166-1 alpha-2.
    country: Mapped[str] = mapped_column(String(2))
    #: BCP 47 language of the letters; the portal's default locale for this debtor.
    language: Mapped[str | None] = mapped_column(String(35))
    #: `exported_at` of the record these details came from (older records never overwrite).
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime)

    cases: Mapped[list[Case]] = relationship(back_populates="debtor")


class Case(db.Model):
    """A debt a debtor can settle, identified by the reference printed on letters."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Normalised `case_reference`: upper case, 6-32 of A-Z 0-9 and dashes.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    #: The reference without dashes, so a debtor may type it with or without them.
    #: Not unique in theory (AB-12345 / AB1-2345); sign-in prefers an exact match.
    lookup_key: Mapped[str] = mapped_column(String(32), index=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"), index=True)
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id"), index=True)
    #: The export snapshot in force (the newest by `exported_at`).
    current_export_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_exports.id", use_alter=True, name="fk_cases_current_export")
    )
    #: Newest `exported_at` of any record received for this case, whether it brought a new
    #: snapshot or restated the current one (a nightly full export): records older than
    #: this are stale. NULL until the first record; falls back to the snapshot's.
    exported_at_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Highest ledger event sequence the portal has assigned on this case (0: none yet).
    #: Incremented in the transaction that records each fact (see the ledger outbox).
    last_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    creditor: Mapped[Creditor] = relationship()
    debtor: Mapped[Debtor] = relationship(back_populates="cases")
    export: Mapped[CaseExport | None] = relationship(foreign_keys=[current_export_id])


class CaseExport(db.Model):
    """One accepted export record of a case, never modified: the ledger's view at `exported_at`."""

    __tablename__ = "case_exports"
    __table_args__ = (
        CheckConstraint(
            "principal_minor >= 0 AND interest_minor >= 0 AND fees_minor >= 0 AND costs_minor >= 0",
            name="components_not_negative",
        ),
        CheckConstraint("events_applied_through >= 0", name="events_applied_through_not_negative"),
        CheckConstraint("risk_score IS NULL OR risk_score BETWEEN 0 AND 100", name="risk_score_range"),
        UniqueConstraint("case_id", "exported_at", name="uq_case_exports_case_id_exported_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    #: When the collection system produced this record (RFC 3339 in the file).
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[CaseStatus] = mapped_column(Enum(CaseStatus, native_enum=False, length=16))
    #: ISO 4217; every amount of the case is in this currency.
    currency: Mapped[str] = mapped_column(String(3))
    #: Outstanding components in minor units, as the ledger computed them.
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    interest_minor: Mapped[int] = mapped_column(BigInteger)
    fees_minor: Mapped[int] = mapped_column(BigInteger)
    costs_minor: Mapped[int] = mapped_column(BigInteger)
    #: Highest portal ledger sequence already reflected in the components above.
    events_applied_through: Mapped[int] = mapped_column(BigInteger)
    invoice_number: Mapped[str | None] = mapped_column(String(100))
    invoice_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    #: The agency's score, 0-100, higher is riskier.
    risk_score: Mapped[int | None]
    #: Digest of the normalised record: equal digests mean an unchanged record.
    record_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseEntry(db.Model):
    """A fact of the portal's that moves a case's balance. Append-only."""

    __tablename__ = "case_entries"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        UniqueConstraint("case_id", "sequence", name="uq_case_entries_case_id_sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[EntryKind] = mapped_column(Enum(EntryKind, native_enum=False, length=16))
    #: Always positive; `kind.sign` gives the direction.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    #: Ledger sequence of the event reporting this fact, assigned in the same transaction.
    sequence: Mapped[int] = mapped_column(BigInteger)
    #: Free text for the history (e.g. the payment method), never personal data.
    description: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
