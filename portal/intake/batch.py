"""Apply a batch of validated records to the database with a handful of set-based statements.

The batch is loaded into a temporary staging table (PostgreSQL: COPY; SQLite:
executemany), then each record is classified against the case's current export
in one UPDATE:

* no such case                                  -> ``created``
* older ``exported_at`` than the one held        -> ``stale`` (ignored)
* same record hash (exported_at is part of it)   -> ``unchanged``
* same ``exported_at``, different content        -> ``conflict`` (rejected: the
  collection system sent two versions of one snapshot, and neither can be trusted)
* newer ``exported_at``                          -> ``updated``

Created and updated records then upsert their creditor and debtor, insert the case
(new ones), insert an immutable `case_exports` snapshot and point the case at it.
Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, text
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
}
_row = itemgetter(*COLUMNS[1:])
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
    counts: Counts = field(default_factory=Counts)
    rejections: list[Rejection] = field(default_factory=list)


def apply_batch(session: Session, records: list[tuple[int, dict[str, Any]]]) -> BatchResult:
    """Import validated `(line, record)` pairs; flushes SQL on the session's connection, never commits."""
    result = BatchResult()
    kept = _dedupe(records, result)
    if not kept:
        return result
    conn = session.connection()
    dialect = conn.dialect.name
    _stage(conn, dialect, kept)
    now = bindparam("now", utcnow(), type_=UTCDateTime())

    conn.execute(text(_CLASSIFY))
    for action, count in conn.execute(text("SELECT action, count(*) FROM _intake GROUP BY action")):
        if action == "conflict":
            result.counts.rejected += count
        else:
            setattr(result.counts, action, getattr(result.counts, action) + count)
    if result.counts.rejected:
        for (line,) in conn.execute(text("SELECT line FROM _intake WHERE action = 'conflict' ORDER BY line")):
            result.rejections.append(Rejection(line, "exported_at", CONFLICT_REASON))
    if not (result.counts.created or result.counts.updated):
        return result
    conn.execute(text(_UPSERT_CREDITORS).bindparams(now))
    conn.execute(text(_UPSERT_DEBTORS))
    if result.counts.created:
        conn.execute(text(_INSERT_CASES).bindparams(now))
    conn.execute(text(_INSERT_EXPORTS).bindparams(now))
    conn.execute(text(_POINT_CASES).bindparams(now))
    return result


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


def _stage(conn, dialect: str, kept) -> None:
    """Create (once per connection) and fill the staging table with the batch."""
    types = {name: _TYPES.get(name, "TEXT") for name in COLUMNS}
    cols = ", ".join(f"{name} {types[name]}" for name in COLUMNS)
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS _intake ({cols}, case_id BIGINT, action TEXT DEFAULT 'created')")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS _intake_reference ON _intake (case_reference)")
    conn.exec_driver_sql("DELETE FROM _intake")
    names = ", ".join(COLUMNS)
    if dialect == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY _intake ({names}) FROM STDIN") as copy:
            for line, record in kept:
                copy.write_row((line, *_row(record)))
        conn.exec_driver_sql("ANALYZE _intake")  # so the planner joins by index, not by scanning cases
    else:
        marks = ", ".join("?" * len(COLUMNS))
        conn.exec_driver_sql(f"INSERT INTO _intake ({names}) VALUES ({marks})", [_sqlite_row(line, r) for line, r in kept])


def _sqlite_row(line: int, record: dict[str, Any]) -> tuple:
    """The staging row with dates written as SQLAlchemy stores them on SQLite (comparable as text)."""
    row = [line, *_row(record)]
    for i in _SQLITE_DATES:
        if row[i] is not None:
            row[i] = row[i].isoformat()
    stamp: datetime = row[_SQLITE_STAMP]
    row[_SQLITE_STAMP] = stamp.strftime("%Y-%m-%d %H:%M:%S.%f")
    return tuple(row)


_SQLITE_DATES = [COLUMNS.index(name) for name in ("debtor_birth_date", "invoice_date", "due_date")]
_SQLITE_STAMP = COLUMNS.index("exported_at")

_CLASSIFY = """
UPDATE _intake SET case_id = c.id, action = CASE
    WHEN _intake.exported_at < e.exported_at THEN 'stale'
    WHEN _intake.record_hash = e.record_hash THEN 'unchanged'
    WHEN _intake.exported_at = e.exported_at THEN 'conflict'
    ELSE 'updated' END
FROM cases AS c JOIN case_exports AS e ON e.id = c.current_export_id
WHERE c.reference = _intake.case_reference
"""

# The newest accepted record of each creditor names it.
_UPSERT_CREDITORS = """
INSERT INTO creditors (external_id, name, created_at)
SELECT creditor_id, creditor_name, :now FROM (
    SELECT creditor_id, creditor_name,
           row_number() OVER (PARTITION BY creditor_id ORDER BY exported_at DESC, line DESC) AS rn
    FROM _intake WHERE action IN ('created', 'updated')) AS t
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
    FROM _intake WHERE action IN ('created', 'updated')) AS t
WHERE rn = 1
ON CONFLICT (key) DO UPDATE SET external_id = excluded.external_id, type = excluded.type,
    name = excluded.name, email = excluded.email, phone = excluded.phone,
    birth_date = excluded.birth_date, postcode = excluded.postcode, country = excluded.country,
    language = excluded.language, exported_at = excluded.exported_at
WHERE excluded.exported_at >= debtors.exported_at
"""

_INSERT_CASES = """
INSERT INTO cases (reference, lookup_key, creditor_id, debtor_id, last_sequence, created_at, updated_at)
SELECT s.case_reference, s.lookup_key, cr.id, d.id, 0, :now, :now
FROM _intake AS s
JOIN creditors AS cr ON cr.external_id = s.creditor_id
JOIN debtors AS d ON d.key = s.debtor_key
WHERE s.action = 'created'
ON CONFLICT (reference) DO NOTHING
"""

_INSERT_EXPORTS = """
INSERT INTO case_exports (case_id, exported_at, status, currency, principal_minor, interest_minor,
    fees_minor, costs_minor, events_applied_through, invoice_number, invoice_date, due_date,
    risk_score, record_hash, imported_at)
SELECT c.id, s.exported_at, s.status, s.currency, s.principal_minor, s.interest_minor, s.fees_minor,
       s.costs_minor, s.events_applied_through, s.invoice_number, s.invoice_date, s.due_date,
       s.risk_score, s.record_hash, :now
FROM _intake AS s JOIN cases AS c ON c.reference = s.case_reference
WHERE s.action IN ('created', 'updated')
ON CONFLICT (case_id, exported_at) DO NOTHING
"""

# Point each case at its new snapshot (never backwards, should a concurrent push have won).
_POINT_CASES = """
UPDATE cases SET current_export_id = e.id, creditor_id = cr.id, debtor_id = d.id, updated_at = :now
FROM _intake AS s, case_exports AS e, creditors AS cr, debtors AS d
WHERE s.case_reference = cases.reference AND s.action IN ('created', 'updated')
  AND e.case_id = cases.id AND e.exported_at = s.exported_at
  AND cr.external_id = s.creditor_id AND d.key = s.debtor_key
  AND (cases.current_export_id IS NULL OR e.exported_at >= (
        SELECT held.exported_at FROM case_exports AS held WHERE held.id = cases.current_export_id))
"""
