"""A debtor's proven e-mail or phone against the nightly export: kept over older records, yielding to newer ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from portal.cases.models import Case, Debtor
from portal.clock import utcnow
from portal.contact import services
from portal.contact.models import ContactCorrection
from portal.extensions import db
from portal.intake.importer import import_file
from portal.intake.records import FIELDS
from portal.ledger.models import EventState, LedgerEvent
from tests.intake.sample import jsonl_bytes, record
from tests.messages.conftest import body_of, sign_in, token

OLD, NEW, AGENTS = "marie@example.fr", "marie.dupont@example.org", "m.dupont@example.com"
REF, OTHER_REF = "AK-2026-0000001", "AK-2026-0000002"


def stamp(moment: datetime) -> str:
    """A moment as the export writes it."""
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def export(app, tmp_path, *records: dict) -> dict:
    """Import the records as a nightly file would bring them; returns the counts."""
    path = tmp_path / f"export-{utcnow().timestamp()}.jsonl"
    path.write_bytes(jsonl_bytes([{name: r[name] for name in FIELDS} for r in records]))
    with app.app_context():
        counts = import_file(path).as_dict()
        db.session.remove()
    return counts


def correct(app, **fields) -> datetime:
    """The debtor of REF proves a new e-mail or phone (as the code page does); returns when."""
    with app.app_context():
        debtor = db.session.scalar(select(Case).where(Case.reference == REF)).debtor
        services.change(debtor, **fields)
        db.session.commit()
        db.session.remove()
    return utcnow()


def deliver(app, *references: str) -> datetime:
    """The relay has the ledger accept the pending events of these cases (all when none given); returns when."""
    with app.app_context():
        query = select(LedgerEvent).join(Case, Case.id == LedgerEvent.case_id).where(LedgerEvent.state == EventState.pending)
        if references:
            query = query.where(Case.reference.in_(references))
        now = utcnow()
        for event in db.session.scalars(query):
            event.move_to(EventState.delivered)
            event.delivered_at = now
        db.session.commit()
        db.session.remove()
    return now


def held(app) -> tuple[str | None, str | None, ContactCorrection | None]:
    """The debtor's e-mail and phone in force, and their correction row."""
    with app.app_context():
        debtor = db.session.scalar(select(Debtor).join(Case).where(Case.reference == REF))
        correction = db.session.get(ContactCorrection, debtor.id)
        found = (debtor.email, debtor.phone, correction)
        db.session.remove()
    return found


def start(app, tmp_path, **changes) -> datetime:
    """The case as exported two days ago; returns that moment."""
    first = utcnow() - timedelta(days=2)
    assert export(app, tmp_path, record(REF, exported_at=stamp(first), **changes))["created"] == 1
    return first


def test_an_export_made_before_the_ledger_had_the_correction_does_not_undo_it(app, client, agent, tmp_path, mailbox):
    start(app, tmp_path)
    corrected = correct(app, email=NEW)
    # Made after the correction, before the event reached the ledger: it still says the old address.
    counts = export(app, tmp_path, record(REF, interest_minor="300", exported_at=stamp(corrected + timedelta(seconds=1))))
    assert counts["updated"] == 1
    email, _phone, correction = held(app)
    assert email == NEW and correction.export_email == OLD

    delivered = deliver(app)
    # Delivered now, but this record was computed a second before the ledger accepted it.
    export(app, tmp_path, record(REF, interest_minor="310", exported_at=stamp(delivered - timedelta(seconds=1))))
    assert held(app)[0] == NEW

    with app.app_context():
        debtor_id = db.session.scalar(select(Case.debtor_id).where(Case.reference == REF))
        db.session.remove()
    path = f"/agent/debtors/{debtor_id}/messages"
    agent.post(path, data={"csrf_token": token(agent, path), "body": "Your plan is ready."})
    assert [str(m["To"]) for m in mailbox.sent] == [NEW]
    assert NEW in agent.get(f"/agent/cases/{REF}").get_data(as_text=True)
    sign_in(client, debtor_id)
    page = client.get("/contact").get_data(as_text=True)
    assert NEW in page and OLD not in page


def test_an_export_made_after_the_ledger_accepted_the_correction_is_in_force_again(app, tmp_path):
    start(app, tmp_path)
    correct(app, email=NEW)
    delivered = deliver(app)
    # An agent changed the address after the ledger had the debtor's: the export wins.
    export(app, tmp_path, record(REF, debtor_email=AGENTS, exported_at=stamp(delivered + timedelta(minutes=5))))
    assert held(app)[0] == AGENTS and held(app)[2] is None
    # And later exports keep moving it, with no correction left to hold against them.
    export(app, tmp_path, record(REF, debtor_email=OLD, exported_at=stamp(delivered + timedelta(hours=24))))
    assert held(app)[0] == OLD


def test_a_restated_unchanged_record_made_after_delivery_puts_the_exports_value_back(app, tmp_path):
    first = start(app, tmp_path)
    correct(app, email=NEW)
    unchanged = record(REF, exported_at=stamp(first))
    before = utcnow()
    assert export(app, tmp_path, {**unchanged, "exported_at": stamp(before)})["unchanged"] == 1
    assert held(app)[0] == NEW  # restated before the ledger had it: still the debtor's

    delivered = deliver(app)
    # The collection system knew of the new address and still says the old one.
    assert export(app, tmp_path, {**unchanged, "exported_at": stamp(delivered + timedelta(hours=1))})["unchanged"] == 1
    assert held(app)[0] == OLD and held(app)[2] is None


def test_an_export_carrying_the_corrected_value_ends_the_correction(app, tmp_path):
    start(app, tmp_path)
    corrected = correct(app, email=NEW)
    # The agent typed the new address in from a phone call: the collection system has it.
    export(app, tmp_path, record(REF, debtor_email=NEW, exported_at=stamp(corrected + timedelta(seconds=1))))
    assert held(app)[0] == NEW and held(app)[2] is None
    # So a later change by the agent is in force even though the event was never delivered.
    export(app, tmp_path, record(REF, debtor_email=AGENTS, exported_at=stamp(corrected + timedelta(seconds=2))))
    assert held(app)[0] == AGENTS


def test_a_corrected_phone_keeps_the_exports_e_mail_moving(app, tmp_path, sms_box):
    start(app, tmp_path)
    corrected = correct(app, phone="+33698765432")
    export(app, tmp_path, record(REF, debtor_email=AGENTS, exported_at=stamp(corrected + timedelta(seconds=1))))
    email, phone, correction = held(app)
    assert (email, phone) == (AGENTS, "+33698765432")
    assert (correction.email_at, correction.export_phone) == (None, "+33612345678")

    correct(app, email=NEW)  # then the e-mail too: each field waits for its own events
    export(app, tmp_path, record(REF, debtor_email=AGENTS, exported_at=stamp(utcnow())))
    assert held(app)[:2] == (NEW, "+33698765432")
    delivered = deliver(app)
    export(app, tmp_path, record(REF, debtor_email=AGENTS, debtor_phone="+33611111111",
                                 exported_at=stamp(delivered + timedelta(minutes=1))))
    assert held(app)[:2] == (AGENTS, "+33611111111") and held(app)[2] is None


def test_a_debtor_with_several_cases_keeps_the_correction_until_every_case_has_it(app, tmp_path):
    first = utcnow() - timedelta(days=2)
    export(app, tmp_path, record(REF, exported_at=stamp(first)), record(OTHER_REF, exported_at=stamp(first)))
    correct(app, email=NEW)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(LedgerEvent)) == 2  # one event per case
        db.session.remove()
    one = deliver(app, REF)
    # The other case's event is still on its way: its record may still carry the old address.
    export(app, tmp_path, record(OTHER_REF, interest_minor="999", exported_at=stamp(one + timedelta(minutes=1))))
    assert held(app)[0] == NEW

    both = deliver(app)
    export(app, tmp_path, record(OTHER_REF, debtor_email=AGENTS, exported_at=stamp(both + timedelta(minutes=1))))
    assert held(app)[0] == AGENTS and held(app)[2] is None


def test_correcting_back_to_the_exports_value_leaves_nothing_to_hold(app, tmp_path):
    start(app, tmp_path)
    correct(app, email=NEW)
    correct(app, email=OLD)
    email, _phone, correction = held(app)
    assert email == OLD and correction is None
