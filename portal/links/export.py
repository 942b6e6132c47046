"""Bulk export of reminder links: one URL per open case of a creditor, for a mail merge.

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
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from portal.cases.models import Case, CaseExport, CaseStatus
from portal.clock import utcnow
from portal.creditors.models import Creditor
from portal.extensions import db
from portal.links.models import ReminderLink
from portal.links.services import TOKEN_BYTES, expiry

#: Cases per transaction: large enough to amortise a commit, small enough to stay in memory.
CHUNK_SIZE = 20_000
_COLUMNS = ("token_hash", "case_id", "created_at", "expires_at")


class UnknownCreditor(LookupError):
    """No creditor has this external id."""


@dataclass
class ExportResult:
    """What an export wrote."""

    rows: int
    path: Path


def _open_cases(creditor_id: int):
    """Open cases of one creditor, as (id, reference), in id order."""
    return (
        select(Case.id, Case.reference)
        .join(CaseExport, CaseExport.id == Case.current_export_id)
        .where(Case.creditor_id == creditor_id, CaseExport.status == CaseStatus.open)
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
    """Issue a link for every open case of `creditor`, committing per chunk, and write `out`."""
    base = current_app.config["PORTAL_BASE_URL"] + "/l/"
    creditor_id, ttl_days = creditor.id, creditor.link_ttl_days
    query = _open_cases(creditor_id)
    db.session.commit()  # end the read transaction that found the creditor: one per chunk from here
    partial = out.with_name(out.name + ".partial")
    rows = 0
    last_id = 0
    with partial.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("case_reference", "url"))
        while True:
            chunk = db.session.execute(query.where(Case.id > last_id).limit(chunk_size)).all()
            if not chunk:
                break
            last_id = chunk[-1][0]
            tokens = [secrets.token_urlsafe(TOKEN_BYTES) for _ in chunk]
            now = utcnow().replace(microsecond=0)
            expires = expiry(now, ttl_days)
            _insert_hashes(
                [hashlib.sha256(t.encode()).hexdigest() for t in tokens], [c[0] for c in chunk], now, expires
            )
            db.session.commit()  # the hashes are durable before their URLs leave the process
            writer.writerows((ref, base + tok) for (_id, ref), tok in zip(chunk, tokens))
            rows += len(chunk)
            if progress:
                progress(rows)
    partial.replace(out)
    return ExportResult(rows=rows, path=out)


def _insert_hashes(hashes: list[str], case_ids: list[int], created, expires) -> None:
    """Insert one chunk of links in the current transaction, the fastest way the database offers."""
    connection = db.session.connection()
    table = ReminderLink.__table__
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        sql = f"COPY {table.name} ({', '.join(_COLUMNS)}) FROM STDIN"
        with raw.cursor() as cur, cur.copy(sql) as copy:
            for h, case_id in zip(hashes, case_ids):
                copy.write_row((h, case_id, created, expires))
        return
    # SQLite: the driver's own executemany (qmark style), with the two timestamps bound once.
    dialect = connection.dialect
    bind = table.c.created_at.type.bind_processor(dialect)
    created_v, expires_v = (bind(created), bind(expires)) if bind else (created, expires)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?)",
        [(h, case_id, created_v, expires_v) for h, case_id in zip(hashes, case_ids)],
    )
