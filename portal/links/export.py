"""Bulk export of reminder links: one URL per open case of a creditor, for a mail merge.

Cases paused by a dispute or by a pause the debtor asked for get no reminder, so no link.

Cases are read in keyset-paginated chunks. For each chunk the token hashes are
inserted in one statement (COPY on PostgreSQL, executemany elsewhere) and committed
before any of that chunk's URLs is written to the CSV: a URL in the file always has
its hash in the database. The CSV is written under a temporary name and renamed
when complete, so a half-finished export is never mistaken for a whole one.
"""

from __future__ import annotations

import csv
import hashlib
import secrets
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, func, select

from portal.cases.models import Case, CaseExport, CaseStatus
from portal.clock import today, utcnow
from portal.creditors.models import Creditor
from portal.extensions import db
from portal.links.models import ReminderLink
from portal.links.services import TOKEN_BYTES, expiry
from portal.support.pauses import collection_paused

#: Cases per transaction. Each commit rewrites the pages of the random-keyed token_hash index
#: it touched, so fewer, larger chunks export faster; 100k rows stay well within memory.
CHUNK_SIZE = 100_000
#: SQLite page cache during an export, in KiB: room for the index of a few million links.
SQLITE_CACHE_KIB = 256 * 1024
_COLUMNS = ("token_hash", "case_id", "created_at", "expires_at")


class UnknownCreditor(LookupError):
    """No creditor has this external id."""


@dataclass
class ExportResult:
    """What an export wrote."""

    rows: int
    path: Path


def _open_cases(creditor_id: int):
    """Open cases of one creditor, as (id, reference), in id order; paused ones (dispute, hardship) left out."""
    return (
        select(Case.id, Case.reference)
        .join(CaseExport, CaseExport.id == Case.current_export_id)
        .where(Case.creditor_id == creditor_id, CaseExport.status == CaseStatus.open,
               ~collection_paused(Case.id, today()))  # no reminder while a dispute or pause holds the case
        .order_by(Case.id)
    )


def count_open_cases(creditor: Creditor) -> int:
    """How many rows an export of this creditor will write."""
    return db.session.scalar(select(func.count()).select_from(_open_cases(creditor.id).subquery()))


def find_creditor(external_id: str) -> Creditor:
    """The creditor with this external id, or UnknownCreditor."""
    creditor = db.session.scalar(select(Creditor).where(Creditor.external_id == external_id))
    if creditor is None:
        raise UnknownCreditor(external_id)
    return creditor


def export_links(creditor: Creditor, out: Path, *, chunk_size: int = CHUNK_SIZE,
                 progress: Callable[[int], None] | None = None) -> ExportResult:
    """Issue a link for every open case of `creditor`, committing per chunk, and write `out`.

    A bulk job, so it owns its transactions: it runs on one connection of its own and
    commits each chunk there (the session's read transaction is ended first, so that
    SQLite's writer is not kept waiting by our own reader).
    """
    base = current_app.config["PORTAL_BASE_URL"] + "/l/"
    creditor_id, ttl_days = creditor.id, creditor.link_ttl_days
    query = _open_cases(creditor_id)
    db.session.commit()
    partial = out.with_name(out.name + ".partial")
    rows = 0
    last_id = 0
    with (db.engine.connect() as connection, _large_sqlite_cache(connection),
          partial.open("w", newline="", encoding="utf-8") as fh):
        writer = csv.writer(fh)
        writer.writerow(("case_reference", "url"))
        while True:
            # An explicit transaction: the driver-level reads and COPY below would not begin
            # one that SQLAlchemy knows to commit. Leaving the block commits the chunk.
            with connection.begin():
                chunk = _fetch(connection, query.where(Case.id > last_id).limit(chunk_size))
                if not chunk:
                    break
                last_id = chunk[-1][0]
                tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in chunk]
                now = utcnow().replace(microsecond=0)
                hashes = [hashlib.sha256(t.encode()).hexdigest() for t in tokens]
                _insert_hashes(connection, list(zip(hashes, [c[0] for c in chunk])), now, expiry(now, ttl_days))
            # Only now, with the chunk's hashes committed, do its URLs leave the process.
            writer.writerows((ref, base + tok) for (_id, ref), tok in zip(chunk, tokens))
            rows += len(chunk)
            if progress:
                progress(rows)
    partial.replace(out)
    return ExportResult(rows=rows, path=out)


@contextmanager
def _large_sqlite_cache(connection: Connection):
    """On SQLite, let `connection` cache the whole token_hash index while exporting.

    Inserting random keys touches index pages all over the file; with SQLite's default
    2 MB cache they are spilled and re-read for every chunk. The setting belongs to the
    connection (which goes back to the pool), so it is put back afterwards.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = int(connection.exec_driver_sql("PRAGMA cache_size").scalar())
    connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    connection.commit()
    try:
        yield
    finally:
        connection.rollback()  # after a failure, nothing of the unfinished chunk may be committed here
        connection.exec_driver_sql(f"PRAGMA cache_size = {previous}")
        connection.commit()


def _fetch(connection: Connection, query) -> list[tuple[int, str]]:
    """Run `query` as plain DBAPI tuples.

    A million Row objects cost more than the rest of the read; the statement is still the
    typed select above, compiled with its (integer and enum) values inlined.
    """
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def _insert_hashes(connection: Connection, links: list[tuple[str, int]], created, expires) -> None:
    """Insert (token_hash, case_id) pairs in the current transaction, the fastest way the database offers."""
    table = ReminderLink.__table__
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        sql = f"COPY {table.name} ({', '.join(_COLUMNS)}) FROM STDIN"
        with raw.cursor() as cur, cur.copy(sql) as copy:
            for token_hash, case_id in links:
                copy.write_row((token_hash, case_id, created, expires))
        return
    # SQLite: the driver's own executemany (qmark style), with the two timestamps bound once.
    dialect = connection.dialect
    bind = table.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    created_v, expires_v = bind(created), bind(expires)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?)",
        [(token_hash, case_id, created_v, expires_v) for token_hash, case_id in links],
    )
