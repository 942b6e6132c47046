"""Export and erasure: every table holding a debtor's data is covered, ledger facts survive erasure."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from portal.auth.models import OneTimeCode
from portal.cases.models import CaseEntry, CaseStatus, Debtor, EntryKind
from portal.disputes.models import Dispute, DisputeReason
from portal.extensions import db
from portal.privacy import services
from portal.privacy.models import PrivacyErasure
from portal.privacy.tables import ERASE, KEPT, NOT_EXPORTED, debtor_tables
from portal.uploads import save_upload
from portal.uploads.models import Upload
from portal.uploads.services import path_of
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LONG_AGO = datetime(2018, 1, 10, tzinfo=UTC)


def _full_case(reference: str, *, status=CaseStatus.closed, exported_at=LONG_AGO, **kw):
    """A case with a payment entry, a dispute with evidence and a one-time code."""
    case = factories.case(reference, status=status, exported_at=exported_at, debtor_id=f"d-{reference}", **kw)
    upload = save_upload(FileStorage(io.BytesIO(PDF), filename="proof.pdf", content_type="application/pdf"),
                         case.debtor_id)
    dispute = Dispute(case_id=case.id, reason=DisputeReason.already_paid, message="I paid at the shop, Marie")
    dispute.evidence.append(upload)
    db.session.add_all([
        dispute,
        CaseEntry(case_id=case.id, kind=EntryKind.payment, amount_minor=5000, currency="EUR", sequence=1,
                  occurred_at=exported_at),
        OneTimeCode(case_id=case.id, attempt_hash="a" * 64, channel="email", code_hash="b" * 64,
                    expires_at=exported_at + timedelta(minutes=10)),
    ])
    db.session.commit()
    return case


def test_every_debtor_table_is_exported_and_has_an_erasure_rule(app, ctx):
    names = {t.name for t in debtor_tables()}
    assert {"debtors", "cases", "uploads", "disputes", "payments"} <= names
    assert not set(ERASE) & set(KEPT), "a table is either erased or kept"
    assert names <= set(ERASE) | set(KEPT), f"no erasure rule for {sorted(names - set(ERASE) - set(KEPT))}"
    assert set(NOT_EXPORTED) <= set(KEPT), "only tables without personal data stay out of the export"
    with app.test_request_context():
        _full_case("AK-2026-100001")
    data = services.export("AK-2026-100001")
    assert set(data["tables"]) == names - set(NOT_EXPORTED)


def test_export_holds_the_debtors_data_and_nobody_elses(app, ctx):
    with app.test_request_context():
        case = _full_case("AK-2026-100002", name="Marie Dupont")
        factories.case("AK-2026-100003", name="Jean Martin", email="jean@example.fr", debtor_id="other")
    data = json.loads(json.dumps(services.export("ak-2026-100002")))
    tables = data["tables"]
    assert tables["debtors"][0]["name"] == "Marie Dupont" and tables["debtors"][0]["birth_date"] == "1980-04-12"
    assert [c["reference"] for c in tables["cases"]] == ["AK-2026-100002"]
    assert tables["uploads"][0]["filename"] == "proof.pdf" and "storage_key" not in tables["uploads"][0]
    assert tables["disputes"][0]["message"] == "I paid at the shop, Marie"
    assert tables["one_time_codes"] and "code_hash" not in tables["one_time_codes"][0]
    assert "Jean" not in json.dumps(data) and data["debtor_id"] == case.debtor_id
    assert services.export("NO-SUCH-CASE") is None


def test_erasure_removes_personal_data_and_keeps_ledger_facts(app, ctx):
    with app.test_request_context():
        old = _full_case("AK-2026-100004")
        recent = _full_case("AK-2026-100005", exported_at=datetime(2026, 10, 1, tzinfo=UTC))
        ongoing = _full_case("AK-2026-100006", status=CaseStatus.open)
    old_id, recent_id, ongoing_id = old.debtor_id, recent.debtor_id, ongoing.debtor_id
    file_path = path_of(db.session.scalar(select(Upload).where(Upload.owner_debtor_id == old_id)))
    assert file_path.exists()

    run = services.erase_due(now=datetime(2026, 11, 28, tzinfo=UTC))
    assert run.erased == 1
    debtor = db.session.get(Debtor, old_id)
    assert (debtor.name, debtor.email, debtor.phone, debtor.birth_date, debtor.postcode) == ("", None, None, None, None)
    assert db.session.scalar(select(func.count()).select_from(Upload).where(Upload.owner_debtor_id == old_id)) == 0
    assert not file_path.exists()
    dispute = db.session.scalar(select(Dispute).where(Dispute.case_id == old.id))
    assert dispute.message == "" and dispute.reason == DisputeReason.already_paid
    assert db.session.scalar(select(func.count()).select_from(OneTimeCode).where(OneTimeCode.case_id == old.id)) == 0
    # The ledger facts stay.
    entry = db.session.scalar(select(CaseEntry).where(CaseEntry.case_id == old.id))
    assert entry.amount_minor == 5000 and entry.sequence == 1
    assert services.export("AK-2026-100004")["erased_at"] is not None
    # Within retention, or still going on: untouched.
    assert db.session.get(Debtor, recent_id).name == "Marie Dupont"
    assert db.session.get(Debtor, ongoing_id).name == "Marie Dupont"
    # Twice is harmless.
    assert services.erase_due(now=datetime(2026, 11, 28, tzinfo=UTC)).erased == 0


def test_creditor_retention_period_is_honoured(app, ctx):
    with app.test_request_context():
        _full_case("AK-2026-100007", creditor_id="SHORT", exported_at=datetime(2026, 9, 1, tzinfo=UTC),
                   retention_days=30)
    assert services.erase_due(now=datetime(2026, 9, 20, tzinfo=UTC)).erased == 0
    assert services.erase_due(now=datetime(2026, 10, 2, tzinfo=UTC)).erased == 1


def test_cli_export_and_erase(app, runner):
    with app.app_context(), app.test_request_context():
        _full_case("AK-2026-100008")
    result = runner.invoke(args=["privacy", "export", "AK-2026-100008"])
    assert result.exit_code == 0 and json.loads(result.output)["tables"]["cases"][0]["reference"] == "AK-2026-100008"
    missing = runner.invoke(args=["privacy", "export", "NOPE-000"])
    assert missing.exit_code == 1
    erased = runner.invoke(args=["privacy", "erase"])
    assert erased.exit_code == 0 and "Erased 1 debtor" in erased.output
    assert "Erased 0 debtor" in runner.invoke(args=["privacy", "erase"]).output


@pytest.mark.postgres
def test_two_runs_at_once_erase_each_debtor_once(app):
    with app.app_context(), app.test_request_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs PostgreSQL")
        for n in range(6):
            _full_case(f"AK-2026-2000{n:02d}")
    results, errors = [], []

    def run():
        try:
            with app.app_context(), app.test_request_context():
                results.append(services.erase_due())
                db.session.remove()
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.erased for r in results) == 6
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PrivacyErasure)) == 6
