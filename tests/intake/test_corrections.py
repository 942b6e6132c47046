"""Imports and pushes keep a debtor's proven e-mail or phone over older records, in one pass per batch."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.cases.models import Case, Debtor
from portal.clock import utcnow
from portal.contact import services as contact
from portal.contact.models import ContactCorrection
from portal.extensions import db
from portal.intake import services
from portal.intake.importer import import_file
from tests.contact.test_corrections import stamp
from tests.intake.sample import jsonl_bytes, record


def _email(reference: str) -> str | None:
    return db.session.scalar(select(Debtor.email).join(Case).where(Case.reference == reference))


def test_a_pushed_record_older_than_the_ledgers_knowledge_keeps_the_correction(ctx):
    first = utcnow() - timedelta(days=1)
    assert services.push("AK-2026-0000001", record(exported_at=stamp(first))).result == "created"
    db.session.commit()
    debtor = db.session.scalar(select(Debtor))
    contact.change(debtor, email="new@example.org")
    db.session.commit()
    pushed = services.push("AK-2026-0000001", record(interest_minor="999", exported_at=stamp(utcnow())))
    db.session.commit()
    db.session.expire_all()
    assert pushed.result == "updated" and _email("AK-2026-0000001") == "new@example.org"
    assert pushed.case.export.interest_minor == 999  # the rest of the record is in force as usual


def test_a_file_of_many_debtors_holds_only_the_corrected_one(ctx, tmp_path):
    first = utcnow() - timedelta(days=1)
    references = [f"AK-2026-{n:07d}" for n in range(1, 31)]

    def nightly(at, **changes):
        path = tmp_path / f"{at.timestamp()}.jsonl"
        path.write_bytes(jsonl_bytes([record(ref, debtor_id=f"D{n}", debtor_email=f"d{n}@example.fr",
                                             exported_at=stamp(at), **changes) for n, ref in enumerate(references)]))
        return import_file(path, batch_size=7).as_dict()

    assert nightly(first)["created"] == 30
    corrected = db.session.scalar(select(Case).where(Case.reference == references[12])).debtor
    contact.change(corrected, email="new@example.org")
    db.session.commit()
    assert nightly(utcnow(), interest_minor="400")["updated"] == 30
    db.session.expire_all()
    emails = {ref: _email(ref) for ref in references}
    assert emails.pop(references[12]) == "new@example.org"
    assert emails == {ref: f"d{n}@example.fr" for n, ref in enumerate(references) if n != 12}
    assert db.session.scalar(select(db.func.count()).select_from(ContactCorrection)) == 1
