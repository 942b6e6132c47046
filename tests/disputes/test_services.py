"""A dispute pauses automatic collection and reminders on its case; the decision resumes them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.agent import accounts
from portal.agent.models import StaffRole
from portal.cases.models import Case
from portal.disputes import services
from portal.disputes.models import Dispute, UpheldOutcome
from portal.extensions import db
from portal.plans.collect import collect
from tests.disputes.conftest import dispute
from tests.plans.test_journey import _agree, _plan


def _decide(app, upheld: bool, **kw) -> None:
    with app.app_context(), app.test_request_context():
        staff = accounts.create("decider@agency.test", StaffRole.agent, "correct horse battery")
        services.resolve(db.session.scalars(select(Dispute)).one(), staff, upheld, **kw)
        db.session.commit()


def test_collection_and_reminders_pause_during_a_dispute_and_resume_after(app, plan_debtor, emulator, mailbox):
    _agree(app, plan_debtor, emulator)
    second_due = _plan(app)[1][1][3]
    assert dispute(plan_debtor).status_code == 303
    sent = len(mailbox.sent)
    with app.app_context():
        reminders = collect(second_due - timedelta(days=2))
        report = collect(second_due)
    assert (reminders.reminded, report.charged) == (0, [])
    assert [s for _n, s, _a, _d in _plan(app)[1]] == ["paid", "scheduled", "scheduled", "scheduled"]
    assert len(mailbox.sent) == sent  # no reminder either
    _decide(app, upheld=False, explanation="We checked: the June transfer was for another case.")
    with app.app_context():
        report = collect(second_due)
    assert len(report.charged) == 1
    assert [s for _n, s, _a, _d in _plan(app)[1]] == ["paid", "paid", "scheduled", "scheduled"]


def test_an_upheld_dispute_pauses_until_an_export_shows_the_correction(app, plan_debtor, emulator):
    dispute(plan_debtor)
    _decide(app, upheld=True, explanation=None, outcome=UpheldOutcome.close)
    with app.app_context():
        case = db.session.scalars(select(Case)).one()
        assert services.is_paused(case)
        decided = db.session.scalars(select(Dispute.resolved_at)).one()
        case.exported_at_seen = decided + timedelta(minutes=5)  # the ledger's next export arrived
        db.session.commit()
        assert not services.is_paused(case)


def test_no_dispute_means_no_pause(app, plan_debtor):
    with app.app_context():
        assert not services.is_paused(db.session.scalars(select(Case)).one())
