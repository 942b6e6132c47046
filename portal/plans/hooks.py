"""What a confirmed payment or saved method does to a plan; called inside the payments' transactions.

`fulfil.confirm` calls `before_recorded` (the plan becomes binding: `plan.agreed`; the
instalment is paid, or, for a pay-off — a `full` payment linked to the plan — every open
instalment is) and, once `payment.succeeded` is recorded, `after_recorded`
(`plan.completed` after the last instalment). The webhook of a setup-mode Checkout
calls `setup_completed`. All only flush: the caller commits once.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from portal.clock import utcnow
from portal.extensions import db
from portal.ledger.outbox import record_event
from portal.payments.models import Payment, PaymentKind
from portal.plans.models import OPEN, InstalmentState, Plan, PlanEvent, PlanPayment, PlanState

log = logging.getLogger("portal.plans")


def lock_plan(plan_id: int) -> Plan | None:
    """The plan, re-read and locked (FOR UPDATE on PostgreSQL) until the transaction ends."""
    return db.session.scalar(select(Plan).where(Plan.id == plan_id).with_for_update()
                             .execution_options(populate_existing=True))


def agree(plan: Plan, source: str) -> None:
    """The plan becomes binding: active, with `plan.agreed` in the same transaction."""
    plan.move(PlanState.active, source)
    plan.agreed_at = utcnow()
    instalments = [{"number": i.number, "due_date": i.due_date.isoformat(), "amount_minor": i.amount_minor}
                   for i in plan.instalments]
    record_event(plan.case, "plan.agreed", {
        "plan_id": plan.id, "origin": plan.origin, "approved_by": plan.approved_by or "policy",
        "total_minor": sum(i["amount_minor"] for i in instalments), "currency": plan.currency,
        "instalments": instalments,
    })
    from portal.plans.mail import queue_agreed  # mail renders templates; imported late to keep this module light

    queue_agreed(plan)


def before_recorded(payment: Payment, intent: dict, source: str) -> dict | None:
    """The plan facts of a confirmed payment ({plan_id, instalment_number}), or None if it pays no plan."""
    link = db.session.get(PlanPayment, payment.id)
    if link is None:
        return None
    plan = lock_plan(link.plan_id)
    instalment = link.instalment
    db.session.refresh(instalment)
    if plan.state == PlanState.pending_payment:
        plan.stripe_customer_id = intent.get("customer") or plan.stripe_customer_id
        plan.stripe_payment_method_id = intent.get("payment_method") or plan.stripe_payment_method_id
        agree(plan, source)
    if payment.kind == PaymentKind.full:  # the debtor paid off the rest of the plan
        for owed in plan.open_instalments():
            owed.paid_at = utcnow()
            owed.move(InstalmentState.paid, source, detail=f"paid off by payment {payment.id}")
        return {"plan_id": plan.id, "instalment_number": None}
    if instalment.state in OPEN:
        instalment.paid_at = utcnow()
        instalment.move(InstalmentState.paid, source, detail=f"payment {payment.id}")
    else:
        log.warning("plan %s instalment %s paid again (payment %s)", plan.id, instalment.number, payment.id)
    return {"plan_id": plan.id, "instalment_number": instalment.number}


def after_recorded(payment: Payment, source: str) -> None:
    """Complete the plan once its last instalment is paid (after `payment.succeeded`)."""
    link = db.session.get(PlanPayment, payment.id)
    if link is None:
        return
    plan = db.session.get(Plan, link.plan_id)
    if plan.state == PlanState.active and not plan.open_instalments():
        plan.move(PlanState.completed, source)
        record_event(plan.case, "plan.completed", {"plan_id": plan.id})


def setup_completed(session: dict, setup_intent: dict | None, source: str) -> bool:
    """A setup-mode Checkout saved a method: start the plan, or replace its method; True if it changed."""
    plan_id = (session.get("metadata") or {}).get("portal_plan_id")
    if not plan_id or not str(plan_id).isdigit() or setup_intent is None:
        return False
    plan = lock_plan(int(plan_id))
    method = setup_intent.get("payment_method")
    if plan is None or not method or plan.stripe_payment_method_id == method:
        return False
    plan.stripe_customer_id = setup_intent.get("customer") or plan.stripe_customer_id
    plan.stripe_payment_method_id = method
    if plan.state == PlanState.pending_payment:
        agree(plan, source)
    elif plan.state == PlanState.active:
        # Nothing else changes; the history says the method was replaced.
        db.session.add(PlanEvent(plan_id=plan.id, state_from=str(plan.state), state_to=str(plan.state),
                                 source=source, detail="payment method replaced"))
    db.session.flush()
    return True
