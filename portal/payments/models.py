"""Online payments: one row per attempt to pay through Stripe, its history, and the webhook events seen.

A payment's life is a small state machine (`TRANSITIONS`); `Payment.move` raises on
anything not in the table, so a stale or reordered webhook can never move a payment
backwards (e.g. from succeeded to processing).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Enum, ForeignKey, String, Text, update
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value

from portal.cases.models import Case
from portal.clock import utcnow
from portal.db_types import UTCDateTime
from portal.extensions import db
from portal.money import Money


class PaymentKind(enum.StrEnum):
    """What the debtor chose to pay."""

    full = "full"  # everything due now
    part = "part"  # an amount of their choice between the creditor's minimum and what is due
    settlement = "settlement"  # the creditor's offer: this amount now, the rest written off
    instalment = "instalment"  # an instalment of a plan (portal.plans), on- or off-session


class PaymentState(enum.StrEnum):
    """Where a payment stands; see TRANSITIONS for the legal moves."""

    pending = "pending"  # recorded, Stripe not called yet (or the call's answer not recorded)
    open = "open"  # a Checkout Session exists; the debtor may be paying now
    processing = "processing"  # paid by a delayed method (SEPA): the bank has not confirmed yet
    succeeded = "succeeded"  # money received; on the case's balance
    failed = "failed"  # the delayed payment bounced, or Stripe refused to start the session
    expired = "expired"  # the Checkout Session closed unpaid
    canceled = "canceled"  # abandoned before Stripe was reached
    partially_refunded = "partially_refunded"
    refunded = "refunded"
    disputed = "disputed"  # the payer's bank opened a chargeback
    charged_back = "charged_back"  # the dispute was lost: the money went back to the payer

    @property
    def paid(self) -> bool:
        """Whether the money was received at some point (a receipt exists)."""
        return self in PAID_STATES


PAID_STATES = frozenset({
    PaymentState.succeeded, PaymentState.partially_refunded, PaymentState.refunded,
    PaymentState.disputed, PaymentState.charged_back,
})

S = PaymentState
#: Every legal move. Terminal states have none.
TRANSITIONS: dict[PaymentState, frozenset[PaymentState]] = {
    # A webhook may arrive before the session's id is recorded, hence pending -> anything open may become.
    S.pending: frozenset({S.open, S.processing, S.succeeded, S.failed, S.expired, S.canceled}),
    S.open: frozenset({S.processing, S.succeeded, S.failed, S.expired}),
    S.processing: frozenset({S.succeeded, S.failed}),
    # A lost dispute may be heard of before its opening (webhooks are not ordered).
    S.succeeded: frozenset({S.partially_refunded, S.refunded, S.disputed, S.charged_back}),
    S.partially_refunded: frozenset({S.partially_refunded, S.refunded, S.disputed, S.charged_back}),
    S.disputed: frozenset({S.succeeded, S.partially_refunded, S.charged_back}),
    S.refunded: frozenset(),
    S.failed: frozenset(),
    S.expired: frozenset(),
    S.canceled: frozenset(),
    S.charged_back: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A payment was asked to move where the state machine does not allow."""


class StaleState(RuntimeError):
    """Another transaction moved the payment first: roll back, read it again, decide again."""


class Payment(db.Model):
    """One attempt to pay a case online, recorded (and committed) before Stripe is called."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("discount_minor >= 0", name="discount_not_negative"),
        CheckConstraint("refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refunded_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[PaymentKind] = mapped_column(Enum(PaymentKind, native_enum=False, length=16))
    state: Mapped[PaymentState] = mapped_column(Enum(PaymentState, native_enum=False, length=24))
    #: What the debtor pays, in minor units of `currency`; computed by the server.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    #: ISO 4217, the case's currency.
    currency: Mapped[str] = mapped_column(String(3))
    #: Settlement only: what is written off once this payment succeeds (0 otherwise).
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: Stripe Idempotency-Key of the Checkout Session creation; one per pay-form submission.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    #: Stripe Checkout Session id (cs_...), once created.
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: Where the debtor pays (the hosted page), kept so a second click lands on the same page.
    checkout_url: Mapped[str | None] = mapped_column(Text)
    #: Stripe PaymentIntent id (pi_...), once the debtor has tried to pay.
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: Stripe Charge id (ch_...) of the successful charge; refunds and disputes name it.
    charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    #: Payment method type as Stripe names it (card, sepa_debit, ideal, ...), once known.
    method: Mapped[str | None] = mapped_column(String(40))
    #: Total refunded so far, minor units.
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: Stripe's code of the last failure (card_declined, insufficient_funds...), for the debtor's page.
    failure_code: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the money was confirmed (the receipt's date).
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()

    @property
    def amount(self) -> Money:
        """The amount as Money."""
        return Money(self.amount_minor, self.currency)

    @property
    def discount(self) -> Money:
        """The settlement write-off as Money."""
        return Money(self.discount_minor, self.currency)

    @property
    def reference(self) -> str:
        """The reference printed on receipts."""
        return f"PAY-{self.id:08d}"

    def can_move(self, to: PaymentState) -> bool:
        """Whether `to` is a legal next state."""
        return to in TRANSITIONS[self.state]

    def move(self, to: PaymentState, source: str, detail: str | None = None, stripe_event_id: str | None = None,
             *, flush: bool = True, **changes) -> None:
        """Change state (and the columns in `changes`, in the same UPDATE) and append the history row.

        Raises IllegalTransition on a move not in the table, and StaleState when the row is no
        longer in the state this object saw: the UPDATE is conditional on it (compare-and-set), so
        of two racing confirmations (webhook and return page) exactly one moves the payment.
        Flushes unless `flush=False` (the caller flushes the history row with its own rows).
        """
        if not self.can_move(to):
            raise IllegalTransition(f"payment {self.id} cannot go from {self.state} to {to}")
        now = utcnow()
        values = {"state": to, "updated_at": now, **changes}
        moved = db.session.execute(
            update(Payment).where(Payment.id == self.id, Payment.state == self.state).values(**values),
            execution_options={"synchronize_session": False},
        ).rowcount
        if moved != 1:
            raise StaleState(f"payment {self.id} is no longer {self.state}")
        db.session.add(PaymentEvent(payment_id=self.id, state_from=self.state, state_to=to, source=source,
                                    detail=detail, stripe_event_id=stripe_event_id))
        for key, value in values.items():
            set_committed_value(self, key, value)
        if flush:
            db.session.flush()


class PaymentEvent(db.Model):
    """Append-only history of a payment: every state change, and notable facts that change none."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    #: State before (None when the payment was created).
    state_from: Mapped[PaymentState | None] = mapped_column(Enum(PaymentState, native_enum=False, length=24))
    #: State after (equal to state_from for facts that do not move it, e.g. a declined card).
    state_to: Mapped[PaymentState] = mapped_column(Enum(PaymentState, native_enum=False, length=24))
    #: What caused it: "portal", "return", "reconcile" or "webhook:<Stripe event type>".
    source: Mapped[str] = mapped_column(String(80))
    #: Short machine detail (a failure code, a refund id), never personal data.
    detail: Mapped[str | None] = mapped_column(Text)
    #: The Stripe event that caused it, if any.
    stripe_event_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StripeEvent(db.Model):
    """A Stripe event id already processed: the primary key makes every delivery after the first a no-op."""

    __tablename__ = "stripe_events"

    #: Stripe's event id (evt_...).
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    #: Event type, e.g. checkout.session.completed.
    type: Mapped[str] = mapped_column(String(100))
    #: The payment it concerned, if it was one of ours.
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    #: "webhook" or "reconcile".
    via: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
