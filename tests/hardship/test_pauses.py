"""A pause of up to N days where the creditor allows it: asked from the hardship page, seen by agents, ends by itself."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.cases.models import Case
from portal.clock import today
from portal.extensions import db
from portal.plans.collect import collect
from portal.support import pauses
from portal.support.models import CasePause
from tests.agent.conftest import audit_rows
from tests.disputes.conftest import token
from tests.plans.conftest import give_policy
from tests.plans.test_journey import _agree, _plan


def _ask(debtor, days: str):
    """Post the pause form as a browser would."""
    path = f"/cases/{debtor.reference}/hardship"
    return debtor.client.post(path + "/pause", data={"csrf_token": token(debtor.client, path), "days": days})


def _pauses(app) -> list[tuple]:
    with app.app_context():
        rows = [(p.starts_on, p.ends_on, p.days) for p in db.session.scalars(select(CasePause))]
        db.session.remove()
    return rows


def test_no_pause_is_offered_where_the_creditor_does_not_allow_one(app, plan_debtor):
    page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}/hardship").get_data(as_text=True)
    assert "/hardship/pause" not in page
    response = _ask(plan_debtor, "10")
    assert response.status_code == 400 and "not available" in response.get_data(as_text=True)
    assert _pauses(app) == []


def test_a_pause_within_the_allowance_is_kept_audited_and_shown_to_agents(app, plan_debtor, agent):
    give_policy(app, pause_max_days=30)
    page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}/hardship").get_data(as_text=True)
    assert "up to 30 days" in page and 'max="30"' in page

    too_long = _ask(plan_debtor, "45")
    assert too_long.status_code == 400
    assert "Choose between 1 and 30 days" in too_long.get_data(as_text=True)
    assert 'aria-invalid="true"' in too_long.get_data(as_text=True)
    not_a_number = _ask(plan_debtor, "two weeks")
    assert not_a_number.status_code == 400 and "number of days" in not_a_number.get_data(as_text=True)
    assert _pauses(app) == []

    response = _ask(plan_debtor, "20")
    assert response.status_code == 303
    assert _pauses(app) == [(today(), today() + timedelta(days=20), 20)]
    page = plan_debtor.client.get(response.location).get_data(as_text=True)
    assert "paused on this case" in page and "/hardship/pause" not in page
    assert f'<time datetime="{(today() + timedelta(days=20)).isoformat()}">' in page  # not escaped
    again = _ask(plan_debtor, "5")
    assert again.status_code == 400 and "already paused" in again.get_data(as_text=True)
    assert len(_pauses(app)) == 1

    [row] = audit_rows(app, "debtor.pause_requested")
    assert row["staff_id"] is None and row["target"] == plan_debtor.reference and row["details"]["days"] == 20
    support = agent.get(f"/agent/cases/{plan_debtor.reference}/support").get_data(as_text=True)
    assert "Pauses in collection asked by the debtor" in support and "Paused" in support
    case_page = agent.get(f"/agent/cases/{plan_debtor.reference}").get_data(as_text=True)
    assert "the debtor" in case_page and "Paused collection and reminders" in case_page


def test_the_pause_ends_by_itself_and_the_days_left_can_still_be_asked(app, plan_debtor):
    give_policy(app, pause_max_days=30)
    assert _ask(plan_debtor, "20").status_code == 303
    with app.app_context():
        case = db.session.scalars(select(Case)).one()
        paused = select(pauses.collection_paused(Case.id, today() + timedelta(days=19)))
        ended = select(pauses.collection_paused(Case.id, today() + timedelta(days=20)))
        assert db.session.scalar(paused.where(Case.id == case.id))
        assert not db.session.scalar(ended.where(Case.id == case.id))
        # As seen on the day it ends: nothing is running, ten days are left.
        pause = db.session.scalars(select(CasePause)).one()
        pause.starts_on -= timedelta(days=20)
        pause.ends_on -= timedelta(days=20)
        db.session.commit()
        allowed = pauses.allowance(case)
        assert (allowed.active, allowed.left_days, allowed.offered) == (None, 10, True)
    assert "up to 10 days" in plan_debtor.client.get(f"/cases/{plan_debtor.reference}/hardship").get_data(as_text=True)


def test_a_pause_moves_the_plan_back_and_nothing_is_collected_or_reminded_meanwhile(app, plan_debtor, emulator,
                                                                                   mailbox):
    give_policy(app, pause_max_days=60)
    _agree(app, plan_debtor, emulator)
    before = _plan(app)[1]
    assert _ask(plan_debtor, "45").status_code == 303
    after = _plan(app)[1]
    assert after[0] == before[0]  # the paid one stays as it was
    assert [d for _n, _s, _a, d in after[1:]] == [d + timedelta(days=45) for _n, _s, _a, d in before[1:]]

    old_second_due = before[1][3]
    sent = len(mailbox.sent)
    with app.app_context():
        reminders = collect(old_second_due - timedelta(days=2))
        report = collect(old_second_due)
    assert (reminders.reminded, report.charged) == (0, [])
    assert len(mailbox.sent) == sent
    assert [s for _n, s, _a, _d in _plan(app)[1]] == ["paid", "scheduled", "scheduled", "scheduled"]

    with app.app_context():  # after the pause, collection runs on the moved date
        report = collect(after[1][3])
    assert len(report.charged) == 1
    assert [s for _n, s, _a, _d in _plan(app)[1]] == ["paid", "paid", "scheduled", "scheduled"]

