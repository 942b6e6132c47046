"""`flask plans collect`: concurrent runs charge each instalment once; the command's output and --as-of."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.payments.models import Payment, PaymentState
from portal.plans.collect import collect
from portal.plans.models import Plan
from tests.plans.test_journey import _agree, _plan


@pytest.mark.postgres
def test_two_runs_at_once_charge_each_instalment_once(app, plan_debtor, emulator):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("concurrent writers need PostgreSQL (SQLite has one writer and no row locks)")
    _agree(app, plan_debtor, emulator)
    last_due = _plan(app)[1][3][3]
    barrier, reports = threading.Barrier(4), []

    def run():
        with app.app_context():
            barrier.wait(timeout=10)
            reports.append(collect(last_due))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(x for r in reports for x in r.charged) == sorted(f"{_id(app)}/{n}" for n in (2, 3, 4))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)
                                 .where(Payment.state == PaymentState.succeeded)) == 4
    assert len(emulator.store.all("payment_intent")) == 4


def _id(app) -> int:
    with app.app_context():
        return db.session.scalars(select(Plan.id)).one()


def test_command_collects_as_of_a_date_past_the_next_due_date(app, plan_debtor, emulator, runner):
    _agree(app, plan_debtor, emulator)
    second_due = _plan(app)[1][1][3]
    result = runner.invoke(args=["plans", "collect", "--as-of", second_due.isoformat()])
    assert result.exit_code == 0, result.output
    assert "charged 1" in result.output and f"charged {_id(app)}/2" in result.output
    assert [s for _n, s, _a, _d in _plan(app)[1]] == ["paid", "paid", "scheduled", "scheduled"]


def test_policies_import_names_the_wrong_field_and_imports_nothing(app, runner, tmp_path):
    from tests import factories
    with app.app_context():
        factories.creditor("ACME-FR")
        db.session.commit()
    bad = tmp_path / "bad.json"
    bad.write_text('{"ACME-FR": {"bands": [{"up_to_minor": null, "max_instalments": 3}], "frequencies": ["daily"]}}')
    result = runner.invoke(args=["policies", "import", str(bad)])
    assert result.exit_code != 0 and "frequencies" in result.output
    good = tmp_path / "good.json"
    good.write_text('{"ACME-FR": {"bands": [{"up_to_minor": null, "max_instalments": 3}]}}')
    assert "ACME-FR v1" in runner.invoke(args=["policies", "import", str(good)]).output
    assert "ACME-FR v2" in runner.invoke(args=["policies", "import", str(good)]).output


def test_a_webhook_confirming_the_charge_mid_run_is_not_a_crash(app, plan_debtor, emulator, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            pytest.skip("on PostgreSQL the payment's row lock makes the webhook wait for the run")
    from portal.payments import fulfil
    from portal.plans import collect as collect_module

    _agree(app, plan_debtor, emulator)
    second_due = _plan(app)[1][1][3]
    real_lock, raced = fulfil.lock, []

    def lock_then_webhook(payment_id):
        payment = real_lock(payment_id)
        if not raced:  # Stripe's webhook confirms it (its own transaction) right after the run read the row
            raced.append(payment_id)
            with app.app_context():
                intent = emulator.store.all("payment_intent")[0]
                fulfil.confirm(real_lock(payment_id), intent, "webhook:payment_intent.succeeded")
                db.session.commit()
        return payment

    monkeypatch.setattr(collect_module.fulfil, "lock", lock_then_webhook)
    with app.app_context():
        report = collect(second_due)
    assert raced and report.charged == [f"{_id(app)}/2"]
    assert [s for _n, s, _a, _d in _plan(app)[1]] == ["paid", "paid", "scheduled", "scheduled"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Payment)
                                 .where(Payment.state == PaymentState.succeeded)) == 2


def test_a_run_that_stopped_after_claiming_is_finished_by_a_later_run_not_by_a_concurrent_one(
        app, plan_debtor, emulator):
    from datetime import timedelta

    import time_machine

    from portal.clock import utcnow
    from portal.plans.collect import STUCK_AFTER, _claim
    from portal.plans.models import Instalment

    _agree(app, plan_debtor, emulator)
    second_due = _plan(app)[1][1][3]
    with app.app_context():
        instalment_id = db.session.scalar(select(Instalment.id).where(Instalment.number == 2))
        assert _claim(instalment_id, second_due) is not None  # claimed, then the run "stopped"
        db.session.remove()
    with app.app_context():
        assert collect(second_due).charged == []  # a fresh claim: another run may be charging it now
        db.session.remove()
    with time_machine.travel(utcnow() + STUCK_AFTER + timedelta(minutes=1), tick=False), app.app_context():
        report = collect(second_due)
        db.session.remove()
    assert report.charged == [f"{_id(app)}/2"]
    assert [s for _n, s, _a, _d in _plan(app)[1]][:2] == ["paid", "paid"]
    assert len(emulator.store.all("payment_intent")) == 2


def _open_pay_off(debtor) -> str:
    """The debtor opens "pay off the rest" on Checkout; returns the session id."""
    import re
    page = debtor.client.get(f"/cases/{debtor.reference}/plan").get_data(as_text=True)
    form = re.search(r'action="(/cases/[^"]+/plan/pay-off)">\s*<input type="hidden" name="csrf_token" value="([^"]+)">'
                     r'\s*<input type="hidden" name="nonce" value="([^"]+)"', page)
    response = debtor.client.post(form.group(1), data={"csrf_token": form.group(2), "nonce": form.group(3)})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.location.rsplit("/", 1)[1]


def _succeeded_minor(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Payment.amount_minor).where(Payment.state == PaymentState.succeeded)
                                       .order_by(Payment.id)))


def test_a_pay_off_page_left_open_is_closed_before_the_instalment_is_charged(app, plan_debtor, emulator):
    _agree(app, plan_debtor, emulator)
    pay_off = _open_pay_off(plan_debtor)
    with app.app_context():
        report = collect(_plan(app)[1][1][3])
    assert report.charged == [f"{_id(app)}/2"]
    assert emulator.store.objects[pay_off]["status"] == "expired"  # it can no longer take the old rest
    assert _succeeded_minor(app) == [2987, 2987]


def test_a_pay_off_paid_before_the_run_is_recorded_and_nothing_more_is_charged(app, plan_debtor, emulator):
    _agree(app, plan_debtor, emulator)
    pay_off = _open_pay_off(plan_debtor)
    plan_debtor.pay_on_stripe(pay_off)  # paid; the webhook and the return have not reached us yet
    intents_before = len(emulator.store.all("payment_intent"))
    with app.app_context():
        report = collect(_plan(app)[1][1][3])
    assert report.charged == [] and len(emulator.store.all("payment_intent")) == intents_before
    assert _succeeded_minor(app) == [2987, 8963]
    assert [s for _n, s, _a, _d in _plan(app)[1]] == ["paid", "paid", "paid", "paid"]
    emulator.deliver()  # the late webhooks change nothing
    assert _succeeded_minor(app) == [2987, 8963]
