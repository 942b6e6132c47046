"""Column types shared by every feature's models."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.types import TypeDecorator

from portal import sealing


class UTCDateTime(TypeDecorator):
    """Stores UTC, returns timezone-aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Sealed(TypeDecorator):
    """A short secret stored encrypted (portal.sealing): the database only ever holds the sealed token."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect):
        return None if value is None else sealing.seal(value)

    def process_result_value(self, value: str | None, dialect):
        return None if value is None else sealing.unseal(value)
