"""Back-office tables: staff accounts, the append-only audit log and internal case notes."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.db_types import Sealed, UTCDateTime
from portal.extensions import db

#: Flask-Login ids of staff start with this, so they never parse as a debtor's "<id>:<assurance>".
STAFF_ID_PREFIX = "staff:"


class StaffRole(enum.StrEnum):
    """What a staff member may do: supervisors also unlock sign-in and run the ledger queue."""

    agent = "agent"
    supervisor = "supervisor"


class Staff(UserMixin, db.Model):
    """A back-office account, signed in with e-mail, password and (supervisors always) TOTP."""

    __tablename__ = "staff"
    __table_args__ = (
        # A supervisor without a second factor cannot exist, whatever path created the row.
        CheckConstraint("role <> 'supervisor' OR totp_secret IS NOT NULL", name="supervisor_has_totp"),
        CheckConstraint("failed_attempts >= 0", name="failed_attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Normalised: trimmed and lower case.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[StaffRole] = mapped_column(Enum(StaffRole, native_enum=False, length=16))
    #: argon2id PHC string ("$argon2id$v=19$..."); rehashed at sign-in when the parameters change.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Base32 TOTP secret (RFC 6238), sealed at rest (portal.sealing); None for agents who have no second factor.
    totp_secret: Mapped[str | None] = mapped_column(Sealed)
    #: Highest TOTP time step accepted so far: a code is never accepted twice.
    totp_last_step: Mapped[int | None]
    #: Consecutive failed passwords or codes since the last success or lock.
    failed_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Sign-in refused until then (set after too many failures).
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: False once disabled: sign-in refused and open sessions end at their next request.
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: Templates and guards tell staff from debtors by this.
    is_staff = True

    def get_id(self) -> str:
        """The Flask-Login id, "staff:<id>"."""
        return f"{STAFF_ID_PREFIX}{self.id}"

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses to sign in a disabled account."""
        return self.active

    @property
    def is_supervisor(self) -> bool:
        """Whether supervisor-only actions are allowed."""
        return self.role == StaffRole.supervisor


class AuditEntry(db.Model):
    """One thing a staff member did (or tried): who, when, what, on what, and what changed.

    Append-only: the ORM refuses to update or delete a row (see the listeners below)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_target_at", "target", "at"),
        Index("ix_audit_log_staff_id_at", "staff_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who did it; None for a failed sign-in with an unknown e-mail.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Dotted verb, e.g. "case.view", "signin.failure", "ledger.requeue".
    action: Mapped[str] = mapped_column(String(64))
    #: What it was about: a case reference, a staff e-mail or a ledger event id.
    target: Mapped[str | None] = mapped_column(String(320))
    #: What changed (before/after) and other facts of the action, never a password or code.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Client address of the request (None from the command line).
    ip: Mapped[str | None] = mapped_column(String(45))

    staff: Mapped[Staff | None] = relationship()


class CaseNote(db.Model):
    """An internal note on a case, visible to staff only. Never edited."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_id_created_at", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    #: Plain text, shown escaped.
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff: Mapped[Staff] = relationship()


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _append_only(mapper, connection, target: AuditEntry) -> None:
    """The audit log is evidence: rows are only ever added."""
    raise ValueError("the audit log is append-only")
