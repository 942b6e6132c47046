"""The plan and instalment lifecycles: every move outside the transition tables is refused, every move in them works."""

from __future__ import annotations

from datetime import date
from itertools import product

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.plans import services
from portal.plans.models import (
    INSTALMENT_MOVES, PLAN_MOVES, IllegalMove, Instalment, InstalmentState, Plan, PlanEvent, PlanState,
)
from portal.plans.rules import Frequency
from tests import factories
from tests.plans.conftest import POLICY

ILLEGAL_PLAN = [(a, b) for a, b in product(PlanState, PlanState) if b not in PLAN_MOVES[a]]
LEGAL_PLAN = [(a, b) for a, b in product(PlanState, PlanState) if b in PLAN_MOVES[a]]
ILLEGAL_INSTALMENT = [(a, b) for a, b in product(InstalmentState, InstalmentState) if b not in INSTALMENT_MOVES[a]]
LEGAL_INSTALMENT = [(a, b) for a, b in product(InstalmentState, InstalmentState) if b in INSTALMENT_MOVES[a]]


@pytest.fixture
def plan_id(ctx) -> int:
    """A plan of two instalments on a fresh case (state set by each test)."""
    case = factories.case()
    policy = services.save_policy(case.creditor, POLICY, None)
    plan = Plan(case_id=case.id, policy_id=policy.id, state=PlanState.proposed, origin="proposal",
                frequency=Frequency.monthly, total_minor=11950, currency="EUR")
    db.session.add(plan)
    db.session.flush()
    db.session.add_all([Instalment(plan_id=plan.id, number=n, due_date=date(2027, n, 5), amount_minor=5975,
                                   state=InstalmentState.scheduled) for n in (1, 2)])
    db.session.commit()
    return plan.id


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(PlanEvent))


def test_the_tables_name_every_state_and_end_states_lead_nowhere():
    assert set(PLAN_MOVES) == set(PlanState) and set(INSTALMENT_MOVES) == set(InstalmentState)
    for state in (PlanState.rejected, PlanState.withdrawn, PlanState.completed, PlanState.broken, PlanState.cancelled):
        assert PLAN_MOVES[state] == frozenset()
    for state in (InstalmentState.paid, InstalmentState.moved, InstalmentState.cancelled):
        assert INSTALMENT_MOVES[state] == frozenset()
    assert len(ILLEGAL_PLAN) + len(LEGAL_PLAN) == len(PlanState) ** 2
    assert (PlanState.completed, PlanState.active) in ILLEGAL_PLAN  # a finished plan never restarts
    assert (PlanState.proposed, PlanState.active) in ILLEGAL_PLAN  # binding only after the first payment


def test_every_illegal_plan_move_raises_and_changes_nothing(plan_id):
    for start, target in ILLEGAL_PLAN:
        plan = db.session.get(Plan, plan_id)
        plan.state = start
        db.session.commit()
        before = _events()
        with pytest.raises(IllegalMove, match=f"from {start} to {target}"):
            plan.move(target, "test")
        assert plan.state == start and _events() == before, (start, target)
        db.session.rollback()
        assert db.session.get(Plan, plan_id).state == start


def test_every_legal_plan_move_is_made_and_recorded(plan_id):
    for start, target in LEGAL_PLAN:
        plan = db.session.get(Plan, plan_id)
        plan.state = start
        db.session.commit()
        plan.move(target, "test", detail=f"{start}->{target}")
        db.session.commit()
        event = db.session.scalars(select(PlanEvent).order_by(PlanEvent.id.desc())).first()
        assert db.session.get(Plan, plan_id).state == target
        assert (event.state_from, event.state_to, event.instalment_number) == (str(start), str(target), None)


def test_every_illegal_instalment_move_raises_and_changes_nothing(plan_id):
    for start, target in ILLEGAL_INSTALMENT:
        instalment = db.session.scalars(select(Instalment).where(Instalment.plan_id == plan_id).order_by(Instalment.number)).first()
        instalment.state = start
        db.session.commit()
        before = _events()
        with pytest.raises(IllegalMove, match=f"from {start} to {target}"):
            instalment.move(target, "test")
        assert instalment.state == start and _events() == before, (start, target)
        db.session.rollback()


def test_every_legal_instalment_move_is_made_and_recorded(plan_id):
    for start, target in LEGAL_INSTALMENT:
        instalment = db.session.scalars(select(Instalment).where(Instalment.plan_id == plan_id).order_by(Instalment.number)).first()
        instalment.state = start
        db.session.commit()
        instalment.move(target, "test")
        db.session.commit()
        event = db.session.scalars(select(PlanEvent).order_by(PlanEvent.id.desc())).first()
        assert (event.state_from, event.state_to, event.instalment_number) == (str(start), str(target), 1)


def test_history_is_append_only_in_order(plan_id):
    plan = db.session.get(Plan, plan_id)
    plan.move(PlanState.accepted, "agent:1")
    plan.move(PlanState.pending_payment, "debtor")
    plan.move(PlanState.active, "webhook")
    db.session.commit()
    rows = db.session.execute(select(PlanEvent.state_from, PlanEvent.state_to).where(PlanEvent.plan_id == plan_id)
                              .order_by(PlanEvent.id)).all()
    assert [tuple(r) for r in rows] == [("proposed", "accepted"), ("accepted", "pending_payment"),
                                        ("pending_payment", "active")]
