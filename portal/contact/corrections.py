"""A debtor's corrected e-mail or phone against the nightly export: which one is in force.

The rule. A field (e-mail, phone) the debtor corrected with a one-time code stays in force
over every export record the collection system produced before it could know of the
correction. It knows once the ledger has accepted every `debtor.contact_changed` event the
correction posted (one per live case): the relay stamps `delivered_at` on each outbox row
after the ledger's 200, and the latest of them is the moment the correction is known. So
an export record supersedes the correction, and is in force again, when

* every event of the correction is delivered and the record's `exported_at` is later than
  the latest `delivered_at` (an agent may have changed the contact since: the export is
  authoritative again), or
* the record carries the corrected value itself (the collection system has it, however it
  learnt it).

Otherwise (an event still pending, dead, or sent back by a sequence gap; or a record made
before the last delivery) the correction is put back over the record's value. Waiting for
every case's event, not the first, is the reading of the contract that never reverts the
debtor: it says the ledger takes the change per case, not whether it keeps contacts per
case or per person. A correction whose event is a dead letter stays in force until an
operator requeues it and the ledger accepts it. The events of a correction are the
`debtor.contact_changed` events of the debtor's cases whose `occurred_at` is the
correction's `*_at` (`services.change` stamps them all with it).

The design: `debtors.email` / `debtors.phone` always hold the value in force, and
`contact_corrections` (one row per debtor) holds what the import needs to keep them so:
the corrected values, when they were proven, and the export's own latest values (put back
when a record that restates the held one unchanged supersedes the correction). The
import re-applies or retires corrections right after its debtor upsert (`settle_written`)
and when it restates cases (`settle_restated`). The other design, keeping the export's
values in `debtors` and making every reader compute the effective value, would touch a
dozen readers in other features (sign-in codes, receipts, plan and dispute mail,
messages, Stripe customers, the agent's search and case view, the debtor's pages), some
of them SQL, and any reader forgotten later would bring the bug back. Here no reader
changes and the rule lives in one module. The import's cost is one `EXISTS` on this small
table per batch while no correction is open, and per batch a join of its staged rows with
the open corrections otherwise: nothing per record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, case, delete, exists, func, select, update

from portal.cases.models import Case, Debtor
from portal.contact.models import ContactCorrection
from portal.ledger.models import EventState, LedgerEvent

#: The fields a debtor proves with a code and the export also carries.
FIELDS = ("email", "phone")
EVENT_TYPE = "debtor.contact_changed"


def correct(correction: ContactCorrection, debtor: Debtor, field: str, value: str, at: datetime) -> None:
    """Put the debtor's proven `value` of `field` in force from `at` (the time stamped on its events)."""
    if getattr(correction, f"{field}_at") is None:
        setattr(correction, f"export_{field}", getattr(debtor, field))  # not corrected: the export's value
    if value == getattr(correction, f"export_{field}"):
        # Back to what the export says: nothing left to hold against it.
        values = {field: None, f"{field}_at": None, f"export_{field}": None}
    else:
        values = {field: value, f"{field}_at": at}
    for name, new in values.items():
        setattr(correction, name, new)
    setattr(debtor, field, value)


def any_open(conn: Connection) -> bool:
    """Whether any correction is in force at all (the import skips everything else when none is)."""
    return conn.execute(select(exists().select_from(ContactCorrection.__table__))).scalar()


def settle_written(conn: Connection, written: dict[int, datetime]) -> None:
    """After the import wrote export records' values into `debtors`: re-apply or retire their corrections.

    `written`: debtor id -> `exported_at` of the record now in their row."""
    _settle(conn, written, restated=False)


def settle_restated(conn: Connection, restated: list[tuple[int, datetime]]) -> None:
    """After records restating their cases unchanged: retire the corrections those records supersede.

    `restated`: (case id, `exported_at`) pairs; only the cases of corrected debtors matter."""
    corrected = dict(conn.execute(
        select(Case.id, Case.debtor_id).join(ContactCorrection, ContactCorrection.debtor_id == Case.debtor_id)
    ).all())
    newest: dict[int, datetime] = {}
    for case_id, at in restated:
        debtor_id = corrected.get(case_id)
        if debtor_id is not None and (debtor_id not in newest or at > newest[debtor_id]):
            newest[debtor_id] = at
    _settle(conn, newest, restated=True)


def _settle(conn: Connection, exports: dict[int, datetime], *, restated: bool) -> None:
    """Apply the rule to the corrections of `exports`' debtors, the record of each made at the given moment."""
    if not exports:
        return
    held = ContactCorrection.__table__
    debtors = Debtor.__table__
    rows = conn.execute(
        select(held, debtors.c.email.label("held_email"), debtors.c.phone.label("held_phone"))
        .join(debtors, debtors.c.id == held.c.debtor_id).where(held.c.debtor_id.in_(list(exports)))
    ).mappings().all()
    known = known_at(conn, [row["debtor_id"] for row in rows])
    for row in rows:
        debtor_id = row["debtor_id"]
        correction: dict[str, object] = {}
        debtor: dict[str, object] = {}
        for field in FIELDS:
            at = row[f"{field}_at"]
            if at is None:
                continue
            export = row[f"export_{field}"] if restated else row[f"held_{field}"]
            delivered = known.get((debtor_id, at))
            # A restating record carries the saved value, which never equals the correction (see
            # `correct`) except in rows carried over from before 0012: there, only delivery decides.
            if (not restated and export == row[field]) or (delivered is not None and exports[debtor_id] > delivered):
                correction.update({field: None, f"{field}_at": None, f"export_{field}": None})
                if restated:
                    debtor[field] = export
            elif not restated:
                correction[f"export_{field}"] = export
                debtor[field] = row[field]
        if debtor:
            conn.execute(update(debtors).where(debtors.c.id == debtor_id).values(**debtor))
        if all(correction.get(f"{field}_at", row[f"{field}_at"]) is None for field in FIELDS):
            conn.execute(delete(held).where(held.c.debtor_id == debtor_id))
        elif correction:
            conn.execute(update(held).where(held.c.debtor_id == debtor_id).values(**correction))


def known_at(conn: Connection, debtor_ids: list[int]) -> dict[tuple[int, datetime], datetime | None]:
    """(debtor id, correction time) -> when the ledger had accepted all of that correction's events (None: not yet)."""
    if not debtor_ids:
        return {}
    events = LedgerEvent.__table__
    cases = Case.__table__
    rows = conn.execute(
        select(cases.c.debtor_id, events.c.occurred_at, func.count(),
               func.count(case((events.c.state == EventState.delivered, 1))), func.max(events.c.delivered_at))
        .join(cases, cases.c.id == events.c.case_id)
        .where(cases.c.debtor_id.in_(debtor_ids), events.c.type == EVENT_TYPE)
        .group_by(cases.c.debtor_id, events.c.occurred_at)
    )
    return {(debtor_id, at): (last if total == delivered else None)
            for debtor_id, at, total, delivered, last in rows}
