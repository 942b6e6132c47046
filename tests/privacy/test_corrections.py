"""The e-mail and phone a debtor corrected are in their data export and go with erasure past retention."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from portal.cases.models import CaseStatus, Debtor
from portal.contact import services as contact
from portal.contact.models import ContactCorrection
from portal.extensions import db
from portal.privacy import services
from tests import factories


def test_a_correction_is_exported_and_erased_past_retention(ctx):
    case = factories.case("AK-2026-200001", status=CaseStatus.closed, exported_at=datetime(2018, 1, 10, tzinfo=UTC),
                          debtor_id="d-1", email="old@example.fr")
    factories.case("AK-2026-200002", debtor_id="d-2", email="other@example.fr")
    for debtor in db.session.scalars(select(Debtor)):
        contact.change(debtor, email=f"new-{debtor.external_id}@example.org", phone="+33698765432")
    db.session.commit()
    debtor_id = case.debtor_id

    (held,) = services.export("AK-2026-200001")["tables"]["contact_corrections"]
    assert (held["email"], held["export_email"], held["phone"]) == ("new-d-1@example.org", "old@example.fr",
                                                                    "+33698765432")

    assert services.erase_due(datetime(2026, 11, 26, tzinfo=UTC)).erased == 1
    assert db.session.get(ContactCorrection, debtor_id) is None
    assert db.session.get(Debtor, debtor_id).email is None
    (other,) = db.session.scalars(select(ContactCorrection)).all()  # the debtor still within retention keeps theirs
    assert other.email == "new-d-2@example.org"
