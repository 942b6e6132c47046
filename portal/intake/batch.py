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

Records arrive as staged rows (`fastpath.ROW`: text fields, "" when absent) with their
exported_at as a datetime. Created and updated records get their primary keys reserved
up front and are loaded into a temporary staging table (PostgreSQL: COPY of
preformatted text lines; SQLite: executemany of tuples); four or
five statements then upsert their creditors and debtors, insert the new cases, insert
the immutable `case_exports` snapshots and point the cases at them. A debtor's e-mail or
phone they corrected in the portal is then put back where the record may not overwrite
it (`portal.contact.corrections`: one EXISTS per batch while no correction is open).
Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from itertools import count, repeat

from sqlalchemy import Integer, bindparam, text
from sqlalchemy.orm import Session

from portal.clock import utcnow
from portal.contact import corrections
from portal.db_types import UTCDateTime
from portal.intake.fastpath import EXPORTED_AT, HASH, REFERENCE, ROW, Row
from portal.intake.records import FIELDS, REQUIRED

#: One record of a batch: its line in the file, its staged row and its exported_at.
Item = tuple[int, Row, datetime]
_TYPES = {
    "debtor_birth_date": "DATE", "invoice_date": "DATE", "due_date": "DATE",
    "principal_minor": "BIGINT", "interest_minor": "BIGINT", "fees_minor": "BIGINT", "costs_minor": "BIGINT",
    "risk_score": "INTEGER", "events_applied_through": "BIGINT", "exported_at": "TIMESTAMP WITH TIME ZONE",
    "case_id": "BIGINT", "export_id": "BIGINT", "names_creditor": "INTEGER", "names_debtor": "INTEGER",
}
#: The staging table: the record's row, the ids it gets, whether it creates or updates the
#: case, and whether it is the newest record of its creditor and of its debtor in the batch.
STAGED = (*ROW, "case_id", "export_id", "action", "names_creditor", "names_debtor")
OPTIONAL = frozenset(FIELDS) - REQUIRED
CREDITOR_ID, DEBTOR_KEY = ROW.index("creditor_id"), ROW.index("debtor_key")
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


def apply_batch(session: Session, records: list[Item]) -> BatchResult:
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
    held = _held(conn, dialect, [row[REFERENCE] for _, row, _ in kept])
    counts = result.counts
    if held:
        accepted, held_ids = _classify(conn, dialect, kept, held, result)
        if not accepted:
            return result
        new = held_ids.count(None)
    else:  # no case of the batch exists yet (a first import): every record creates its case
        accepted, held_ids, new = kept, None, len(kept)
    counts.created += new
    counts.updated += len(accepted) - new
    new_ids = _allocate(conn, dialect, "cases", new)
    if held_ids is None:
        case_ids = new_ids
    else:
        fresh = iter(new_ids)
        case_ids = [case_id or next(fresh) for case_id in held_ids]
    export_ids = _allocate(conn, dialect, "case_exports", len(accepted))
    _stage(conn, dialect, accepted, held_ids, case_ids, export_ids)
    now = bindparam("now", utcnow(), type_=UTCDateTime())
    conn.execute(text(_UPSERT_CREDITORS).bindparams(now))
    conn.execute(text(_UPSERT_DEBTORS))
    if corrections.any_open(conn):
        written = conn.execute(text(_CORRECTED_DEBTORS).columns(id=Integer(), exported_at=UTCDateTime()))
        corrections.settle_written(conn, dict(written.all()))
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


def _classify(conn, dialect: str, kept: list[Item], held: dict, result: BatchResult) -> tuple[list[Item], list[int | None]]:
    """Judge each record against the case held: the accepted ones and their case ids (None: a new case)."""
    accepted: list[Item] = []
    held_ids: list[int | None] = []
    restated: list[tuple[int, datetime]] = []  # unchanged records newer than the newest seen
    counts = result.counts
    for item in kept:
        line, row, at = item
        current = held.get(row[REFERENCE])
        if current is None:
            accepted.append(item)
            held_ids.append(None)
            continue
        case_id, seen, held_hash = current
        if held_hash is None:  # a case row without any snapshot yet: this record is its first
            accepted.append(item)
            held_ids.append(case_id)
        elif at < seen:
            counts.stale += 1
            result.held[row[REFERENCE]] = seen.astimezone(UTC)
        elif row[HASH] == held_hash:
            counts.unchanged += 1
            if at > seen:
                restated.append((case_id, at))
        elif at == seen:
            counts.rejected += 1
            result.rejections.append(Rejection(line, "exported_at", CONFLICT_REASON))
        else:
            accepted.append(item)
            held_ids.append(case_id)
    if restated:
        _mark_seen(conn, dialect, restated)
    return accepted, held_ids


def _held(conn, dialect: str, references: list[str]) -> dict[str, tuple[int, datetime | None, str | None]]:
    """reference -> (case id, newest exported_at seen, record hash of its current export) for known cases."""
    # Through the driver, without SQLAlchemy's per-row result processing (half the cost of
    # a re-import); SQLite's stored text is read back as UTCDateTime would read it.
    if dialect == "postgresql":
        where, refs, stamp = "c.reference = ANY(%(refs)s)", {"refs": references}, None
    else:
        where, refs, stamp = "c.reference IN (SELECT value FROM json_each(?))", (json.dumps(references),), _from_sqlite
    rows = conn.exec_driver_sql(
        "SELECT c.reference, c.id, coalesce(c.exported_at_seen, e.exported_at), e.record_hash FROM cases AS c"
        f" LEFT JOIN case_exports AS e ON e.id = c.current_export_id WHERE {where}", refs
    )
    if stamp is None:
        return {ref: (case_id, at, digest) for ref, case_id, at, digest in rows}
    return {ref: (case_id, at and stamp(at), digest) for ref, case_id, at, digest in rows}


@lru_cache(maxsize=256)
def _from_sqlite(stamp: str) -> datetime:
    """A UTCDateTime stored on SQLite ("YYYY-MM-DD HH:MM:SS.ffffff", UTC) as an aware datetime."""
    return datetime.fromisoformat(stamp).replace(tzinfo=UTC)


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
    if corrections.any_open(conn):
        corrections.settle_restated(conn, restated)


def _allocate(conn, dialect: str, table: str, n: int) -> list[int]:
    """Reserve `n` primary keys of `table` (a sequence on PostgreSQL; above max(id) under SQLite's write lock)."""
    if n == 0:
        return []
    if dialect == "postgresql":
        # The sequence's name goes into the statement as a literal: passed as an expression
        # it was looked up once per row, which cost ten times the nextval() calls themselves.
        sequence = conn.exec_driver_sql(f"SELECT pg_get_serial_sequence('{table}', 'id')").scalar()
        literal = "'" + sequence.replace("'", "''") + "'"
        query = f"SELECT array_agg(nextval({literal}::regclass)) FROM generate_series(1, %(n)s)"
        return conn.exec_driver_sql(query, {"n": n}).scalar()  # one array, not n rows
    top = conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}").scalar()
    return list(range(top + 1, top + n + 1))


def _dedupe(records: list[Item], result: BatchResult) -> list[Item]:
    """Keep the newest record of each case in the batch; older copies are stale."""
    newest: dict[str, Item] = {}
    for item in records:
        line, row, at = item
        ref = row[REFERENCE]
        held = newest.get(ref)
        if held is None:
            newest[ref] = item
            continue
        held_at = held[2]
        if at > held_at:
            newest[ref] = item
            result.counts.stale += 1
        elif at < held_at:
            result.counts.stale += 1
        elif row[HASH] == held[1][HASH]:
            result.counts.unchanged += 1
        else:
            result.counts.rejected += 1
            reason = f"line {held[0]} has the same case and exported_at with different content"
            result.rejections.append(Rejection(line, "exported_at", reason))
    return list(newest.values())


def _naming(accepted: list[Item]) -> tuple[set[int], set[int]]:
    """Positions of the newest record (by exported_at, then line) of each creditor and of each debtor."""
    creditors: dict[str, int] = {}
    debtors: dict[str, int] = {}
    for i, (line, row, at) in enumerate(accepted):
        key = row[CREDITOR_ID]
        j = creditors.setdefault(key, i)
        if j != i and (at, line) > (accepted[j][2], accepted[j][0]):
            creditors[key] = i
        key = row[DEBTOR_KEY]
        j = debtors.setdefault(key, i)
        if j != i and (at, line) > (accepted[j][2], accepted[j][0]):
            debtors[key] = i
    return set(creditors.values()), set(debtors.values())


def _stage(conn, dialect: str, accepted: list[Item], held_ids: list[int | None] | None,
           case_ids: list[int], export_ids: list[int]) -> None:
    """Create (once per connection) and fill the staging table with the accepted records ("" is absent).

    `held_ids[i]` is None when record i creates its case (`held_ids` None: they all do). Whether
    a record is the one whose details its creditor's or debtor's row takes is worked out here
    in one pass (`_naming`), rather than by sorting the staging table."""
    names_creditor, names_debtor = _naming(accepted)
    actions = ["created" if case_id is None else "updated" for case_id in held_ids] if held_ids else repeat("created")
    cols = ", ".join(f"{name} {_TYPES.get(name, 'TEXT')}" for name in STAGED)
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS _intake ({cols})")
    names = ", ".join(STAGED)
    staged = zip(count(), accepted, case_ids, export_ids, actions)
    if dialect == "postgresql":
        # TRUNCATE, not DELETE: autovacuum never visits temporary tables, so deleted rows
        # would stay and every later batch would scan them again.
        conn.exec_driver_sql("TRUNCATE _intake")
        # Text lines: no field holds a tab or newline (validation refuses control
        # characters), so doubling backslashes is all the escaping COPY needs.
        tab = "\t"
        lines = [
            f"{tab.join(row)}\t{case_id}\t{export_id}\t{action}"
            f"\t{int(i in names_creditor)}\t{int(i in names_debtor)}\n"
            for i, (_, row, _), case_id, export_id, action in staged
        ]
        data = "".join(lines)
        if "\\" in data:
            data = data.replace("\\", "\\\\")
        with conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY _intake ({names}) FROM STDIN (NULL '')") as copy:
                copy.write(data)
    else:
        conn.exec_driver_sql("DELETE FROM _intake")
        # Optional fields go through nullif(): an absent value is staged as NULL, as on PostgreSQL.
        marks = ", ".join("nullif(?, '')" if name in OPTIONAL else "?" for name in STAGED)
        rows = [
            (*row[:EXPORTED_AT], _sqlite_stamp(at), *row[EXPORTED_AT + 1:], case_id, export_id, action,
             i in names_creditor, i in names_debtor)
            for i, (_, row, at), case_id, export_id, action in staged
        ]
        conn.exec_driver_sql(f"INSERT INTO _intake ({names}) VALUES ({marks})", rows)


@lru_cache(maxsize=256)
def _sqlite_stamp(stamp: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it on SQLite (comparable as text)."""
    return stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# The newest accepted record of each creditor names it.
_UPSERT_CREDITORS = """
INSERT INTO creditors (external_id, name, created_at)
SELECT creditor_id, creditor_name, :now FROM _intake WHERE names_creditor = 1
ON CONFLICT (external_id) DO UPDATE SET name = excluded.name WHERE creditors.name <> excluded.name
"""

# A debtor's details come from its newest record; an older one never overwrites them.
_UPSERT_DEBTORS = """
INSERT INTO debtors (key, external_id, type, name, email, phone, birth_date, postcode, country,
                     language, exported_at)
SELECT debtor_key, debtor_id, debtor_type, debtor_name, debtor_email, debtor_phone, debtor_birth_date,
       debtor_postcode, debtor_country, debtor_language, exported_at FROM _intake WHERE names_debtor = 1
ON CONFLICT (key) DO UPDATE SET external_id = excluded.external_id, type = excluded.type,
    name = excluded.name, email = excluded.email, phone = excluded.phone,
    birth_date = excluded.birth_date, postcode = excluded.postcode, country = excluded.country,
    language = excluded.language, exported_at = excluded.exported_at
WHERE excluded.exported_at >= debtors.exported_at
"""

# The corrected debtors whose row the upsert just gave a record's values (its exported_at).
_CORRECTED_DEBTORS = """
SELECT d.id, d.exported_at FROM contact_corrections AS c
JOIN debtors AS d ON d.id = c.debtor_id
JOIN _intake AS s ON s.debtor_key = d.key AND s.names_debtor = 1 AND s.exported_at = d.exported_at
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
