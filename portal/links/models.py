"""The reminder link table."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class ReminderLink(db.Model):
    """A random token (>= 128 bits) bound to one case. Only its SHA-256 is stored."""

    __tablename__ = "reminder_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token in the URL, the 32 bytes of the digest (half the index of hex text).
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Exact to the second; the creditor's `link_ttl_days` after creation.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set when the link completed a sign-in: it cannot be replayed after that.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
