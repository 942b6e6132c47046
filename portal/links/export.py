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
import os
import struct
from base64 import urlsafe_b64encode
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
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
#: PostgreSQL binary COPY: signature, flags, header extension length; the end marker.
_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_PG_TRAILER = struct.pack(">h", -1)
#: A row: 4 fields; token_hash (bytea, 32 bytes), case_id (int4); then the two timestamps.
_PG_ROW = struct.Struct(">hi32sii")
_PG_TIMES = struct.Struct(">iqiq")
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


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
                tokens = new_tokens(len(chunk))
                now = utcnow().replace(microsecond=0)
                hashes = [hashlib.sha256(t).digest() for t in tokens]
                _insert_hashes(connection, list(zip(hashes, [c[0] for c in chunk])), now, expiry(now, ttl_days))
            # Only now, with the chunk's hashes committed, do its URLs leave the process.
            _write_rows(fh, writer, [ref for _id, ref in chunk], base, tokens)
            rows += len(chunk)
            if progress:
                progress(rows)
    partial.replace(out)
    return ExportResult(rows=rows, path=out)


def new_tokens(n: int) -> list[bytes]:
    """`n` fresh tokens as ASCII bytes, each what `secrets.token_urlsafe(TOKEN_BYTES)` gives.

    One read of the system's CSPRNG for the whole chunk (what `secrets` reads, one call
    per token), cut into TOKEN_BYTES-byte pieces: 256 random bits each, 43 base64url
    characters without padding."""
    raw = os.urandom(TOKEN_BYTES * n)
    width = -(-TOKEN_BYTES * 4 // 3)  # 43: characters before the padding
    return [urlsafe_b64encode(raw[i:i + TOKEN_BYTES])[:width] for i in range(0, TOKEN_BYTES * n, TOKEN_BYTES)]


def _write_rows(fh, writer, references: list[str], base: str, tokens: list[bytes]) -> None:
    """Write `case_reference,url` rows: joined directly when no field needs quoting, else by csv.

    References are A-Z, 0-9 and dashes and tokens base64url, so quoting never applies to
    them; the check keeps a base URL or a reference with a comma or quote correct anyway."""
    urls = [base + token.decode("ascii") for token in tokens]
    if _needs_quoting(base) or _needs_quoting("".join(references)):
        writer.writerows(zip(references, urls))
        return
    fh.write("".join([f"{ref},{url}\r\n" for ref, url in zip(references, urls)]))


def _needs_quoting(value: str) -> bool:
    """True when csv.writer (QUOTE_MINIMAL, RFC 4180 dialect) would quote `value`."""
    return any(char in value for char in ',"\r\n')


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


def _insert_hashes(connection: Connection, links: list[tuple[bytes, int]], created, expires) -> None:
    """Insert (token_hash, case_id) pairs in the current transaction, the fastest way the database offers."""
    table = ReminderLink.__table__
    if connection.dialect.name == "postgresql":
        # Binary COPY built here: one struct.pack per row, where the driver's write_row
        # adapted four values a row in Python (slower than the rest of the export).
        raw = connection.connection.driver_connection
        sql = f"COPY {table.name} ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT binary)"
        tail = _PG_TIMES.pack(8, _pg_micros(created), 8, _pg_micros(expires))
        pack = _PG_ROW.pack
        with raw.cursor() as cur, cur.copy(sql) as copy:
            copy.write(_PG_HEADER)
            for start in range(0, len(links), 10_000):
                copy.write(b"".join([pack(4, 32, token_hash, 4, case_id) + tail
                                     for token_hash, case_id in links[start:start + 10_000]]))
            copy.write(_PG_TRAILER)
        return
    # SQLite: the driver's own executemany (qmark style), with the two timestamps bound once.
    dialect = connection.dialect
    bind = table.c.created_at.type.dialect_impl(dialect).bind_processor(dialect)
    created_v, expires_v = bind(created), bind(expires)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?)",
        [(token_hash, case_id, created_v, expires_v) for token_hash, case_id in links],
    )


def _pg_micros(moment: datetime) -> int:
    """A timestamptz as PostgreSQL's binary format holds it: microseconds since 2000-01-01 UTC."""
    delta = moment - _PG_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
