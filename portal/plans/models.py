"""Instalment plans: creditor policies (versioned), plans, their instalments, history and payment links.

Plans and instalments are state machines (`PLAN_MOVES`, `INSTALMENT_MOVES`); `move`
raises on anything not in the tables and appends a `PlanEvent`, so the history is
complete and append-only.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.cases.models import Case
from portal.clock import utcnow
from portal.creditors.models import Creditor
from portal.db_types import UTCDateTime
from portal.extensions import db
from portal.money import Money
from portal.plans.rules import Frequency, Rules, parse


class PlanPolicy(db.Model):
    """One version of a creditor's instalment policy; never edited, a save adds the next version."""

    __tablename__ = "plan_policies"
    __table_args__ = (UniqueConstraint("creditor_id", "version"), CheckConstraint("version >= 1", name="version_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    creditor_id: Mapped[int] = mapped_column(ForeignKey("creditors.id"))
    #: 1, 2, 3... per creditor; plans record the version they were agreed under.
    version: Mapped[int]
    #: The policy document (see portal.plans.rules.parse).
    rules_json: Mapped[dict] = mapped_column(JSON)
    #: Who saved it: a staff id, or None for `flask policies import`.
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    creditor: Mapped[Creditor] = relationship()

    @property
    def rules(self) -> Rules:
        """The parsed rules."""
        return parse(self.rules_json)


class PlanState(enum.StrEnum):
    """Where a plan stands; see PLAN_MOVES."""

    proposed = "proposed"  # the debtor's proposal, waiting for an agent
    countered = "countered"  # a counter-offer (instant or an agent's) waits for the debtor
    accepted = "accepted"  # approved: waits for the debtor to pay the first instalment / save a method
    rejected = "rejected"
    withdrawn = "withdrawn"
    pending_payment = "pending_payment"  # chosen; binding once Stripe confirms the payment or setup
    active = "active"
    completed = "completed"
    broken = "broken"  # too many missed instalments: the balance stays owed
    cancelled = "cancelled"


P = PlanState
#: Every legal plan move.
PLAN_MOVES: dict[PlanState, frozenset[PlanState]] = {
    P.proposed: frozenset({P.countered, P.accepted, P.rejected, P.withdrawn}),
    P.countered: frozenset({P.pending_payment, P.withdrawn, P.rejected}),
    P.accepted: frozenset({P.pending_payment, P.withdrawn}),
    P.pending_payment: frozenset({P.active, P.cancelled}),
    P.active: frozenset({P.completed, P.broken, P.cancelled}),
    P.rejected: frozenset(), P.withdrawn: frozenset(), P.completed: frozenset(),
    P.broken: frozenset(), P.cancelled: frozenset(),
}
#: States in which a case has a live plan (no second one may start).
LIVE = frozenset({P.proposed, P.countered, P.accepted, P.pending_payment, P.active})


class InstalmentState(enum.StrEnum):
    """Where one instalment stands; see INSTALMENT_MOVES."""

    scheduled = "scheduled"
    due = "due"  # claimed by a collection run: a charge is being attempted
    paid = "paid"
    failed = "failed"  # declined; retried on the policy's schedule
    action_required = "action_required"  # the bank wants the debtor to authenticate: pay-now link sent
    missed = "missed"  # retries exhausted; counts towards the plan's tolerance
    moved = "moved"  # missed, and its amount moved to a new instalment at the end
    cancelled = "cancelled"  # the plan ended before it fell due


I = InstalmentState  # noqa: E741
#: Every legal instalment move.
INSTALMENT_MOVES: dict[InstalmentState, frozenset[InstalmentState]] = {
    I.scheduled: frozenset({I.due, I.paid, I.cancelled}),
    I.due: frozenset({I.paid, I.failed, I.action_required, I.missed, I.scheduled}),
    I.failed: frozenset({I.due, I.paid, I.missed, I.cancelled}),
    I.action_required: frozenset({I.due, I.paid, I.missed, I.cancelled}),
    I.missed: frozenset({I.paid, I.moved, I.cancelled}),
    I.paid: frozenset(), I.moved: frozenset(), I.cancelled: frozenset(),
}
#: Instalments still owed.
OPEN = frozenset({I.scheduled, I.due, I.failed, I.action_required, I.missed})


class IllegalMove(RuntimeError):
    """A plan or instalment was asked to move where its state machine does not allow."""


class Plan(db.Model):
    """A debtor's commitment to pay a case's balance in instalments (or a proposal for one)."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("total_minor > 0", name="total_positive"),
        CheckConstraint("date_moves_used >= 0", name="date_moves_not_negative"),
        Index("ix_plans_state_created_at", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: The policy version the plan was offered or assessed under.
    policy_id: Mapped[int] = mapped_column(ForeignKey("plan_policies.id"))
    state: Mapped[PlanState] = mapped_column(Enum(PlanState, native_enum=False, length=20))
    #: "offer" (chosen from the offers) or "proposal" (the debtor's own).
    origin: Mapped[str] = mapped_column(String(10))
    frequency: Mapped[Frequency] = mapped_column(Enum(Frequency, native_enum=False, length=10))
    #: The balance the instalments add up to, minor units.
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    #: "policy", or the id of the agent who approved it (as text, as the ledger wants it).
    approved_by: Mapped[str | None] = mapped_column(String(20))
    #: Proposal: the debtor's reason, free text (optional).
    reason: Mapped[str | None] = mapped_column(Text)
    #: Proposal: monthly income and expenditure, minor units by heading (optional).
    budget: Mapped[dict | None] = mapped_column(JSON)
    #: Proposal: support needs, stored only with the debtor's explicit consent.
    support_needs: Mapped[str | None] = mapped_column(Text)
    #: Proposal: an agent answers by then.
    decide_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why an agent rejected or countered (shown to the debtor).
    decision_note: Mapped[str | None] = mapped_column(Text)
    #: Stripe Customer and PaymentMethod used for off-session charges, once saved.
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    stripe_payment_method_id: Mapped[str | None] = mapped_column(String(255))
    #: Setup-mode Checkout Session saving (or replacing) the method, when no payment was due at once.
    setup_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: How many times the debtor moved a due date.
    date_moves_used: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When it became binding (Stripe confirmed the first payment or the saved method).
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    policy: Mapped[PlanPolicy] = relationship()
    instalments: Mapped[list[Instalment]] = relationship(back_populates="plan", order_by="Instalment.number")

    @property
    def total(self) -> Money:
        """The plan's total as Money."""
        return Money(self.total_minor, self.currency)

    def budget_amount(self, heading: str) -> Money | None:
        """One heading of the debtor's budget ("income", "expenditure") as Money, or None if not given."""
        minor = (self.budget or {}).get(heading)
        return Money(minor, self.currency) if isinstance(minor, int) else None

    def move(self, to: PlanState, source: str, detail: str | None = None) -> None:
        """Change state and append the history row; raises IllegalMove; flushes."""
        if to not in PLAN_MOVES[self.state]:
            raise IllegalMove(f"plan {self.id} cannot go from {self.state} to {to}")
        db.session.add(PlanEvent(plan_id=self.id, state_from=str(self.state), state_to=str(to), source=source,
                                 detail=detail))
        self.state = to
        db.session.flush()

    def open_instalments(self) -> list[Instalment]:
        """Instalments still owed, in order."""
        return [i for i in self.instalments if i.state in OPEN]


class Instalment(db.Model):
    """One amount of a plan, due on a date."""

    __tablename__ = "instalments"
    __table_args__ = (
        UniqueConstraint("plan_id", "number"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_instalments_state_due_date", "state", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    #: 1, 2, 3... in due order.
    number: Mapped[int]
    due_date: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[InstalmentState] = mapped_column(Enum(InstalmentState, native_enum=False, length=20))
    #: Off-session charge attempts made so far (the idempotency key counts them).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: After a decline: when the next attempt is due.
    retry_on: Mapped[date | None] = mapped_column(Date)
    #: When the "coming up" reminder was sent (sent once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    plan: Mapped[Plan] = relationship(back_populates="instalments")

    @property
    def amount(self) -> Money:
        """The amount as Money."""
        return Money(self.amount_minor, self.plan.currency)

    def move(self, to: InstalmentState, source: str, detail: str | None = None) -> None:
        """Change state and append the plan's history row; raises IllegalMove; flushes."""
        if to not in INSTALMENT_MOVES[self.state]:
            raise IllegalMove(f"instalment {self.plan_id}/{self.number} cannot go from {self.state} to {to}")
        db.session.add(PlanEvent(plan_id=self.plan_id, instalment_number=self.number, state_from=str(self.state),
                                 state_to=str(to), source=source, detail=detail))
        self.state = to
        db.session.flush()


class PlanEvent(db.Model):
    """Append-only history of a plan and its instalments."""

    __tablename__ = "plan_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    #: Set when the row is about an instalment.
    instalment_number: Mapped[int | None]
    #: State before (None when created).
    state_from: Mapped[str | None] = mapped_column(String(20))
    state_to: Mapped[str] = mapped_column(String(20))
    #: "debtor", "policy", "agent:<id>", "collect", "webhook:..." or "return".
    source: Mapped[str] = mapped_column(String(80))
    #: Short machine detail (a failure code, a moved date), never personal data.
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanPayment(db.Model):
    """Which plan (and instalment, and attempt) a payment row pays."""

    __tablename__ = "plan_payments"

    #: The payment (one per Checkout Session or off-session attempt).
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    instalment_id: Mapped[int] = mapped_column(ForeignKey("instalments.id"), index=True)
    #: 0 for an on-session payment (first instalment, pay now); n for the n-th off-session attempt.
    attempt: Mapped[int] = mapped_column(default=0)

    instalment: Mapped[Instalment] = relationship()
