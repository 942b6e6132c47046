"""Evidence and attachment files: one row per stored file, the bytes kept outside the web root."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db


class Upload(db.Model):
    """A file a debtor sent (dispute evidence, message attachment); readable by them and agents."""

    __tablename__ = "uploads"
    __table_args__ = (CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The debtor it belongs to: the only debtor who may ever download it.
    owner_debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="CASCADE"), index=True)
    #: Random name of the file under PORTAL_VAR_DIR/uploads (never derived from the sent name).
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: The sent file name without any directory part, for display and download only.
    filename: Mapped[str] = mapped_column(String(120))
    #: MIME type found from the content: application/pdf, image/jpeg or image/png.
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    #: hex SHA-256 of the content, to spot the same file sent twice.
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
