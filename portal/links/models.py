"""The reminder link table."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class ReminderLink(db.Model):
    """A random token (>= 128 bits) bound to one case. Only its SHA-256 is stored."""

    __tablename__ = "reminder_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: hex SHA-256 of the token in the URL.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Exact to the second; the creditor's `link_ttl_days` after creation.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set when the link completed a sign-in: it cannot be replayed after that.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
