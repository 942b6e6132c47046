"""Migration 0012 carries over corrections made before it; its downgrade keeps every value in force."""

from __future__ import annotations

from datetime import timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from portal.cases.models import Case, Debtor
from portal.clock import utcnow
from portal.contact.models import ContactCorrection
from portal.extensions import db
from portal.intake import services
from portal.ledger.outbox import record_event
from tests import factories
from tests.contact.test_corrections import stamp
from tests.intake.sample import record


def test_corrections_made_before_0012_hold_after_it_and_its_downgrade_keeps_the_values(ctx):
    kept = factories.case("AK-2026-000001", email="old@example.fr", debtor_id="D-1")
    reverted = factories.case("AK-2026-000002", email="old@example.fr", phone="+33600000002", debtor_id="D-2")
    # What the code before 0012 did: the proven value straight into `debtors`, and the event.
    corrected_at = utcnow()
    kept.debtor.email = "new@example.org"
    record_event(kept, "debtor.contact_changed", {"email": "new@example.org"}, corrected_at)
    record_event(reverted, "debtor.contact_changed", {"phone": "+33699999999"}, corrected_at)  # an export undid it
    db.session.commit()
    kept_id, reverted_id = kept.debtor_id, reverted.debtor_id
    db.session.remove()
    downgrade(revision="0011")
    upgrade(revision="heads")

    (row,) = db.session.scalars(select(ContactCorrection)).all()
    assert (row.debtor_id, row.email, row.email_at, row.phone_at) == (kept_id, "new@example.org", corrected_at, None)
    assert db.session.get(Debtor, reverted_id).phone == "+33600000002"
    # From now on an export made before the ledger had it no longer undoes it.
    pushed = services.push("AK-2026-000001", record("AK-2026-000001", debtor_id="D-1",
                                                     exported_at=stamp(corrected_at + timedelta(seconds=1))))
    db.session.commit()
    assert pushed.result == "updated" and db.session.get(Debtor, kept_id).email == "new@example.org"

    db.session.remove()
    downgrade(revision="0011")
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT email FROM debtors WHERE id = :id"), {"id": kept_id}).scalar_one() \
                == "new@example.org"
            reference = conn.execute(select(Case.reference).where(Case.debtor_id == kept_id)).scalar_one()
        assert reference == "AK-2026-000001"
    finally:
        upgrade(revision="heads")
