"""Starting a payment: the row is recorded (and committed by the caller) before Stripe is called.

    payment = services.start(case, kind, amount, discount, nonce)   # flush; view commits
    services.open_checkout(payment, ...)                             # calls Stripe, flushes; view commits

A pay form carries a server-made `nonce`; the idempotency key derives from it, so a
second click (or a concurrent double submit) finds the same row and Stripe, given the
same key and parameters, answers with the same Checkout Session.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.cases.models import Case
from portal.clock import utcnow
from portal.extensions import db
from portal.money import Money
from portal.payments import gateway
from portal.payments.models import Payment, PaymentEvent, PaymentKind, PaymentState, StaleState

#: How long a Checkout Session stays payable (Stripe allows 30 minutes to 24 hours).
SESSION_LIFETIME = timedelta(hours=1)


class PaymentConflict(RuntimeError):
    """The same pay-form submission came back with another amount or kind."""


def idempotency_key(case: Case, nonce: str) -> str:
    """The key of one pay-form submission (Stripe keys are at most 255 characters)."""
    return f"portal-checkout-{case.id}-{nonce}"


def find_by_key(key: str) -> Payment | None:
    """The payment of a pay-form submission, if it was recorded already."""
    return db.session.scalar(select(Payment).where(Payment.idempotency_key == key))


def start(case: Case, kind: PaymentKind, amount: Money, discount: Money, nonce: str) -> Payment:
    """Record a pending payment for this submission, or return the one already recorded; flushes only."""
    key = idempotency_key(case, nonce)
    existing = find_by_key(key)
    if existing is not None:
        if (existing.case_id, existing.kind, existing.amount, existing.discount) != (case.id, kind, amount, discount):
            raise PaymentConflict(f"submission {key} was first made for another amount")
        return existing
    payment = Payment(case_id=case.id, kind=kind, state=PaymentState.pending, amount_minor=amount.minor,
                      currency=amount.currency, discount_minor=discount.minor, idempotency_key=key)
    db.session.add(payment)
    db.session.flush()
    db.session.add(PaymentEvent(payment_id=payment.id, state_from=None, state_to=PaymentState.pending, source="portal",
                                detail=f"{kind} {amount.minor} {amount.currency}"))
    db.session.flush()
    return payment


def reusable(case: Case, kind: PaymentKind, amount: Money) -> Payment | None:
    """An open Checkout Session for the same choice, still payable: the debtor is sent back to it."""
    fresh_after = utcnow() - SESSION_LIFETIME + timedelta(minutes=5)
    return db.session.scalar(
        select(Payment)
        .where(Payment.case_id == case.id, Payment.kind == kind, Payment.amount_minor == amount.minor,
               Payment.state == PaymentState.open, Payment.checkout_url.is_not(None), Payment.created_at > fresh_after)
        .order_by(Payment.id.desc())
        .limit(1)
    )


def metadata(payment: Payment) -> dict[str, str]:
    """Our ids on every Stripe object of this payment: webhooks and reconciliation find the row by them."""
    return {"portal_payment_id": str(payment.id), "case_reference": payment.case.reference, "kind": str(payment.kind)}


def open_checkout(payment: Payment, *, success_url: str, cancel_url: str, email: str | None,
                  locale: str | None, description: str, save_for_later: bool = False) -> None:
    """Create (or, on a repeated key, get back) the Checkout Session and record it; flushes only.

    Raises gateway.GatewayError after recording the failure on the payment.
    """
    try:
        session = gateway.create_checkout_session(
            amount=payment.amount, idempotency_key=payment.idempotency_key, metadata=metadata(payment),
            description=description, success_url=success_url, cancel_url=cancel_url, email=email, locale=locale,
            expires_at=payment.created_at + SESSION_LIFETIME, save_for_later=save_for_later,
        )
    except gateway.GatewayError as exc:
        db.session.refresh(payment)
        if payment.state == PaymentState.pending:
            payment.failure_code = (exc.code or "stripe_error")[:100]
            payment.move(PaymentState.failed, "portal", detail=payment.failure_code)
        raise
    db.session.refresh(payment)
    payment.checkout_session_id = session["id"]
    payment.checkout_url = session.get("url")
    if payment.state == PaymentState.pending:
        try:
            payment.move(PaymentState.open, "portal", detail=session["id"])
        except StaleState:  # the twin request (or a fast webhook) moved it first: nothing left to do
            db.session.refresh(payment)
    db.session.flush()
