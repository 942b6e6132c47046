"""Apply a batch of validated records to the database with a handful of set-based statements.

The current export of every case in the batch is read in one query, and each
record is classified against it:

* no such case                                     -> ``created``
* older ``exported_at`` than the newest seen        -> ``stale`` (ignored)
* same content hash (which leaves out exported_at)  -> ``unchanged``; when its
  ``exported_at`` is newer, only the case's ``exported_at_seen`` moves forward
  (a nightly full export restates every case: no new snapshot for any of them)
* same ``exported_at`` as the newest seen, different content -> ``conflict``
  (rejected: the collection system sent two versions of one snapshot)
* newer ``exported_at``, different content          -> ``updated``

"Newest seen" is `cases.exported_at_seen`, not the current snapshot's own
``exported_at``: after content A at T1 and the same A restated at T3, a delayed
record B from T2 is older than what the portal has seen, so it is stale.

Created and updated records get their primary keys reserved up front and are loaded
into a temporary staging table (PostgreSQL: COPY; SQLite: executemany); four or
five statements then upsert their creditors and debtors, insert the new cases, insert
the immutable `case_exports` snapshots and point the cases at them. Nothing here
commits: the caller owns the transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, column, text
from sqlalchemy.orm import Session

from portal.clock import utcnow
from portal.db_types import UTCDateTime

#: Staging columns, in the order rows are written (the record's own keys, plus `line`).
COLUMNS = (
    "line", "case_reference", "lookup_key", "creditor_id", "creditor_name", "debtor_key", "debtor_id",
    "debtor_type", "debtor_name", "debtor_email", "debtor_phone", "debtor_birth_date", "debtor_postcode",
    "debtor_country", "debtor_language", "currency", "principal_minor", "interest_minor", "fees_minor",
    "costs_minor", "invoice_number", "invoice_date", "due_date", "risk_score", "status",
    "events_applied_through", "exported_at", "record_hash",
)
_TYPES = {
    "line": "BIGINT", "debtor_birth_date": "DATE", "invoice_date": "DATE", "due_date": "DATE",
    "principal_minor": "BIGINT", "interest_minor": "BIGINT", "fees_minor": "BIGINT", "costs_minor": "BIGINT",
    "risk_score": "INTEGER", "events_applied_through": "BIGINT", "exported_at": "TIMESTAMP WITH TIME ZONE",
    "case_id": "BIGINT", "export_id": "BIGINT",
}
_row = itemgetter(*COLUMNS[1:])
#: The staging table: the record, then the ids it gets and whether it creates or updates the case.
STAGED = (*COLUMNS, "case_id", "export_id", "action")
CONFLICT_REASON = "a different record of this case with the same exported_at is already held"


@dataclass
class Counts:
    """How many records of an import ended in each outcome."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    rejected: int = 0

    def add(self, other: Counts) -> None:
        """Add another batch's counts to these."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.stale + self.rejected

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refused record: its line in the file (or 1 for a pushed record), the field and why."""

    line: int
    field: str
    reason: str


@dataclass
class BatchResult:
    """Counts and rejections of one batch, and the exported_at held for each stale case."""

    counts: Counts = field(default_factory=Counts)
    rejections: list[Rejection] = field(default_factory=list)
    held: dict[str, datetime] = field(default_factory=dict)


def apply_batch(session: Session, records: list[tuple[int, dict[str, Any]]]) -> BatchResult:
    """Import validated `(line, record)` pairs; runs SQL on the session's connection, never commits."""
    result = BatchResult()
    kept = _dedupe(records, result)
    if not kept:
        return result
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "sqlite":
        # Take SQLite's write lock now, so the ids allocated below stay ours until commit.
        conn.exec_driver_sql("UPDATE cases SET id = id WHERE 0")
    held = _held(conn, dialect, [record["case_reference"] for _, record in kept])
    accepted: list[tuple[int, dict[str, Any], str, int | None]] = []
    restated: list[tuple[int, datetime]] = []  # unchanged records newer than the newest seen
    counts = result.counts
    for line, record in kept:
        current = held.get(record["case_reference"])
        if current is None:
            accepted.append((line, record, "created", None))
            continue
        case_id, seen, held_hash = current
        at = record["exported_at"]
        if held_hash is None:  # a case row without any snapshot yet: this record is its first
            accepted.append((line, record, "updated", case_id))
        elif at < seen:
            counts.stale += 1
            result.held[record["case_reference"]] = seen
        elif record["record_hash"] == held_hash:
            counts.unchanged += 1
            if at > seen:
                restated.append((case_id, at))
        elif at == seen:
            counts.rejected += 1
            result.rejections.append(Rejection(line, "exported_at", CONFLICT_REASON))
        else:
            accepted.append((line, record, "updated", case_id))
    if restated:
        _mark_seen(conn, dialect, restated)
    if not accepted:
        return result
    new = sum(1 for *_, case_id in accepted if case_id is None)
    case_ids = iter(_allocate(conn, dialect, "cases", new))
    export_ids = iter(_allocate(conn, dialect, "case_exports", len(accepted)))
    rows = []
    for line, record, action, case_id in accepted:
        counts.created += action == "created"
        counts.updated += action == "updated"
        rows.append((line, *_row(record), case_id or next(case_ids), next(export_ids), action))
    _stage(conn, dialect, rows)
    now = bindparam("now", utcnow(), type_=UTCDateTime())
    conn.execute(text(_UPSERT_CREDITORS).bindparams(now))
    conn.execute(text(_UPSERT_DEBTORS))
    # A new case points at its first snapshot, which needs the case: the foreign keys are
    # checked once both exist (end of statement on PostgreSQL, commit on SQLite).
    if dialect == "postgresql":
        conn.execute(text(f"WITH new_cases AS ({_INSERT_CASES}) {_INSERT_EXPORTS}").bindparams(now))
    else:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        if new:
            conn.execute(text(_INSERT_CASES).bindparams(now))
        conn.execute(text(_INSERT_EXPORTS).bindparams(now))
    if counts.updated:
        conn.execute(text(_POINT_CASES).bindparams(now))
    return result


def _held(conn, dialect: str, references: list[str]) -> dict[str, tuple[int, datetime | None, str | None]]:
    """reference -> (case id, newest exported_at seen, record hash of its current export) for known cases."""
    if dialect == "postgresql":
        where, refs = "c.reference = ANY(:refs)", references
    else:
        where, refs = "c.reference IN (SELECT value FROM json_each(:refs))", json.dumps(references)
    query = text(
        "SELECT c.reference, c.id, coalesce(c.exported_at_seen, e.exported_at) AS exported_at, e.record_hash"
        " FROM cases AS c"
        f" LEFT JOIN case_exports AS e ON e.id = c.current_export_id WHERE {where}"
    ).columns(column("reference"), column("id"), column("exported_at", UTCDateTime()), column("record_hash"))
    return {ref: (case_id, at, digest) for ref, case_id, at, digest in conn.execute(query, {"refs": refs})}


def _mark_seen(conn, dialect: str, restated: list[tuple[int, datetime]]) -> None:
    """Move `exported_at_seen` forward for cases restated unchanged: one UPDATE, no snapshot."""
    if dialect == "postgresql":
        pairs = "SELECT unnest(CAST(:ids AS bigint[])) AS id, unnest(CAST(:ats AS timestamptz[])) AS at"
        params = {"ids": [case_id for case_id, _ in restated], "ats": [at for _, at in restated]}
    else:
        pairs = "SELECT value ->> 0 AS id, value ->> 1 AS at FROM json_each(:pairs)"
        params = {"pairs": json.dumps([[case_id, _sqlite_stamp(at)] for case_id, at in restated])}
    conn.execute(text(
        f"UPDATE cases SET exported_at_seen = v.at FROM ({pairs}) AS v"
        " WHERE cases.id = v.id AND (cases.exported_at_seen IS NULL OR cases.exported_at_seen < v.at)"
    ), params)


def _allocate(conn, dialect: str, table: str, n: int) -> list[int]:
    """Reserve `n` primary keys of `table` (a sequence on PostgreSQL; above max(id) under SQLite's write lock)."""
    if n == 0:
        return []
    if dialect == "postgresql":
        query = f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, %(n)s)"
        return [row[0] for row in conn.exec_driver_sql(query, {"n": n})]
    top = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar()
    return list(range(top + 1, top + n + 1))


def _dedupe(records, result: BatchResult) -> list[tuple[int, dict[str, Any]]]:
    """Keep the newest record of each case in the batch; older copies are stale."""
    newest: dict[str, tuple[int, dict[str, Any]]] = {}
    for line, record in records:
        ref = record["case_reference"]
        held = newest.get(ref)
        if held is None:
            newest[ref] = (line, record)
            continue
        held_at, at = held[1]["exported_at"], record["exported_at"]
        if at > held_at:
            newest[ref] = (line, record)
            result.counts.stale += 1
        elif at < held_at:
            result.counts.stale += 1
        elif record["record_hash"] == held[1]["record_hash"]:
            result.counts.unchanged += 1
        else:
            result.counts.rejected += 1
            reason = f"line {held[0]} has the same case and exported_at with different content"
            result.rejections.append(Rejection(line, "exported_at", reason))
    return list(newest.values())


def _stage(conn, dialect: str, rows: list[tuple]) -> None:
    """Create (once per connection) and fill the staging table with the accepted records."""
    cols = ", ".join(f"{name} {_TYPES.get(name, 'TEXT')}" for name in STAGED)
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS _intake ({cols})")
    conn.exec_driver_sql("DELETE FROM _intake")
    names = ", ".join(STAGED)
    if dialect == "postgresql":
        with conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY _intake ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        marks = ", ".join("?" * len(STAGED))
        conn.exec_driver_sql(f"INSERT INTO _intake ({names}) VALUES ({marks})", [_sqlite_row(row) for row in rows])


def _sqlite_row(row: tuple) -> tuple:
    """The staging row with dates written as SQLAlchemy stores them on SQLite (comparable as text)."""
    row = list(row)
    for i in _SQLITE_DATES:
        if row[i] is not None:
            row[i] = row[i].isoformat()
    row[_SQLITE_STAMP] = _sqlite_stamp(row[_SQLITE_STAMP])
    return tuple(row)


def _sqlite_stamp(stamp: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it on SQLite (comparable as text)."""
    return stamp.strftime("%Y-%m-%d %H:%M:%S.%f")


_SQLITE_DATES = [STAGED.index(name) for name in ("debtor_birth_date", "invoice_date", "due_date")]
_SQLITE_STAMP = STAGED.index("exported_at")

# The newest accepted record of each creditor names it.
_UPSERT_CREDITORS = """
INSERT INTO creditors (external_id, name, created_at)
SELECT creditor_id, creditor_name, :now FROM (
    SELECT creditor_id, creditor_name,
           row_number() OVER (PARTITION BY creditor_id ORDER BY exported_at DESC, line DESC) AS rn
    FROM _intake) AS t
WHERE rn = 1
ON CONFLICT (external_id) DO UPDATE SET name = excluded.name WHERE creditors.name <> excluded.name
"""

# A debtor's details come from its newest record; an older one never overwrites them.
_UPSERT_DEBTORS = """
INSERT INTO debtors (key, external_id, type, name, email, phone, birth_date, postcode, country,
                     language, exported_at)
SELECT debtor_key, debtor_id, debtor_type, debtor_name, debtor_email, debtor_phone, debtor_birth_date,
       debtor_postcode, debtor_country, debtor_language, exported_at FROM (
    SELECT *, row_number() OVER (PARTITION BY debtor_key ORDER BY exported_at DESC, line DESC) AS rn
    FROM _intake) AS t
WHERE rn = 1
ON CONFLICT (key) DO UPDATE SET external_id = excluded.external_id, type = excluded.type,
    name = excluded.name, email = excluded.email, phone = excluded.phone,
    birth_date = excluded.birth_date, postcode = excluded.postcode, country = excluded.country,
    language = excluded.language, exported_at = excluded.exported_at
WHERE excluded.exported_at >= debtors.exported_at
"""

_INSERT_CASES = """
INSERT INTO cases (id, reference, lookup_key, creditor_id, debtor_id, current_export_id, exported_at_seen,
                   last_sequence, created_at, updated_at)
SELECT s.case_id, s.case_reference, s.lookup_key, cr.id, d.id, s.export_id, s.exported_at, 0, :now, :now
FROM _intake AS s
JOIN creditors AS cr ON cr.external_id = s.creditor_id
JOIN debtors AS d ON d.key = s.debtor_key
WHERE s.action = 'created'"""

_INSERT_EXPORTS = """
INSERT INTO case_exports (id, case_id, exported_at, status, currency, principal_minor, interest_minor,
    fees_minor, costs_minor, events_applied_through, invoice_number, invoice_date, due_date,
    risk_score, record_hash, imported_at)
SELECT export_id, case_id, exported_at, status, currency, principal_minor, interest_minor, fees_minor,
       costs_minor, events_applied_through, invoice_number, invoice_date, due_date,
       risk_score, record_hash, :now
FROM _intake
"""

# Never backwards, should a concurrent push of a newer export have committed meanwhile.
_POINT_CASES = """
UPDATE cases SET current_export_id = s.export_id, creditor_id = cr.id, debtor_id = d.id,
    exported_at_seen = s.exported_at, updated_at = :now
FROM _intake AS s, creditors AS cr, debtors AS d
WHERE s.action = 'updated' AND cases.id = s.case_id
  AND cr.external_id = s.creditor_id AND d.key = s.debtor_key
  AND (cases.current_export_id IS NULL OR s.exported_at > coalesce(cases.exported_at_seen, (
        SELECT held.exported_at FROM case_exports AS held WHERE held.id = cases.current_export_id)))
"""
