"""A plan played through time with time-machine: the clock moves, and `flask plans collect` runs as a timer would."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import select

from portal.cases.models import Case
from portal.clock import today
from portal.extensions import db
from portal.plans.collect import collect
from portal.plans.models import PlanState
from tests.helpers import sign_in
from tests.plans.test_journey import _agree, _ledger, _plan, _use_method


def _at(day: date, hour: int = 9):
    """Travel to a day (the clock keeps ticking from there)."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=UTC))


def _run(app):
    """One run of the timer's `flask plans collect` (no --as-of: today, as the travelled clock says)."""
    with app.app_context():
        report = collect(today())
        db.session.remove()
    return report


def _sign_in_again(app, debtor) -> None:
    """The debtor comes back weeks later: a new session at the travelled time."""
    with app.app_context():
        sign_in(debtor.client, db.session.scalar(select(Case).where(Case.reference == debtor.reference)))
        db.session.remove()


def _move(debtor, number: int, new: date):
    page = debtor.client.get(f"/cases/{debtor.reference}/plan").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return debtor.client.post(f"/cases/{debtor.reference}/plan/move",
                              data={"csrf_token": token, "number": str(number), "new_date": new.isoformat()})


def test_decline_authentication_moved_date_miss_tolerated_then_broken(app, plan_debtor, emulator, mailbox):
    with _at(date(2031, 1, 10)):
        _sign_in_again(app, plan_debtor)
        _agree(app, plan_debtor, emulator)  # 4 x monthly from today; the first paid on Stripe's page
        state, instalments = _plan(app)
        assert state == PlanState.active
        assert [d for _n, _s, _a, d in instalments] == [date(2031, 1, 10), date(2031, 2, 10), date(2031, 3, 10),
                                                        date(2031, 4, 10)]
        assert _run(app).charged == []  # the first instalment was paid on-session
    _use_method(app, "pm_card_chargeCustomerFail")  # the saved card now declines

    with _at(date(2031, 2, 7)):
        assert _run(app).reminded == 1  # three days ahead: "your next instalment is due"
        assert "due on February 10, 2031" in mailbox.sent[-1]["Subject"]
        assert _run(app).reminded == 0  # once only
    with _at(date(2031, 2, 10)):
        report = _run(app)
        assert report.charged == [] and len(report.failed) == 1  # a decline: retried in three days
        assert _plan(app)[1][1][1] == "failed" and "could not take" in mailbox.sent[-1]["Subject"]
        _sign_in_again(app, plan_debtor)
        assert _move(plan_debtor, 3, date(2031, 3, 15)).status_code == 303  # the debtor moves the next date
    with _at(date(2031, 2, 12)):
        assert _run(app).failed == []  # the retry is not due yet
    with _at(date(2031, 2, 13)):
        assert len(_run(app).failed) == 1  # the retry declines too: missed, within the tolerance of one
        state, instalments = _plan(app)
        assert state == PlanState.active and instalments[1][1] == "missed"
    _use_method(app, "pm_card_authenticationRequired")  # now the bank wants the debtor to authenticate

    with _at(date(2031, 3, 10)):
        report = _run(app)
        assert report.charged == report.failed == []  # instalment 3 was moved to the 15th
    with _at(date(2031, 3, 15)):
        report = _run(app)
        assert report.failed[0].endswith(":authentication_required")
        assert _plan(app)[1][2][1] == "action_required"
        assert "/plan" in mailbox.sent[-1].get_content()  # the pay-now link
        _sign_in_again(app, plan_debtor)
        page = plan_debtor.client.get(f"/cases/{plan_debtor.reference}/plan").get_data(as_text=True)
        assert "Not taken: please pay now" in page
        assert "Pay instalment 2 now" in page  # the oldest instalment still owed comes first
    with _at(date(2031, 3, 18)):
        report = _run(app)  # not authenticated by the retry day: a second miss, past the tolerance
        assert len(report.broken) == 1
    state, instalments = _plan(app)
    assert state == PlanState.broken
    assert [(n, s, d) for n, s, _a, d in instalments] == [
        (1, "paid", date(2031, 1, 10)), (2, "missed", date(2031, 2, 10)), (3, "missed", date(2031, 3, 15)),
        (4, "cancelled", date(2031, 4, 10))]
    events = _ledger(app)
    assert [e["type"] for e in events] == ["plan.agreed", "payment.succeeded", "payment.failed", "payment.failed",
                                           "payment.failed", "payment.failed", "plan.broken"]
    assert [e["data"]["will_retry"] for e in events if e["type"] == "payment.failed"] == [True, False, True, False]
    assert events[-1]["data"]["missed_instalments"] == [2, 3]
    assert events[-1]["data"]["outstanding_minor"] == 11950 - 2987  # the balance stays owed
    assert "has ended" in mailbox.sent[-1]["Subject"]
    with _at(date(2031, 4, 10)):
        assert _run(app).charged == []  # a broken plan is never charged again
