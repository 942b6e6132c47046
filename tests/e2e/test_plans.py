"""Instalment plans in a real browser: choose an offer and pay the first instalment; a proposal an agent
approves in a browser of their own; a failed instalment and its pay-now button."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from portal.agent import accounts
from portal.agent.models import StaffRole
from portal.extensions import db
from portal.plans import services
from portal.plans.collect import collect
from portal.plans.models import Plan, PlanState
from tests import factories
from tests.e2e.journeys import open_case, sign_in_with_link, submit

#: A phone without JavaScript, and a desktop with it.
pytestmark = pytest.mark.parametrize(("device", "js"), [("phone-360", False), ("desktop", True)],
                                     ids=["phone-360-js-off", "desktop-js-on"])

POLICY = {"bands": [{"up_to_minor": 100000, "max_instalments": 6}, {"up_to_minor": None, "max_instalments": 12}],
          "min_instalment_minor": 1000, "frequencies": ["monthly", "biweekly"], "first_payment_within_days": 14,
          "missed_tolerated": 1, "retry_days": [3], "date_moves_allowed": 1, "near_percent": 25}
PASSWORD = "correct horse battery"


@pytest.fixture
def plan_case(app, debtor_case):
    """The debtor's case, its creditor offering instalments under the standard policy."""
    with app.app_context():
        services.save_policy(factories.creditor("ACME-FR"), POLICY, None)
        db.session.commit()
        db.session.remove()
    return debtor_case


def to_plans(page, check, case) -> None:
    """Signed in with the link, from "what you owe" to the plans page."""
    sign_in_with_link(page, case, check)
    open_case(page, case, check)
    with page.expect_navigation():
        page.get_by_role("link", name="Pay in instalments").click()
    check(page, "plan offers")


def pay_on_stripe(page, amount: str, card: str = "4242424242424242") -> None:
    """Fill in Stripe's hosted page and come back to the portal."""
    page.fill("#card_number", card)
    submit(page, f"Pay {amount} EUR")


def wait_until_active(live, timeout: float = 10.0) -> None:
    """Wait for Stripe's webhooks (delivered on the emulator's thread) to make the plan active."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with live.app.app_context():
            state = db.session.scalar(select(Plan.state))
            db.session.remove()
        if state == PlanState.active:
            return
        time.sleep(0.1)
    raise AssertionError(f"the plan is {state}, not active, {timeout} s after the first instalment was paid")


def test_choose_a_plan_pay_the_first_instalment_then_pay_a_failed_one_now(page, check, plan_case, live):
    """4 monthly payments of €29.87: the first on Stripe's page; a declined collection shows a pay-now button."""
    to_plans(page, check, plan_case)
    submit(page, "Choose this plan and pay €29.87 now")
    pay_on_stripe(page, "29.87")
    page.goto(f"{live.url}/cases/{plan_case.reference}/plan")
    check(page, "plan active")
    assert page.get_by_text("Paid €29.87 of €119.50").is_visible()
    wait_until_active(live)
    with live.app.app_context():  # the card now declines, and the second instalment falls due
        plan = db.session.scalars(select(Plan)).one()
        plan.stripe_payment_method_id = "pm_card_chargeCustomerFail"
        due = sorted(plan.instalments, key=lambda i: i.number)[1].due_date
        db.session.commit()
        assert collect(due).failed
        db.session.remove()
    page.reload()
    check(page, "plan with a failed instalment")
    submit(page, "Pay instalment 2 now (€29.87)")
    pay_on_stripe(page, "29.87")
    page.goto(f"{live.url}/cases/{plan_case.reference}/plan")
    assert page.get_by_text("Paid €59.74 of €119.50").is_visible()


def test_a_proposal_an_agent_approves_in_another_browser(page, new_page, check, plan_case, app, live):
    """€10 a month is outside the policy: an agent approves it, and the debtor sees the approved plan."""
    to_plans(page, check, plan_case)
    with page.expect_navigation():
        page.get_by_role("link", name="None of these fit? Propose your own plan").click()
    check(page, "propose")
    page.fill("#amount", "ten")
    submit(page, "Send my proposal")
    check(page, "propose: amount refused")
    page.fill("#amount", "10")
    page.fill("#reason", "Reduced hours at work")
    submit(page, "Send my proposal")
    check(page, "proposal sent")
    assert page.get_by_text("Your proposal is with our team").is_visible()

    with app.app_context():
        accounts.create("agent@agency.test", StaffRole.agent, PASSWORD, with_totp=False)
        db.session.commit()
        db.session.remove()
    agent = new_page(**{"viewport": {"width": 1280, "height": 800}, "is_mobile": False, "has_touch": False})
    agent.goto(f"{live.url}/agent/sign-in")
    check(agent, "agent sign-in")
    agent.fill("#email", "agent@agency.test")
    agent.fill("#password", PASSWORD)
    submit(agent, "Continue")
    check(agent, "agent home")
    agent.goto(f"{live.url}/agent/plans")
    check(agent, "agent plan queue")
    with agent.expect_navigation():
        agent.get_by_role("link", name=plan_case.reference).click()
    check(agent, "agent plan proposal")
    assert agent.get_by_text("Reduced hours at work").is_visible(), agent.locator("main").inner_text()
    submit(agent, "Approve as proposed")
    check(agent, "agent plan approved")
    agent.goto(f"{live.url}/agent/cases/{plan_case.reference}")
    check(agent, "agent case")
    submit(agent, "Save note")
    check(agent, "agent case: empty note refused")
    for path in ("/agent/cases?q=" + plan_case.reference, "/agent/ledger", "/agent/disputes"):
        agent.goto(live.url + path)
        check(agent, f"agent {path}")

    page.reload()
    check(page, "proposal approved")
    assert page.get_by_text("Your plan is approved").is_visible()
