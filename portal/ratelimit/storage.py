"""A `limits` storage that keeps fixed-window counters in the `rate_limit_counters` table.

Every worker sees the same counters because they live in the application database;
no Redis is needed for a small deployment. Each call runs on its own short
transaction (`db.engine.begin()`), never on the request's ORM session, so a counter
is kept even when the request itself rolls back.
"""

from __future__ import annotations

from datetime import timedelta

from limits.storage import Storage
from sqlalchemy import case as sql_case
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from portal.clock import utcnow
from portal.extensions import db
from portal.ratelimit.models import RateLimitCounter

counters = RateLimitCounter.__table__


class SQLStorage(Storage):
    """Fixed-window counters in SQL (SQLite and PostgreSQL), selected by the URI `sql://`."""

    STORAGE_SCHEME = ["sql"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        """The URI carries nothing: the app's own database (Flask-SQLAlchemy's engine) is used."""
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        """Errors the limiter may wrap or swallow."""
        return SQLAlchemyError

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to the counter, starting a new window of `expiry` seconds if none is live."""
        now = utcnow()
        with db.engine.begin() as conn:
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            stmt = insert(counters).values(key=key, count=amount, expires_at=now + timedelta(seconds=expiry))
            # One statement: an expired window starts again at `amount`, a live one adds to its count.
            expired = counters.c.expires_at <= now
            stmt = stmt.on_conflict_do_update(
                index_elements=[counters.c.key],
                set_={
                    "count": sql_case((expired, stmt.excluded.count), else_=counters.c.count + amount),
                    "expires_at": sql_case((expired, stmt.excluded.expires_at), else_=counters.c.expires_at),
                },
            ).returning(counters.c.count)
            return int(conn.execute(stmt).scalar_one())

    def get(self, key: str) -> int:
        """The live count for `key` (0 when there is no live window)."""
        with db.engine.connect() as conn:
            count = conn.scalar(
                select(counters.c.count).where(counters.c.key == key, counters.c.expires_at > utcnow())
            )
        return int(count or 0)

    def get_expiry(self, key: str) -> float:
        """When the live window of `key` ends, as a Unix timestamp (now if there is none)."""
        now = utcnow()
        with db.engine.connect() as conn:
            expires = conn.scalar(
                select(counters.c.expires_at).where(counters.c.key == key, counters.c.expires_at > now)
            )
        return (expires or now).timestamp()

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with db.engine.connect() as conn:
                conn.scalar(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter; returns how many there were."""
        with db.engine.begin() as conn:
            return conn.execute(delete(counters)).rowcount

    def clear(self, key: str) -> None:
        """Forget the counter of `key`."""
        with db.engine.begin() as conn:
            conn.execute(delete(counters).where(counters.c.key == key))


def purge_expired() -> int:
    """Delete counters whose window has ended; returns how many."""
    with db.engine.begin() as conn:
        return conn.execute(delete(counters).where(counters.c.expires_at <= utcnow())).rowcount
