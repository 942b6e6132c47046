"""The "I can't pay right now" page; support needs kept only with consent, seen by agents, erasable."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.support.models import SupportNeed
from tests.agent.conftest import audit_rows
from tests.disputes.conftest import token
from tests.helpers import sign_in


def _needs(app) -> list[str]:
    with app.app_context():
        rows = list(db.session.scalars(select(SupportNeed.details)))
        db.session.remove()
    return rows


def _share(debtor, details="I was in hospital until last month.", consent=True):
    path = f"/cases/{debtor.reference}/hardship"
    data = {"csrf_token": token(debtor.client, path), "details": details}
    if consent:
        data["consent"] = "y"
    return debtor.client.post(path + "/support", data=data)


def test_the_page_offers_plans_a_proposal_and_free_advice_for_the_country(plan_debtor):
    page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}/hardship").get_data(as_text=True)
    assert f"/cases/{plan_debtor.reference}/plan/propose" in page and f"/cases/{plan_debtor.reference}/plan" in page
    assert "Point conseil budget" in page  # the test case's debtor lives in France
    case_page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}").get_data(as_text=True)
    assert f'href="/cases/{plan_debtor.reference}/hardship"' in case_page


def test_without_consent_nothing_is_kept(app, plan_debtor):
    response = _share(plan_debtor, consent=False)
    assert response.status_code == 400 and "otherwise we keep nothing" in response.get_data(as_text=True)
    assert _needs(app) == []


def test_shared_needs_are_seen_by_agents_and_erased_by_the_debtor(app, plan_debtor, agent):
    assert _share(plan_debtor).status_code == 303
    assert _needs(app) == ["I was in hospital until last month."]
    staff_page = agent.get(f"/agent/cases/{plan_debtor.reference}/support").get_data(as_text=True)
    assert "I was in hospital until last month." in staff_page
    assert [r["action"] for r in audit_rows(app, "support.view")] == ["support.view"]
    path = f"/cases/{plan_debtor.reference}/hardship"
    erased = plan_debtor.client.post(path + "/support/erase", data={"csrf_token": token(plan_debtor.client, path)})
    assert erased.status_code == 303 and _needs(app) == []
    assert "has not shared any" in agent.get(f"/agent/cases/{plan_debtor.reference}/support").get_data(as_text=True)


def test_a_low_assurance_session_cannot_share_or_erase(app, plan_debtor):
    with app.app_context():
        from portal.cases.models import Case
        case = db.session.scalars(select(Case)).one()
        sign_in(plan_debtor.client, case, assurance="low")
        db.session.remove()
    page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}/hardship").get_data(as_text=True)
    assert "please sign in with the link" in page
    assert _share(plan_debtor).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SupportNeed)) == 0
