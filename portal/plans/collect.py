"""`flask plans collect`: charge due instalments off-session, retry declines, break plans, send reminders.

Safe to run twice at once: an instalment is claimed by a conditional UPDATE (only one
run sees its old state), and the claim, its attempt number and the payment row are
committed before Stripe is called, with the idempotency key
`instalment-<id>-attempt-<n>`. A run interrupted after the call is resumed by the next
run with the same key, so Stripe answers with the same PaymentIntent: never a second charge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from portal.cases.balance import case_breakdown
from portal.cases.models import Case
from portal.clock import utcnow
from portal.extensions import db
from portal.ledger.outbox import record_event
from portal.money import Money
from portal.payments import fulfil, gateway, sessions
from portal.payments.models import Payment, PaymentEvent, PaymentKind, PaymentState, StaleState
from portal.plans import mail
from portal.plans.models import (
    OPEN, Instalment, InstalmentState, Plan, PlanEvent, PlanPayment, PlanState,
)
from portal.plans.offers import due_dates
from portal.plans.rules import MissAction
from portal.support.pauses import collection_paused

log = logging.getLogger("portal.plans")
I = InstalmentState  # noqa: E741
#: Days before a due date when the "coming up" reminder goes.
REMIND_DAYS = 3
#: A claimed attempt still pending after this long was left by a run that stopped (a crash, a
#: deploy): the next run finishes it. A run charges one instalment in well under a second.
STUCK_AFTER = timedelta(minutes=15)


@dataclass
class Report:
    """What one run did (printed by the command, asserted by tests)."""

    charged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    broken: list[int] = field(default_factory=list)
    reminded: int = 0
    skipped: int = 0


def _active_plan(as_of: date):
    """SQL: the instalment's plan is active and no dispute or requested pause holds its case on `as_of`."""
    return exists().where(Plan.id == Instalment.plan_id, Plan.state == PlanState.active,
                          ~collection_paused(Plan.case_id, as_of))


def _chargeable(as_of: date):
    """SQL: the instalment falls due (or is due a retry) on or before `as_of`."""
    return or_(
        and_(Instalment.state == I.scheduled, Instalment.due_date <= as_of),
        and_(Instalment.state.in_([I.failed, I.action_required]), Instalment.retry_on <= as_of),
    )


def collect(as_of: date) -> Report:
    """One collection run as of `as_of`; commits per instalment."""
    report = Report()
    # Instalments claimed by a run that stopped after calling Stripe: finish them with the same key.
    # Only claims older than STUCK_AFTER: a younger one belongs to a run still at work, which
    # would otherwise be charged (idempotently) and reported by two runs at once.
    stuck = db.session.scalars(select(PlanPayment.payment_id).join(Payment, Payment.id == PlanPayment.payment_id)
                               .join(Instalment, Instalment.id == PlanPayment.instalment_id)
                               .where(Instalment.state == I.due, Payment.state == PaymentState.pending,
                                      PlanPayment.attempt > 0, Payment.created_at <= utcnow() - STUCK_AFTER)
                               ).all()
    case_of = select(Plan.case_id).where(Plan.id == Instalment.plan_id).scalar_subquery()
    due = db.session.execute(select(Instalment.id, case_of).where(_chargeable(as_of), _active_plan(as_of))
                             .order_by(Instalment.due_date, Instalment.id)).all()
    db.session.commit()
    for payment_id in stuck:
        _charge(payment_id, as_of, report)
    for instalment_id, case_id in due:
        if not _only_payment(case_id, report):
            continue
        payment_id = _claim(instalment_id, as_of)
        if payment_id is None:
            report.skipped += 1  # another run claimed it first
            continue
        _charge(payment_id, as_of, report)
    report.reminded = _remind(as_of)
    return report


def _only_payment(case_id: int, report: Report) -> bool:
    """Close the debtor's open Checkout pages on the case before charging; False to leave it for now.

    A debtor paying off the plan (or this instalment) on Checkout while the run charges would
    pay twice. If such a page was paid already, it is recorded (a pay-off marks the instalments
    paid, so the claim below finds nothing to charge); if Stripe cannot be reached, the next run
    charges the instalment.
    """
    try:
        sessions.close_others(case_id)
    except gateway.GatewayError as exc:
        db.session.rollback()
        log.warning("case %s: open Checkout pages could not be closed (%s); the next run charges it", case_id, exc)
        report.skipped += 1
        return False
    return True


def _claim(instalment_id: int, as_of: date) -> int | None:
    """Take the instalment for this run and record the attempt's payment row; committed. None if taken."""
    claimed = db.session.execute(
        update(Instalment).where(Instalment.id == instalment_id, _chargeable(as_of), _active_plan(as_of))
        .values(state=I.due, attempts=Instalment.attempts + 1)
        .returning(Instalment.attempts, Instalment.state),
        execution_options={"synchronize_session": False},
    ).first()
    if claimed is None:
        db.session.rollback()
        return None
    instalment = db.session.get(Instalment, instalment_id, populate_existing=True)
    attempt = claimed[0]
    plan = instalment.plan
    key = f"instalment-{instalment.id}-attempt-{attempt}"
    payment = Payment(case_id=plan.case_id, kind=PaymentKind.instalment, state=PaymentState.pending,
                      amount_minor=instalment.amount_minor, currency=plan.currency, idempotency_key=key)
    db.session.add(payment)
    db.session.flush()
    db.session.add_all([
        PaymentEvent(payment_id=payment.id, state_from=None, state_to=PaymentState.pending, source="collect",
                     detail=f"instalment {plan.id}/{instalment.number} attempt {attempt}"),
        PlanPayment(payment_id=payment.id, plan_id=plan.id, instalment_id=instalment.id, attempt=attempt),
        PlanEvent(plan_id=plan.id, instalment_number=instalment.number, state_from="claimed", state_to=str(I.due),
                  source="collect", detail=f"attempt {attempt}"),
    ])
    payment_id = payment.id  # read before commit expires it (a SELECT otherwise)
    db.session.commit()  # recorded before Stripe is called
    return payment_id


def _charge(payment_id: int, as_of: date, report: Report) -> None:
    """Charge one claimed attempt off-session and apply the answer; commits."""
    # The link, its instalment, plan, case and creditor in one query, the plan's instalments in a second.
    link = db.session.scalar(
        select(PlanPayment).where(PlanPayment.payment_id == payment_id)
        .options(joinedload(PlanPayment.instalment).joinedload(Instalment.plan).options(
            joinedload(Plan.case).joinedload(Case.creditor), selectinload(Plan.instalments)))
    )
    payment = db.session.get(Payment, payment_id)
    plan = link.instalment.plan
    number = link.instalment.number
    try:
        intent = gateway.charge_off_session(
            amount=payment.amount, customer=plan.stripe_customer_id or "", payment_method=plan.stripe_payment_method_id
            or "", idempotency_key=payment.idempotency_key,
            metadata={"portal_payment_id": str(payment.id), "case_reference": plan.case.reference,
                      "kind": str(PaymentKind.instalment), "portal_plan_id": str(plan.id)},
            description=f"{plan.case.creditor.name}, {plan.case.reference}, {number}/{len(plan.instalments)}",
        )
    except gateway.ChargeFailed as exc:
        _failed(payment_id, exc, as_of, report)
        return
    except gateway.GatewayError as exc:
        db.session.rollback()
        log.warning("instalment %s/%s: Stripe unreachable (%s); the next run resumes it", plan.id, number, exc)
        return
    label = f"{plan.id}/{number}"
    for _try in range(2):
        db.session.rollback()
        locked = fulfil.lock(payment_id)
        try:
            if intent.get("status") == "succeeded":
                fulfil.confirm(locked, intent, "collect")
            else:  # processing (a SEPA debit): the webhook confirms it later
                fulfil.apply_intent(locked, intent, "collect")
        except StaleState:
            # Stripe's webhook confirmed it between our read and our update (SQLite has no row lock):
            # read again; the payment is now paid and confirming it once more records nothing.
            continue
        break
    if intent.get("status") == "succeeded":
        report.charged.append(label)
    db.session.commit()


def _failed(payment_id: int, exc: gateway.ChargeFailed, as_of: date, report: Report) -> None:
    """A declined or authentication-required attempt: retry per policy, tolerate, or break the plan."""
    db.session.rollback()
    payment = fulfil.lock(payment_id)
    link = db.session.get(PlanPayment, payment_id)
    instalment = db.session.get(Instalment, link.instalment_id, populate_existing=True)
    plan = db.session.get(Plan, link.plan_id, populate_existing=True)
    rules = plan.policy.rules
    code = str(exc.decline_code or exc.code or "payment_failed")[:100]
    if exc.intent and not payment.payment_intent_id:
        payment.payment_intent_id = exc.intent.get("id")
    payment.failure_code = code
    if payment.state == PaymentState.pending:
        payment.move(PaymentState.failed, "collect", detail=code)
    report.failed.append(f"{plan.id}/{instalment.number}:{code}")
    if instalment.state != I.due:  # already settled by a pay-now payment meanwhile
        db.session.commit()
        return
    will_retry = instalment.attempts <= len(rules.retry_days)
    record_event(plan.case, "payment.failed", {
        "payment_id": payment.id, "amount_minor": payment.amount_minor, "currency": payment.currency,
        "plan_id": plan.id, "instalment_number": instalment.number, "failure_code": code, "will_retry": will_retry,
    })
    if will_retry:
        instalment.retry_on = as_of + timedelta(days=rules.retry_days[instalment.attempts - 1])
        target = I.action_required if code == "authentication_required" else I.failed
        instalment.move(target, "collect", detail=code)
        mail.queue_failed(plan, instalment, code, instalment.retry_on)
    else:
        instalment.retry_on = None
        instalment.move(I.missed, "collect", detail=code)
        _tolerate(plan, instalment, rules, report)
    db.session.commit()


def _tolerate(plan: Plan, instalment: Instalment, rules, report: Report) -> None:
    """Past its retries: within the tolerance the plan goes on (maybe moving the amount to the end); else broken."""
    missed = [i.number for i in plan.instalments if i.state in (I.missed, I.moved)]
    if len(missed) > rules.missed_tolerated:
        for other in plan.open_instalments():
            if other.state != I.missed:  # the missed ones stay on record as missed
                other.move(I.cancelled, "collect", detail="plan broken")
        plan.move(PlanState.broken, "collect", detail=f"missed {missed}")
        outstanding = case_breakdown(plan.case).total_due
        record_event(plan.case, "plan.broken", {"plan_id": plan.id, "missed_instalments": missed,
                                                "outstanding_minor": outstanding.minor, "currency": plan.currency})
        mail.queue_broken(plan, outstanding)
        report.broken.append(plan.id)
        return
    if rules.miss_action == MissAction.move_to_end:
        last = plan.instalments[-1]
        due = due_dates(last.due_date, plan.frequency, 2)[1]
        instalment.move(I.moved, "collect", detail=f"to instalment {last.number + 1} on {due.isoformat()}")
        db.session.add(Instalment(plan_id=plan.id, number=last.number + 1, due_date=due,
                                  amount_minor=instalment.amount_minor, state=I.scheduled))
        db.session.flush()
        db.session.refresh(plan)
    mail.queue_failed(plan, instalment, "missed", None)


def _remind(as_of: date) -> int:
    """Send each "coming up" reminder once, a few days before the due date; commits."""
    ids = db.session.scalars(
        select(Instalment.id).where(Instalment.state == I.scheduled, Instalment.reminded_at.is_(None),
                                    Instalment.due_date > as_of,
                                    Instalment.due_date <= as_of + timedelta(days=REMIND_DAYS), _active_plan(as_of))
    ).all()
    sent = 0
    for instalment_id in ids:
        taken = db.session.execute(
            update(Instalment).where(Instalment.id == instalment_id, Instalment.reminded_at.is_(None))
            .values(reminded_at=utcnow()), execution_options={"synchronize_session": False}).rowcount
        if taken:
            instalment = db.session.get(Instalment, instalment_id, populate_existing=True)
            mail.queue_reminder(instalment.plan, instalment)
            sent += 1
        db.session.commit()
    return sent


def outstanding(plan: Plan) -> Money:
    """What is left to pay on a plan's open instalments."""
    return Money(sum(i.amount_minor for i in plan.instalments if i.state in OPEN), plan.currency)
