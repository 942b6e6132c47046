"""Tables behind debtor sign-in: server-side sessions, one-time codes, failure counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class WebSession(db.Model):
    """A server-side session. The cookie holds a random id; only its SHA-256 is stored,
    so a database leak does not hand out live sessions. Deleting the row ends it."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_last_seen_at", "last_seen_at"),)

    #: hex SHA-256 of the cookie's session id.
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The session's contents (JSON): signed-in debtor, locale, CSRF secret, ...
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Bumped at most once a minute by requests; idle expiry counts from here.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VerificationThrottle(db.Model):
    """Failed knowledge-step attempts per normalised case reference.

    Keyed by the typed reference, not by the case, so an unknown reference costs the
    same work as a known one and cannot be told apart by timing."""

    __tablename__ = "verification_throttles"

    #: Normalised case reference as typed (it may match no case).
    reference: Mapped[str] = mapped_column(String(32), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    #: Set when `failures` reaches the limit; cleared by a valid reminder link or an agent.
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OneTimeCode(db.Model):
    """A six-digit code sent to the e-mail or phone on file (second sign-in step)."""

    __tablename__ = "one_time_codes"
    __table_args__ = (Index("ix_one_time_codes_case_id_created_at", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    #: The sign-in attempt it belongs to (hash of a random id kept in the session).
    attempt_hash: Mapped[str] = mapped_column(String(64), index=True)
    #: "email" or "sms".
    channel: Mapped[str] = mapped_column(String(8))
    #: HMAC of the code with the app secret; the code itself is never stored.
    code_hash: Mapped[str] = mapped_column(String(64))
    tries: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
