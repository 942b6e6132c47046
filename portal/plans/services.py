"""Plans for the debtor's side and the back office: policies, offers, proposals, decisions, date moves.

Services take explicit arguments and only flush; the view or command commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.cases.balance import case_breakdown
from portal.cases.models import Case, CaseStatus
from portal.clock import today, utcnow
from portal.creditors.models import Creditor
from portal.extensions import db
from portal.ledger.outbox import record_event
from portal.money import Money
from portal.payments import gateway
from portal.plans import offers as offer_math
from portal.plans.models import (
    LIVE, OPEN, Instalment, InstalmentState, Plan, PlanEvent, PlanPolicy, PlanState,
)
from portal.plans.rules import Frequency, Rules, parse


class PlanError(ValueError):
    """A request the plan's state or policy does not allow; the message is for the person, translated."""


# --- policies ---------------------------------------------------------------------------------------------

def current_policy(creditor_id: int) -> PlanPolicy | None:
    """The creditor's latest policy version, or None (no plans offered)."""
    return db.session.scalar(select(PlanPolicy).where(PlanPolicy.creditor_id == creditor_id)
                             .order_by(PlanPolicy.version.desc()).limit(1))


def save_policy(creditor: Creditor, document: Any, staff_id: int | None) -> PlanPolicy:
    """Check the document and store it as the creditor's next version; raises PolicyError. Flushes."""
    rules = parse(document)
    last = db.session.scalar(select(func.max(PlanPolicy.version)).where(PlanPolicy.creditor_id == creditor.id))
    policy = PlanPolicy(creditor_id=creditor.id, version=(last or 0) + 1, rules_json=rules.to_json(),
                        created_by=staff_id)
    db.session.add(policy)
    db.session.flush()
    return policy


# --- what a case can have ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Situation:
    """A case's balance, policy and the offers open to it now."""

    balance: Money
    policy: PlanPolicy
    rules: Rules
    risk_score: int | None
    offers: list[offer_math.Offer]

    @property
    def minimum(self) -> Money:
        """Stripe's smallest charge in the case's currency."""
        return gateway.minimum_charge(self.balance.currency)


def situation(case: Case) -> Situation | None:
    """What plans the case allows now; None if it is not open, owes nothing, or the creditor has no policy."""
    export = case.export
    if export is None or export.status != CaseStatus.open:
        return None
    balance = case_breakdown(case).total_due
    policy = current_policy(case.creditor_id)
    if not balance or policy is None:
        return None
    rules = policy.rules
    minimum = gateway.minimum_charge(balance.currency)
    return Situation(balance, policy, rules, export.risk_score,
                     offer_math.offers(balance, rules, export.risk_score, today(), minimum))


def live_plan(case: Case) -> Plan | None:
    """The case's plan in progress (proposed, countered, accepted, pending payment or active), if any."""
    return db.session.scalar(select(Plan).where(Plan.case_id == case.id, Plan.state.in_(LIVE))
                             .order_by(Plan.id.desc()).limit(1))


def latest_plan(case: Case) -> Plan | None:
    """The case's most recent plan, whatever its state (to show a decision or a broken plan)."""
    return db.session.scalar(select(Plan).where(Plan.case_id == case.id).order_by(Plan.id.desc()).limit(1))


def create(case: Case, sit: Situation, offer: offer_math.Offer, *, origin: str, state: PlanState, source: str,
           **fields: Any) -> Plan:
    """A plan with its instalments in `state`; refuses a second live plan on the case. Flushes."""
    if live_plan(case) is not None:
        raise PlanError(_("This case already has a plan in progress."))
    plan = Plan(case_id=case.id, policy_id=sit.policy.id, state=state, origin=origin, frequency=offer.frequency,
                total_minor=offer.total.minor, currency=offer.total.currency, **fields)
    db.session.add(plan)
    db.session.flush()
    for number, (amount, due) in enumerate(zip(offer.amounts, offer.dates, strict=True), start=1):
        db.session.add(Instalment(plan_id=plan.id, number=number, due_date=due, amount_minor=amount.minor,
                                  state=InstalmentState.scheduled))
    db.session.add(PlanEvent(plan_id=plan.id, state_from=None, state_to=str(state), source=source,
                             detail=f"{offer.count} x {offer.frequency} from {offer.dates[0].isoformat()}"))
    db.session.flush()
    db.session.refresh(plan)
    return plan


def replace_schedule(plan: Plan, offer: offer_math.Offer, source: str) -> None:
    """Give a not-yet-binding plan a new schedule (an agent's counter-offer). Flushes."""
    for instalment in list(plan.instalments):
        db.session.delete(instalment)
    db.session.flush()
    plan.frequency = offer.frequency
    for number, (amount, due) in enumerate(zip(offer.amounts, offer.dates, strict=True), start=1):
        db.session.add(Instalment(plan_id=plan.id, number=number, due_date=due, amount_minor=amount.minor,
                                  state=InstalmentState.scheduled))
    db.session.add(PlanEvent(plan_id=plan.id, state_from=str(plan.state), state_to=str(plan.state), source=source,
                             detail=f"schedule {offer.count} x {offer.frequency} from {offer.dates[0].isoformat()}"))
    db.session.flush()
    db.session.refresh(plan)


def starts_now(plan: Plan) -> bool:
    """Whether the first instalment is paid at once (else a setup-mode Checkout only saves the method)."""
    return plan.instalments[0].due_date <= today()


def offer_of(plan: Plan) -> offer_math.Offer:
    """A plan's schedule as an Offer (for display and checks)."""
    return offer_math.Offer(plan.frequency, tuple(i.amount for i in plan.instalments),
                            tuple(i.due_date for i in plan.instalments))


# --- proposals --------------------------------------------------------------------------------------------

def propose(case: Case, sit: Situation, amount: Money, frequency: Frequency, start: date, *, reason: str | None,
            budget: dict | None, support_needs: str | None) -> tuple[Plan, offer_math.Assessment]:
    """Assess a proposal at once and record the plan it leads to. Flushes."""
    verdict = offer_math.assess(sit.balance, amount, frequency, start, sit.rules, sit.risk_score, today(),
                                sit.minimum)
    fields = {"reason": reason or None, "budget": budget or None, "support_needs": support_needs or None}
    if verdict.verdict == offer_math.Verdict.accepted:
        plan = create(case, sit, verdict.proposed, origin="proposal", state=PlanState.accepted, source="policy",
                      approved_by="policy", **fields)
    elif verdict.verdict == offer_math.Verdict.countered:
        plan = create(case, sit, verdict.counter, origin="proposal", state=PlanState.countered, source="policy",
                      approved_by="policy", decision_note=",".join(verdict.broken), **fields)
    else:
        deadline = utcnow() + timedelta(days=sit.rules.decision_days)
        plan = create(case, sit, verdict.proposed, origin="proposal", state=PlanState.proposed, source="debtor",
                      decide_by=deadline, **fields)
    return plan, verdict


def withdraw(plan: Plan) -> None:
    """The debtor withdraws a proposal or counter-offer not yet binding. Flushes."""
    if plan.state not in (PlanState.proposed, PlanState.countered, PlanState.accepted):
        raise PlanError(_("Only a proposal that is not yet agreed can be withdrawn."))
    plan.move(PlanState.withdrawn, "debtor")


def queue(limit: int = 200) -> list[Plan]:
    """Proposals waiting for an agent, oldest first."""
    return list(db.session.scalars(select(Plan).where(Plan.state == PlanState.proposed)
                                   .order_by(Plan.created_at, Plan.id).limit(limit)))


def approve(plan: Plan, staff_id: int) -> None:
    """An agent approves a proposal as proposed. Flushes."""
    plan.approved_by = str(staff_id)
    plan.move(PlanState.accepted, f"agent:{staff_id}")


def reject(plan: Plan, staff_id: int, reason: str) -> None:
    """An agent rejects a proposal, with the reason the debtor will read; `plan.rejected`. Flushes."""
    plan.decision_note = reason
    plan.move(PlanState.rejected, f"agent:{staff_id}", detail=reason[:200])
    record_event(plan.case, "plan.rejected", {"plan_id": plan.id, "agent_id": str(staff_id), "reason": reason})


def counter(plan: Plan, staff_id: int, offer: offer_math.Offer, note: str) -> None:
    """An agent answers a proposal with another schedule. Flushes."""
    replace_schedule(plan, offer, f"agent:{staff_id}")
    plan.approved_by = str(staff_id)
    plan.decision_note = note
    plan.move(PlanState.countered, f"agent:{staff_id}", detail=note[:200])


# --- a plan in progress -----------------------------------------------------------------------------------

def next_open(plan: Plan) -> Instalment | None:
    """The first instalment still owed."""
    return next(iter(plan.open_instalments()), None)


def rest_to_pay(plan: Plan) -> Money:
    """What paying off the plan costs now: its open instalments, never more than the case still owes."""
    rest = Money(sum(i.amount_minor for i in plan.open_instalments()), plan.currency)
    owed = case_breakdown(plan.case).total_due
    return owed if owed < rest else rest


def move_date(plan: Plan, instalment: Instalment, new_date: date) -> None:
    """Move one future due date within the policy's allowance (moves left, before the next one). Flushes."""
    rules = plan.policy.rules
    if plan.state != PlanState.active or instalment.state != InstalmentState.scheduled:
        raise PlanError(_("Only a future instalment of an active plan can be moved."))
    if plan.date_moves_used >= rules.date_moves_allowed:
        raise PlanError(_("You have already moved a date as many times as this plan allows."))
    later = [i.due_date for i in plan.instalments if i.number > instalment.number and i.state in OPEN]
    latest = min([*later, instalment.due_date + timedelta(days=31)]) - timedelta(days=1) if later else \
        instalment.due_date + timedelta(days=31)
    if not today() < new_date <= latest or new_date == instalment.due_date:
        raise PlanError(_("Choose a date after today and before the following instalment."))
    old = instalment.due_date
    instalment.due_date = new_date
    instalment.reminded_at = None
    plan.date_moves_used += 1
    db.session.add(PlanEvent(plan_id=plan.id, instalment_number=instalment.number, state_from=str(instalment.state),
                             state_to=str(instalment.state), source="debtor",
                             detail=f"moved {old.isoformat()} -> {new_date.isoformat()}"))
    db.session.flush()
