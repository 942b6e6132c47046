"""The counter table behind Flask-Limiter's SQL storage."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db_types import UTCDateTime
from portal.extensions import db


class RateLimitCounter(db.Model):
    """A fixed-window counter: `count` hits on `key` until `expires_at`."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
