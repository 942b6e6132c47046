"""`flask demo load`: the newcomer's sign-in details are printed and actually work."""

import re

import pyotp
from sqlalchemy import func, select

from portal.agent.models import Staff
from portal.cases.models import Case
from portal.clock import today
from portal.creditors.models import Creditor
from portal.extensions import db
from portal.links.services import resolve
from portal.money import Money
from portal.plans import offers, services
from portal.plans.models import PlanPolicy
from portal.plans.rules import Frequency
from tests.agent.conftest import post_code, post_password


def test_demo_load_is_idempotent_and_prints_working_links(app, runner):
    first = runner.invoke(args=["demo", "load", "--generated", "50"])
    assert first.exit_code == 0, first.output
    assert "Demo cases: 7 created" in first.output
    second = runner.invoke(args=["demo", "load", "--generated", "50"])
    assert "Demo cases: 7 unchanged" in second.output

    tokens = re.findall(r"/l/([A-Za-z0-9_-]{43})", second.output)
    assert len(tokens) == 6  # every open demo case; the on-hold one has none
    with app.app_context():
        assert all(resolve(t) is not None for t in tokens)
        assert db.session.scalar(select(func.count()).select_from(Case)) >= 57
        assert db.session.scalar(select(Creditor.allow_knowledge_only).where(Creditor.external_id == "DEMO-NL"))
        assert db.session.scalar(select(Creditor.settlement_days).where(Creditor.external_id == "DEMO-SE")) == 30
    for reference in ("DEMO-FR-0001", "DEMO-SE-0001", "DEMO-IS-0001", "DEMO-IE-0002"):
        assert reference in second.output
    assert "date of birth 1985-03-14" in second.output
    assert "postcode 457 40" in second.output


def _printed_staff(output: str) -> dict[str, tuple[str, str | None]]:
    """role -> (e-mail, password) and the TOTP secret, as a newcomer reads them."""
    found = re.findall(r"^  (agent|supervisor) +(\S+@\S+)\n    password: (\S+)", output, re.M)
    return {role: (email, password) for role, email, password in found}


def test_demo_staff_are_printed_sign_in_and_survive_a_second_load(app, runner):
    first = runner.invoke(args=["demo", "load", "--generated", "0"])
    assert first.exit_code == 0, first.output
    staff = _printed_staff(first.output)
    assert set(staff) == {"agent", "supervisor"}
    secret = re.search(r"otpauth://totp/[^\s]*secret=([A-Z2-7]+)", first.output).group(1)
    assert f"TOTP:     secret {secret}" in first.output

    with app.app_context():  # someone changed the agent's password and locked the supervisor out
        db.session.scalar(select(Staff).where(Staff.role == "agent")).password_hash = "x"
        db.session.scalar(select(Staff).where(Staff.role == "supervisor")).failed_attempts = 4
        db.session.commit()
    second = runner.invoke(args=["demo", "load", "--generated", "0"])
    assert _printed_staff(second.output) == staff and f"secret={secret}" in second.output
    assert "Instalment policies: unchanged." in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Staff)) == 2
        assert db.session.scalar(select(func.count()).select_from(PlanPolicy)) == 5

    agent = app.test_client()
    email, password = staff["agent"]
    assert post_password(agent, email, password).headers["Location"].endswith("/agent/")
    assert agent.get("/agent/plans").status_code == 200
    supervisor = app.test_client()
    email, password = staff["supervisor"]
    assert post_password(supervisor, email, password).headers["Location"].endswith("/agent/sign-in/code")
    assert post_code(supervisor, pyotp.TOTP(secret).now()).headers["Location"].endswith("/agent/")
    assert supervisor.get("/agent/creditors/DEMO-IE/policy").status_code == 200


def test_demo_has_offers_and_a_case_whose_small_proposal_goes_to_an_agent(app, runner):
    runner.invoke(args=["demo", "load", "--generated", "0"])
    with app.app_context():
        for reference in ("DEMO-FR-0001", "DEMO-IE-0001", "DEMO-SE-0001"):
            case = db.session.scalar(select(Case).where(Case.reference == reference))
            assert 2 <= len(services.situation(case).offers) <= 4, reference
        case = db.session.scalar(select(Case).where(Case.reference == "DEMO-IE-0002"))
        sit = services.situation(case)
        verdict = offers.assess(sit.balance, Money(4000, "EUR"), Frequency.monthly, today(), sit.rules,
                                sit.risk_score, today(), sit.minimum)
        assert verdict.verdict == offers.Verdict.referred


def test_demo_staff_are_never_created_in_production(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    result = runner.invoke(args=["demo", "load", "--generated", "0"])
    assert result.exit_code == 0, result.output
    assert "password" not in result.output and "not created in production" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Staff)) == 0

