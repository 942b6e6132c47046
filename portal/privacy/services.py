"""Export everything held about a debtor; erase personal data past the creditor's retention period."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from portal.cases.balance import case_breakdown
from portal.cases.models import Case, CaseEntry, CaseStatus, Debtor
from portal.clock import utcnow
from portal.extensions import db
from portal.privacy.models import PrivacyErasure
from portal.privacy.tables import DELETE, ERASE, NOT_EXPORTED, REDACTED_COLUMNS, debtor_tables

log = logging.getLogger(__name__)


def rows_by_table(debtor_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of every debtor table that belongs to this debtor, as plain dicts, by table name."""
    found: dict[str, list[dict[str, Any]]] = {}
    for table in debtor_tables():
        if table.name == "debtors":
            condition = table.c.id == debtor_id
        else:
            links = [
                fk.parent.in_({row[fk.column.name] for row in found[fk.column.table.name]})
                for fk in table.foreign_keys if fk.column.table.name in found
            ]
            condition = or_(*links)
        found[table.name] = [dict(row._mapping) for row in db.session.execute(select(table).where(condition))]
    return found


def _plain(value: Any) -> Any:
    """A JSON-friendly version of a column value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def export(reference: str) -> dict[str, Any] | None:
    """Everything the portal holds about the debtor of the case `reference`, or None if unknown."""
    case = db.session.scalar(select(Case).where(Case.reference == reference.strip().upper()))
    if case is None:
        return None
    tables = {
        name: [{k: _plain(v) for k, v in row.items() if k not in REDACTED_COLUMNS} for row in rows]
        for name, rows in rows_by_table(case.debtor_id).items() if name not in NOT_EXPORTED
    }
    erased = db.session.get(PrivacyErasure, case.debtor_id)
    return {
        "debtor_id": case.debtor_id,
        "exported_at": utcnow().isoformat(),
        "erased_at": erased.erased_at.isoformat() if erased else None,
        "tables": tables,
    }


@dataclass(frozen=True)
class ErasureRun:
    """What one `erase` run did."""

    erased: int
    skipped: int


def finished_at(case: Case) -> datetime | None:
    """When a case ended (closed by the agency or nothing left to pay), or None while it goes on."""
    export = case.export
    if export is None:
        return None
    if export.status != CaseStatus.closed and case_breakdown(case).total_due.minor > 0:
        return None
    last_entry = db.session.scalar(select(CaseEntry.occurred_at).where(CaseEntry.case_id == case.id)
                                   .order_by(CaseEntry.occurred_at.desc()).limit(1))
    return max(filter(None, [export.exported_at, last_entry]))


def due_for_erasure(debtor: Debtor, now: datetime) -> bool:
    """Whether every case of the debtor ended more than its creditor's retention period ago."""
    if not debtor.cases:
        return False
    for case in debtor.cases:
        ended = finished_at(case)
        if ended is None or now - ended < timedelta(days=case.creditor.retention_days):
            return False
    return True


def erase_debtor(debtor_id: int) -> None:
    """Remove one debtor's personal data, keeping the ledger facts; flushes only."""
    from portal.uploads.models import Upload
    from portal.uploads.services import delete_upload

    rows = rows_by_table(debtor_id)
    tables = {t.name: t for t in debtor_tables()}
    for upload in db.session.scalars(select(Upload).where(Upload.owner_debtor_id == debtor_id)):
        for table in tables.values():  # link rows first: SQLite does not cascade without its pragma
            for fk in table.foreign_keys:
                if fk.column.table.name == "uploads" and table.name != "uploads":
                    db.session.execute(delete(table).where(fk.parent == upload.id))
        delete_upload(upload)
    for name, rule in ERASE.items():
        if name not in tables or name == "uploads" or not rows.get(name):
            continue
        table: Table = tables[name]
        keys = [tuple(row[c.name] for c in table.primary_key) for row in rows[name]]
        where = or_(*[_pk_match(table, key) for key in keys])
        if rule == DELETE:
            db.session.execute(delete(table).where(where))
        else:
            db.session.execute(update(table).where(where).values(**rule))
    db.session.add(PrivacyErasure(debtor_id=debtor_id))
    db.session.flush()


def _pk_match(table: Table, key: tuple) -> Any:
    """The WHERE clause for one row by its primary key."""
    from sqlalchemy import and_

    return and_(*[column == value for column, value in zip(table.primary_key, key)])


def erase_due(now: datetime | None = None) -> ErasureRun:
    """Erase every debtor past retention, each in its own transaction (commits); safe to run twice at once.

    A debtor locked by another run is skipped (PostgreSQL SKIP LOCKED); one it already erased is
    skipped by the `privacy_erasures` row; a race to erase the same debtor loses on its primary key.
    """
    now = now or utcnow()
    candidates = list(db.session.scalars(
        select(Debtor.id).where(~exists().where(PrivacyErasure.debtor_id == Debtor.id)).order_by(Debtor.id)
    ))
    db.session.commit()
    erased = skipped = 0
    for debtor_id in candidates:
        try:
            debtor = db.session.scalar(
                select(Debtor).where(Debtor.id == debtor_id).with_for_update(skip_locked=True)
            )
            if debtor is None or db.session.get(PrivacyErasure, debtor_id) or not due_for_erasure(debtor, now):
                db.session.rollback()
                skipped += debtor is None
                continue
            erase_debtor(debtor_id)
            db.session.commit()
            erased += 1
            log.info("privacy: erased debtor %s", debtor_id)
        except IntegrityError:
            db.session.rollback()  # another run erased this debtor first
            skipped += 1
    return ErasureRun(erased, skipped)
