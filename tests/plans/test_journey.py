"""A plan played through time: choose an offer, pay on Stripe's page, automatic collection, declines, breaking."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from portal.clock import today
from portal.extensions import db
from portal.ledger.models import LedgerEvent
from portal.plans.collect import collect
from portal.plans.models import Instalment, Plan, PlanState
from tests.payments.conftest import EMULATOR_URL


def _plan(app) -> Plan:
    with app.app_context():
        plan = db.session.scalars(select(Plan).order_by(Plan.id.desc())).first()
        states = [(i.number, i.state.value, i.amount_minor, i.due_date) for i in plan.instalments]
        plan_state = plan.state
        db.session.remove()
    return plan_state, states


def _ledger(app) -> list[dict]:
    import json
    with app.app_context():
        rows = [json.loads(e.payload) for e in db.session.scalars(select(LedgerEvent).order_by(LedgerEvent.sequence))]
        db.session.remove()
    return rows


def _choose(debtor, key: str):
    page = debtor.client.get(f"/cases/{debtor.reference}/plan").get_data(as_text=True)
    assert "4 monthly payments of €29.87" in page, re.sub(r"\s+", " ", page.split("<main")[-1])[:1500]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    nonce = re.search(rf'name="offer" value="{key}">\s*<input type="hidden" name="nonce" value="([^"]+)"', page).group(1)
    return debtor.client.post(f"/cases/{debtor.reference}/plan/choose",
                              data={"csrf_token": token, "offer": key, "nonce": nonce})


def _agree(app, debtor, emulator, key="monthly-4", card="4242424242424242"):
    response = _choose(debtor, key)
    assert response.status_code == 303 and response.location.startswith(EMULATOR_URL + "/c/pay/cs_test_")
    session_id = response.location.rsplit("/", 1)[1]
    assert emulator.store.objects[session_id]["amount_total"] == 2987
    assert _plan(app)[0] == PlanState.pending_payment  # not binding before Stripe confirms
    debtor.come_back(debtor.pay_on_stripe(session_id, card=card))
    emulator.deliver()


def test_choose_an_offer_pay_the_first_instalment_and_collect_the_next(app, plan_debtor, emulator, mailbox):
    _agree(app, plan_debtor, emulator)
    state, instalments = _plan(app)
    assert state == PlanState.active
    assert [(n, s, a) for n, s, a, _d in instalments] == [(1, "paid", 2987), (2, "scheduled", 2987),
                                                         (3, "scheduled", 2987), (4, "scheduled", 2989)]
    events = _ledger(app)
    assert [e["type"] for e in events] == ["plan.agreed", "payment.succeeded"]
    assert events[0]["data"]["total_minor"] == 11950 and events[0]["data"]["approved_by"] == "policy"
    assert events[1]["data"]["plan_id"] == events[0]["data"]["plan_id"] and events[1]["data"]["instalment_number"] == 1
    agreed = [m for m in mailbox.sent if "plan" in m["Subject"]]
    [ics] = [part for part in agreed[0].iter_attachments()]
    calendar = ics.get_content()
    assert calendar.count("BEGIN:VEVENT") == 4
    page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}/plan").get_data(as_text=True)
    assert "Paid €29.87 of €119.50" in page and "<progress" in page

    second_due = instalments[1][3]
    with app.app_context():
        assert collect(second_due - timedelta(days=1)).charged == []  # not yet due
        report = collect(second_due)
        assert report.charged and collect(second_due).charged == []  # a second run charges nothing more
    emulator.deliver()
    state, instalments = _plan(app)
    assert [s for _n, s, _a, _d in instalments] == ["paid", "paid", "scheduled", "scheduled"]
    assert [e["type"] for e in _ledger(app)][-1] == "payment.succeeded"
    with app.app_context():
        collect(instalments[3][3])  # catching up: both remaining instalments
    emulator.deliver()
    assert _plan(app)[0] == PlanState.completed
    types = [e["type"] for e in _ledger(app)]
    assert types[-3:] == ["payment.succeeded", "case.settled", "plan.completed"]
    assert types.count("payment.succeeded") == 4


def _use_method(app, pm: str) -> None:
    with app.app_context():
        plan = db.session.scalars(select(Plan)).one()
        plan.stripe_payment_method_id = pm
        db.session.commit()


def test_decline_retry_authentication_miss_tolerated_then_plan_broken(app, plan_debtor, emulator, mailbox):
    _agree(app, plan_debtor, emulator)
    _use_method(app, "pm_card_chargeCustomerFail")  # the card now declines every charge
    _s, instalments = _plan(app)
    second, third = instalments[1][3], instalments[2][3]
    with app.app_context():
        first_try = collect(second)
    assert len(first_try.failed) == 1 and first_try.failed[0].startswith(f"{_plan_id(app)}/2:")
    assert _plan(app)[1][1][1] == "failed"
    failed_mail = mailbox.sent[-1]
    assert "could not take" in failed_mail["Subject"] and "/plan" in failed_mail.get_content()
    with app.app_context():
        collect(second + timedelta(days=3))  # the retry fails too: missed, within the tolerance of one
    assert _plan(app)[0] == PlanState.active and _plan(app)[1][1][1] == "missed"
    _use_method(app, "pm_card_authenticationRequired")
    with app.app_context():
        report = collect(third)
    assert report.failed[0].endswith("authentication_required")
    assert _plan(app)[1][2][1] == "action_required"
    with app.app_context():
        collect(third + timedelta(days=3))
    state, instalments = _plan(app)
    assert state == PlanState.broken
    assert [s for _n, s, _a, _d in instalments] == ["paid", "missed", "missed", "cancelled"]
    events = _ledger(app)
    failed = [e["data"] for e in events if e["type"] == "payment.failed"]
    assert [f["will_retry"] for f in failed] == [True, False, True, False]
    broken = [e["data"] for e in events if e["type"] == "plan.broken"][0]
    assert broken["missed_instalments"] == [2, 3] and broken["outstanding_minor"] == 11950 - 2987
    assert "has ended" in mailbox.sent[-1]["Subject"]


def _plan_id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Plan.id)).one()


def test_move_a_date_once_within_the_policy(app, plan_debtor, emulator):
    _agree(app, plan_debtor, emulator)
    _s, instalments = _plan(app)
    page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}/plan").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    too_late = instalments[2][3] + timedelta(days=1)
    bad = plan_debtor.client.post(f"/cases/{plan_debtor.reference}/plan/move",
                                  data={"csrf_token": token, "number": "2", "new_date": too_late.isoformat()})
    assert bad.status_code == 400 and "before the following instalment" in bad.get_data(as_text=True)
    assert 'aria-invalid="true"' in bad.get_data(as_text=True)
    new = instalments[1][3] + timedelta(days=5)
    ok = plan_debtor.client.post(f"/cases/{plan_debtor.reference}/plan/move",
                                 data={"csrf_token": token, "number": "2", "new_date": new.isoformat()})
    assert ok.status_code == 303 and _plan(app)[1][1][3] == new
    again = plan_debtor.client.post(f"/cases/{plan_debtor.reference}/plan/move",
                                    data={"csrf_token": token, "number": "2", "new_date": (new + timedelta(days=1)).isoformat()})
    assert again.status_code == 400 and "as many times as this plan allows" in again.get_data(as_text=True)


def test_pay_off_the_rest_in_one_go_completes_the_plan(app, plan_debtor, emulator, mailbox):
    _agree(app, plan_debtor, emulator)
    page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}/plan").get_data(as_text=True)
    assert "Pay off the rest now (€89.63)" in page  # 29.87 + 29.87 + 29.89
    form = re.search(r'action="(/cases/[^"]+/plan/pay-off)">\s*<input type="hidden" name="csrf_token" value="([^"]+)">'
                     r'\s*<input type="hidden" name="nonce" value="([^"]+)"', page)
    assert form, page
    response = plan_debtor.client.post(form.group(1), data={"csrf_token": form.group(2), "nonce": form.group(3)})
    assert response.status_code == 303 and response.location.startswith(EMULATOR_URL + "/c/pay/cs_test_")
    session_id = response.location.rsplit("/", 1)[1]
    assert emulator.store.objects[session_id]["amount_total"] == 8963
    assert _plan(app)[0] == PlanState.active  # nothing changes before Stripe confirms
    plan_debtor.come_back(plan_debtor.pay_on_stripe(session_id))
    emulator.deliver()
    state, instalments = _plan(app)
    assert state == PlanState.completed
    assert [s for _n, s, _a, _d in instalments] == ["paid", "paid", "paid", "paid"]
    events = _ledger(app)
    assert [e["type"] for e in events] == ["plan.agreed", "payment.succeeded", "payment.succeeded", "case.settled",
                                           "plan.completed"]
    pay_off = events[2]["data"]
    assert pay_off["amount_minor"] == 8963 and pay_off["plan_id"] == events[0]["data"]["plan_id"]
    assert pay_off["instalment_number"] is None  # it pays several instalments
    with app.app_context():
        assert collect(instalments[3][3] + timedelta(days=30)).charged == []  # nothing left to take
    page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}/plan").get_data(as_text=True)
    assert "Your plan is complete. Thank you." in page


def test_pay_off_is_refused_without_an_active_plan(app, plan_debtor, emulator):
    page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}/plan").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = plan_debtor.client.post(f"/cases/{plan_debtor.reference}/plan/pay-off",
                                       data={"csrf_token": token, "nonce": "n" * 32})
    assert response.status_code == 400 and emulator.store.all("checkout.session") == []
