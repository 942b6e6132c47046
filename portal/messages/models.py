"""The secure message thread between a debtor and the agency, with its attachments."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db
from portal.uploads.models import Upload


class Author(enum.StrEnum):
    """Which side wrote a message."""

    debtor = "debtor"
    agent = "agent"


class Message(db.Model):
    """One message of a debtor's thread (one thread per debtor, whatever the case)."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_debtor_id_id", "debtor_id", "id"),
        # A form sent twice (a double click, a retry after an answer lost in transit) is one message.
        UniqueConstraint("debtor_id", "submission", name="uq_messages_debtor_id_submission"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The debtor whose thread this is: the only debtor who may ever read it.
    debtor_id: Mapped[int] = mapped_column(ForeignKey("debtors.id", ondelete="CASCADE"))
    #: Who wrote it: the debtor from the portal, or an agent from the back office.
    author: Mapped[Author] = mapped_column(Enum(Author, native_enum=False, length=10))
    #: The agent who wrote it (agent messages only).
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    #: The words, as typed.
    body: Mapped[str] = mapped_column(Text)
    #: When it was sent.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The random id of the form it came from (None before 0013 or without one): sent twice, kept once.
    submission: Mapped[str | None] = mapped_column(String(43))

    attachments: Mapped[list[Upload]] = relationship(secondary="message_attachments", order_by=Upload.id)


class MessageAttachment(db.Model):
    """Links a message to the files the debtor sent with it."""

    __tablename__ = "message_attachments"

    #: The message the file came with.
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    #: The stored file (portal.uploads), owned by the thread's debtor.
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), primary_key=True)
