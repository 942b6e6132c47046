"""Proposals: checked at once, referred to an agent who approves in the back office (audited); the debtor sees it."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.agent.models import AuditEntry
from portal.extensions import db
from portal.ledger.models import LedgerEvent
from portal.plans.models import Plan, PlanState


def _propose(debtor, amount: str, **extra):
    page = debtor.client.get(f"/cases/{debtor.reference}/plan/propose").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    start = re.search(r'id="start" name="start" type="date" value="([^"]*)"', page).group(1)
    data = {"csrf_token": token, "amount": amount, "frequency": "monthly", "start": start, **extra}
    return debtor.client.post(f"/cases/{debtor.reference}/plan/propose", data=data)


def _state(app) -> PlanState:
    with app.app_context():
        state = db.session.scalars(select(Plan.state).order_by(Plan.id.desc())).first()
        db.session.remove()
    return state


def test_bad_amount_and_support_needs_without_consent_are_refused_at_the_field(app, plan_debtor):
    response = _propose(plan_debtor, "abc", support_needs="I was ill")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Enter an amount such as 50" in html and 'aria-invalid="true"' in html
    assert "Tick this box" in html and _state(app) is None


def test_within_policy_is_accepted_near_is_countered(app, plan_debtor):
    assert _propose(plan_debtor, "40").status_code == 303  # 3 x 40: within 6 instalments
    assert _state(app) == PlanState.accepted
    page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}/plan").get_data(as_text=True)
    assert "Your plan is approved" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    plan_debtor.client.post(f"/cases/{plan_debtor.reference}/plan/withdraw", data={"csrf_token": token})
    assert _state(app) == PlanState.withdrawn
    assert _propose(plan_debtor, "18").status_code == 303  # 7 instalments: just over 6, within 25 %
    assert _state(app) == PlanState.countered


def test_outside_policy_goes_to_an_agent_who_approves_and_the_debtor_sees_it(app, plan_debtor, agent_browser,
                                                                              mailbox):
    debtor_client = plan_debtor.client
    from tests.plans.conftest import give_policy  # noqa: F401  (policy given by plan_debtor)
    response = _propose(plan_debtor, "10", reason="Reduced hours at work", income="900", expenditure="850",
                        support_needs="Please write rather than call", support_consent="y")
    assert response.status_code == 303 and _state(app) == PlanState.proposed
    page = debtor_client.get(f"/cases/{plan_debtor.reference}/plan").get_data(as_text=True)
    assert "Your proposal is with our team" in page
    queue = agent_browser.get("/agent/plans").get_data(as_text=True)
    assert plan_debtor.reference in queue
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id)).one()
    detail = agent_browser.get(f"/agent/plans/{plan_id}").get_data(as_text=True)
    assert "Reduced hours at work" in detail and "Please write rather than call" in detail
    assert f"Plan {plan_id}: Proposed</h1>" in detail  # a worded state, not the enum's value
    french = agent_browser.get(f"/agent/plans/{plan_id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert re.search(rf"Échéancier {plan_id}\s:\sProposé</h1>", french)  # French puts a no-break space before ":"
    budget = re.sub(r"\s+", " ", detail)
    assert "Monthly income</dt><dd class=\"num\">€900.00" in budget and "90000" not in budget
    assert "Monthly essential spending</dt><dd class=\"num\">€850.00" in budget
    assert "Left each month</dt><dd class=\"num\">€50.00" in budget
    token = re.search(r'name="csrf_token" value="([^"]+)"', detail).group(1)
    assert agent_browser.post(f"/agent/plans/{plan_id}/approve", data={"csrf_token": token}).status_code == 303
    assert _state(app) == PlanState.accepted
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert "plan.view" in actions and "plan.approve" in actions
    assert any("answered your payment plan proposal" in m["Subject"] for m in mailbox.sent)
    assert "Your plan is approved" in debtor_client.get(f"/cases/{plan_debtor.reference}/plan").get_data(as_text=True)


def test_agent_rejection_needs_a_reason_and_reaches_the_ledger(app, plan_debtor, agent_browser):
    _propose(plan_debtor, "10")
    with app.app_context():
        plan_id = db.session.scalars(select(Plan.id)).one()
    detail = agent_browser.get(f"/agent/plans/{plan_id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', detail).group(1)
    empty = agent_browser.post(f"/agent/plans/{plan_id}/reject", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 400 and "Give the reason for the debtor." in empty.get_data(as_text=True)
    agent_browser.post(f"/agent/plans/{plan_id}/reject", data={"csrf_token": token, "reason": "Too long for this debt"})
    assert _state(app) == PlanState.rejected
    with app.app_context():
        assert list(db.session.scalars(select(LedgerEvent.type))) == ["plan.rejected"]
    page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}/plan").get_data(as_text=True)
    assert "Too long for this debt" in page
