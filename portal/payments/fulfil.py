"""Applying what Stripe says about a payment, exactly once, whichever path says it first.

Webhooks, the return page and `flask payments reconcile` all end here. Each function
takes the payment locked (`lock`), decides from its current state, and moves it through
`Payment.move` (a compare-and-set UPDATE), so two racing callers record one payment.
Facts go to the case's balance and the ledger outbox in the same transaction; the
receipt e-mail is queued and leaves after commit. All functions only flush.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from portal.cases.balance import case_breakdown
from portal.cases.models import Case, CaseEntry, EntryKind
from portal.clock import utcnow
from portal.extensions import db
from portal.ledger.outbox import record_event, record_money_entry
from portal.money import Money
from portal.payments import gateway
from portal.payments.models import Payment, PaymentEvent, PaymentState
from portal.payments.receipts import queue_receipt
from portal.plans import hooks as plan_hooks

log = logging.getLogger("portal.payments")
S = PaymentState


def lock(payment_id: int) -> Payment | None:
    """The payment, re-read and locked (FOR UPDATE on PostgreSQL) until the transaction ends."""
    return db.session.scalar(
        select(Payment).where(Payment.id == payment_id).with_for_update()
        .execution_options(populate_existing=True)
    )


def note(payment: Payment, source: str, detail: str, event_id: str | None = None) -> None:
    """A history row for a fact that moves nothing (a declined card, an ignored stale event)."""
    db.session.add(PaymentEvent(payment_id=payment.id, state_from=payment.state, state_to=payment.state,
                                source=source, detail=detail[:500], stripe_event_id=event_id))
    db.session.flush()


def apply_session(payment: Payment, session: dict, intent: dict | None, source: str, event_id: str | None = None) -> None:
    """Bring the payment in line with its Checkout Session (and the session's PaymentIntent, read fresh)."""
    if session.get("id") and not payment.checkout_session_id:
        payment.checkout_session_id = session["id"]
    if session.get("status") == "expired":
        if payment.state in (S.pending, S.open):
            payment.move(S.expired, source, stripe_event_id=event_id)
        return
    if session.get("status") != "complete" or intent is None:
        return
    if payment.state == S.pending:
        payment.move(S.open, source, detail=session.get("id"), stripe_event_id=event_id)
    if intent.get("status") in ("requires_payment_method", "canceled") and payment.state in (S.open, S.processing):
        # A completed session whose intent needs a new method again: the delayed debit bounced.
        _fail(payment, intent, source, event_id)
        return
    apply_intent(payment, intent, source, event_id)


def apply_intent(payment: Payment, intent: dict, source: str, event_id: str | None = None) -> None:
    """Bring the payment in line with its PaymentIntent as Stripe has it now."""
    status = intent.get("status")
    if payment.payment_intent_id is None and intent.get("id"):
        payment.payment_intent_id = intent["id"]
    if status == "succeeded":
        confirm(payment, intent, source, event_id)
    elif status == "processing" and payment.state in (S.pending, S.open):
        payment.move(S.processing, source, detail=intent.get("id"), stripe_event_id=event_id)
    elif status == "requires_payment_method" and intent.get("last_payment_error"):
        if payment.state == S.processing:
            _fail(payment, intent, source, event_id)
        elif payment.state in (S.pending, S.open):
            # A declined card or failed 3-D Secure inside Checkout: the debtor may try again there.
            payment.failure_code = _failure_code(intent)
            note(payment, source, f"declined: {payment.failure_code}", event_id)


def _failure_code(intent: dict) -> str:
    """Stripe's most specific code for the last failure."""
    error = intent.get("last_payment_error") or {}
    return str(error.get("decline_code") or error.get("code") or "payment_failed")[:100]


def _fail(payment: Payment, intent: dict, source: str, event_id: str | None) -> None:
    """The payment will not bring money (a bounced SEPA debit)."""
    payment.failure_code = _failure_code(intent)
    payment.move(S.failed, source, detail=payment.failure_code, stripe_event_id=event_id)


def _method(intent: dict) -> str:
    """The payment method type of the intent's charge (card, sepa_debit, ideal...)."""
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        details = charge.get("payment_method_details") or {}
        if details.get("type"):
            return str(details["type"])
    return "unknown"


def confirm(payment: Payment, intent: dict, source: str, event_id: str | None = None) -> bool:
    """Record the money received, once; True if this call recorded it."""
    charge = intent.get("latest_charge")
    charge_id = charge.get("id") if isinstance(charge, dict) else charge
    if payment.state.paid:
        payment.charge_id = payment.charge_id or charge_id
        return False
    if not payment.can_move(S.succeeded):
        log.error("payment %s is %s but Stripe says %s succeeded", payment.id, payment.state, intent.get("id"))
        note(payment, source, f"succeeded while {payment.state}: needs an operator", event_id)
        return False
    received = gateway.from_stripe(int(intent.get("amount_received") or intent.get("amount") or 0),
                                   str(intent.get("currency") or "").upper() or payment.currency)
    if received != payment.amount:
        log.error("payment %s: Stripe received %s, expected %s", payment.id, received, payment.amount)
        note(payment, source, f"amount mismatch: {received.minor} {received.currency}", event_id)
        return False
    payment.payment_intent_id = payment.payment_intent_id or intent.get("id")
    payment.charge_id = charge_id
    payment.method = _method(intent)
    payment.succeeded_at = utcnow()
    payment.move(S.succeeded, source, detail=intent.get("id"), stripe_event_id=event_id)
    case = payment.case
    before = case_breakdown(case).total_due
    plan = plan_hooks.before_recorded(payment, intent, source) or {"plan_id": None, "instalment_number": None}
    record_money_entry(
        case, EntryKind.payment, payment.amount, "payment.succeeded",
        {"payment_id": payment.id, "method": payment.method, "provider": "stripe",
         "provider_reference": payment.payment_intent_id, **plan},
        description=payment.reference, occurred_at=payment.succeeded_at,
    )
    _settle(case, payment, before)
    plan_hooks.after_recorded(payment, source)
    queue_receipt(payment)
    return True


def _settle(case: Case, payment: Payment, before: Money) -> None:
    """Write off a settlement's discount, and report the case settled when this payment clears it."""
    if not before:
        return  # already at zero (an overpayment): the case was reported settled before
    after = case_breakdown(case).total_due
    discount = min(payment.discount, after) if payment.discount else Money.zero(payment.currency)
    if discount:
        record_money_entry(case, EntryKind.discount, discount, "case.settled",
                           {"total_paid_minor": total_paid(case).minor}, description=payment.reference)
    elif not after:
        record_event(case, "case.settled", {"total_paid_minor": total_paid(case).minor, "discount_minor": 0,
                                            "currency": payment.currency})


def total_paid(case: Case) -> Money:
    """Money the debtor paid through the portal on this case and kept paid (less refunds, chargebacks)."""
    rows = db.session.execute(
        select(CaseEntry.kind, func.coalesce(func.sum(CaseEntry.amount_minor), 0))
        .where(CaseEntry.case_id == case.id).group_by(CaseEntry.kind)
    ).all()
    sums = {kind: int(total) for kind, total in rows}
    paid = sums.get(EntryKind.payment, 0) - sums.get(EntryKind.refund, 0) - sums.get(EntryKind.chargeback, 0)
    return Money(max(paid, 0), case.export.currency)


def apply_refund(payment: Payment, refunded_total: Money, refund_id: str, source: str, event_id: str | None = None) -> None:
    """Stripe has refunded `refunded_total` of this payment so far: record what is new, once."""
    delta = refunded_total.minor - payment.refunded_minor
    if delta <= 0 or payment.state not in (S.succeeded, S.partially_refunded):
        return  # older news (events cross), or nothing that Stripe would refund
    target = S.refunded if refunded_total.minor >= payment.amount_minor else S.partially_refunded
    payment.refunded_minor = min(refunded_total.minor, payment.amount_minor)
    payment.move(target, source, detail=refund_id, stripe_event_id=event_id)
    record_money_entry(payment.case, EntryKind.refund, Money(delta, payment.currency), "payment.refunded",
                       {"payment_id": payment.id, "refund_id": refund_id}, description=payment.reference)


def open_dispute(payment: Payment, dispute: dict, source: str, event_id: str | None = None) -> None:
    """The payer's bank opened a chargeback; the money is only put back on the balance if it is lost."""
    if payment.state not in (S.succeeded, S.partially_refunded) or _dispute_closed_before(payment, dispute["id"]):
        return
    payment.move(S.disputed, source, detail=f"dispute {dispute['id']} {dispute.get('reason')}", stripe_event_id=event_id)


def _dispute_closed_before(payment: Payment, dispute_id: str) -> bool:
    """Whether the closing of this dispute was applied already (the events arrived in reverse order)."""
    return db.session.scalar(
        select(func.count()).select_from(PaymentEvent)
        .where(PaymentEvent.payment_id == payment.id, PaymentEvent.detail.like(f"dispute {dispute_id} closed%"))
    ) > 0


def close_dispute(payment: Payment, dispute: dict, source: str, event_id: str | None = None) -> None:
    """A dispute was won (back to paid) or lost (the money goes back on the case's balance)."""
    if _dispute_closed_before(payment, dispute["id"]):
        return
    status = dispute.get("status")
    detail = f"dispute {dispute['id']} closed {status}"
    if status == "lost" and payment.state in (S.disputed, S.succeeded, S.partially_refunded):
        amount = gateway.from_stripe(int(dispute["amount"]), str(dispute["currency"]))
        payment.move(S.charged_back, source, detail=detail, stripe_event_id=event_id)
        record_money_entry(payment.case, EntryKind.chargeback, amount, "payment.disputed",
                           {"payment_id": payment.id, "reason": str(dispute.get("reason") or "unknown")},
                           description=payment.reference)
    elif status == "won" and payment.state == S.disputed:
        back = S.partially_refunded if payment.refunded_minor else S.succeeded
        payment.move(back, source, detail=detail, stripe_event_id=event_id)
    elif status == "won":
        note(payment, source, detail, event_id)
