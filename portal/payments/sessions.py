"""At most one payable Checkout Session per case, so a debtor can never pay twice by accident.

A debtor may open the pay page in two tabs, choose "pay in full" on a phone after choosing
"pay part" on a laptop, or start paying off a plan on the morning `flask plans collect`
charges an instalment. Each new Checkout Session, and each off-session charge, first
expires the case's other open sessions at Stripe (`close_others`). Once Stripe has
expired a session it can no longer be paid, so what is left payable is the new one.

A session that cannot be expired because the debtor already completed it is recorded as
Stripe has it (paid, or on its way for a delayed method such as SEPA) and returned: the
caller then takes no more money and shows that payment instead. When Stripe cannot be
reached, `gateway.GatewayError` propagates and the caller opens nothing new.
"""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.payments import fulfil, gateway
from portal.payments.models import PAID_STATES, Payment, PaymentState, StaleState

#: States in which the money is received or on its way: nothing more may be taken for it.
TAKEN = PAID_STATES | {PaymentState.processing}


def refresh(payment_id: int, session: dict, source: str = "portal") -> Payment | None:
    """Record the payment as its Checkout Session (and its PaymentIntent, read fresh) stand now; commits.

    Races safely with the webhook: a compare-and-set lost to it is rolled back and read again.
    """
    intent = gateway.retrieve_intent(session["payment_intent"]) if session.get("payment_intent") else None
    for _attempt in range(3):
        try:
            locked = fulfil.lock(payment_id)
            fulfil.apply_session(locked, session, intent, source)
            db.session.commit()
            return locked
        except StaleState:
            db.session.rollback()  # the webhook recorded it first; look again
    db.session.rollback()
    return db.session.get(Payment, payment_id)


def close_others(case_id: int, keep_id: int | None = None) -> Payment | None:
    """Expire every open Checkout Session of the case but `keep_id`'s; calls Stripe, commits each answer.

    Returns a payment found already paid or on its way (the caller must not take more), else None.
    """
    db.session.commit()  # nothing of the caller's may wait on Stripe, nor be rolled back by a lost race
    others = db.session.execute(
        select(Payment.id, Payment.checkout_session_id)
        .where(Payment.case_id == case_id, Payment.state == PaymentState.open,
               Payment.checkout_session_id.is_not(None), Payment.id != (keep_id or 0))
        .order_by(Payment.id)
    ).all()
    taken = None
    for payment_id, session_id in others:
        try:
            session = gateway.expire_session(session_id)
        except gateway.GatewayError:
            # Not open any more (completed, or expired on its own), or Stripe is unreachable:
            # read it; a second failure means Stripe is down and propagates.
            session = gateway.retrieve_session(session_id)
            if session.get("status") == "open":
                raise gateway.GatewayError(f"Checkout Session {session_id} could not be expired") from None
        payment = refresh(payment_id, session)
        if payment is not None and payment.state in TAKEN and taken is None:
            taken = payment
    return taken


def keep_one(case_id: int, opened_id: int) -> Payment | None:
    """After opening `opened_id`'s session: close the case's others; commits.

    Two submissions at the same moment (two tabs) both found nothing to close before opening;
    each now closes the other's page, so at most one stays payable (perhaps none: the debtor
    chooses again). If another was paid meanwhile, the new page is closed too and that payment
    is returned. A Stripe failure here leaves things as the first `close_others` made them.
    """
    try:
        taken = close_others(case_id, keep_id=opened_id)
        if taken is not None:
            close_others(case_id, keep_id=taken.id)  # the money came by the other page: close this one too
        return taken
    except gateway.GatewayError:
        db.session.rollback()
        return None
