"""The demo's dispute journey: the printed case can be disputed with the shipped evidence file; pauses are offered."""

from pathlib import Path

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

import portal
from portal.cases.models import Case
from portal.disputes import services
from portal.disputes.models import DisputeReason
from portal.extensions import db
from portal.support import pauses

EVIDENCE = Path(portal.__file__).parent / "demo" / "evidence-bank-transfer.pdf"


def test_the_printed_case_takes_the_shipped_evidence_file(app, runner):
    result = runner.invoke(args=["demo", "load", "--generated", "0"])
    assert result.exit_code == 0, result.output
    assert "portal/demo/evidence-bank-transfer.pdf" in result.output and "/agent/disputes" in result.output
    with app.app_context(), app.test_request_context(), EVIDENCE.open("rb") as fh:
        case = db.session.scalar(select(Case).where(Case.reference == "DEMO-FR-0002"))
        dispute = services.open_dispute(case, DisputeReason.already_paid, "Paid by transfer on 12 June.",
                                        [FileStorage(fh, filename=EVIDENCE.name)])
        db.session.commit()
        [upload] = dispute.evidence
        assert upload.content_type == "application/pdf" and upload.size_bytes == EVIDENCE.stat().st_size


def test_the_hardship_case_offers_a_pause(app, runner):
    assert runner.invoke(args=["demo", "load", "--generated", "0"]).exit_code == 0
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.reference == "DEMO-FR-0001"))
        assert pauses.allowance(case).left_days == 30
