"""API keys for the collection system's pushes."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class ApiKey(db.Model):
    """A bearer key. Shown once at creation; only its SHA-256 is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: First characters of the key, to recognise it in lists without revealing it.
    prefix: Mapped[str] = mapped_column(String(16))
    #: hex SHA-256 of the whole key (keys are 256-bit random, so no slow hash is needed).
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
