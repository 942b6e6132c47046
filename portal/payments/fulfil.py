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
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal.cases.balance import breakdown
from portal.cases.models import Case, CaseEntry, EntryKind
from portal.clock import utcnow
from portal.extensions import db
from portal.ledger.outbox import next_sequence, record_event, record_money_entry
from portal.money import Money
from portal.payments import gateway
from portal.payments.models import Payment, PaymentEvent, PaymentState
from portal.payments.receipts import queue_receipt
from portal.plans import hooks as plan_hooks

log = logging.getLogger("portal.payments")
S = PaymentState


def lock(payment_id: int) -> Payment | None:
    """The payment, re-read and locked (FOR UPDATE on PostgreSQL) until the transaction ends.

    Its case, the case's export, creditor and debtor come in the same query (only the payment
    row is locked): recording and the receipt need them, and lazy loads would cost a query each.
    """
    case = joinedload(Payment.case)
    return db.session.scalar(
        select(Payment).where(Payment.id == payment_id)
        .options(case.joinedload(Case.export), case.joinedload(Case.creditor), case.joinedload(Case.debtor))
        .with_for_update(of=Payment)
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
    if status == "succeeded":
        confirm(payment, intent, source, event_id)  # records the intent's id with the new state
        return
    if payment.payment_intent_id is None and intent.get("id"):
        payment.payment_intent_id = intent["id"]
    if status == "processing" and payment.state in (S.pending, S.open):
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
    if payment.state.paid or not payment.can_move(S.succeeded):
        payment.payment_intent_id = payment.payment_intent_id or intent.get("id")
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
        payment.payment_intent_id = payment.payment_intent_id or intent.get("id")
        log.error("payment %s: Stripe received %s, expected %s", payment.id, received, payment.amount)
        note(payment, source, f"amount mismatch: {received.minor} {received.currency}", event_id)
        return False
    # The receipt's facts go in the same compare-and-set UPDATE as the new state; the history
    # row is flushed with the next statement.
    payment.move(S.succeeded, source, detail=intent.get("id"), stripe_event_id=event_id, flush=False,
                 payment_intent_id=payment.payment_intent_id or intent.get("id"), charge_id=charge_id,
                 method=_method(intent), succeeded_at=utcnow())
    case = payment.case
    plan = plan_hooks.before_recorded(payment, intent, source)
    entries = _lock_entries(case)
    sequence = case.last_sequence + 1
    paid = CaseEntry(kind=EntryKind.payment, amount_minor=payment.amount_minor, sequence=sequence)
    before = breakdown(case.export, entries).total_due
    after = breakdown(case.export, [*entries, paid]).total_due
    settles = bool(before) and (bool(payment.discount_minor) or not after)
    if next_sequence(case, 2 if settles else 1) != sequence:
        raise RuntimeError(f"case {case.reference}: sequence moved while the case row was locked")
    record_money_entry(
        case, EntryKind.payment, payment.amount, "payment.succeeded",
        {"payment_id": payment.id, "method": payment.method, "provider": "stripe",
         "provider_reference": payment.payment_intent_id, **(plan or {"plan_id": None, "instalment_number": None})},
        description=payment.reference, occurred_at=payment.succeeded_at, sequence=sequence, flush=False,
    )
    if settles:
        discount = _settle(case, payment, after, _total_paid([*entries, paid], case.export.currency), sequence + 1)
        if discount is not None:
            after = breakdown(case.export, [*entries, paid, discount]).total_due
    if plan is not None:
        plan_hooks.after_recorded(payment, source)
    queue_receipt(payment, after)
    db.session.flush()
    return True


def _lock_entries(case: Case) -> list[CaseEntry]:
    """Every money entry of the case, read after locking the case row, in one query.

    The lock is the one `next_sequence`'s UPDATE would take (FOR NO KEY UPDATE on PostgreSQL, so
    inserts that only reference the case still go through): no other fact can be recorded on the
    case until commit, so the balance read here and `case.last_sequence` stay true.
    """
    rows = db.session.execute(
        select(Case.last_sequence, CaseEntry).select_from(Case)
        .outerjoin(CaseEntry, CaseEntry.case_id == Case.id)
        .where(Case.id == case.id).order_by(CaseEntry.sequence).with_for_update(of=Case, key_share=True)
    ).all()
    set_committed_value(case, "last_sequence", rows[0][0])
    return [entry for _last, entry in rows if entry is not None]


def _settle(case: Case, payment: Payment, after: Money, paid: Money, sequence: int) -> CaseEntry | None:
    """Write off a settlement's discount (returned), or report the case settled, under `sequence`.

    Called when this payment clears the case or carries a settlement discount, and the case
    was not at zero before it (an overpayment: the case was reported settled before).
    """
    discount = min(payment.discount, after) if payment.discount else Money.zero(payment.currency)
    if discount:
        entry, _event = record_money_entry(case, EntryKind.discount, discount, "case.settled",
                                           {"total_paid_minor": paid.minor}, description=payment.reference,
                                           sequence=sequence, flush=False)
        return entry
    record_event(case, "case.settled", {"total_paid_minor": paid.minor, "discount_minor": 0,
                                        "currency": payment.currency}, sequence=sequence, flush=False)
    return None


def _total_paid(entries: list[CaseEntry], currency: str) -> Money:
    """Money paid through the portal and kept paid (less refunds, chargebacks), from all of a case's entries."""
    sums = {kind: 0 for kind in EntryKind}
    for entry in entries:
        sums[entry.kind] += entry.amount_minor
    paid = sums[EntryKind.payment] - sums[EntryKind.refund] - sums[EntryKind.chargeback]
    return Money(max(paid, 0), currency)


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
