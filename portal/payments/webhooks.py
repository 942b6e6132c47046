"""Stripe events: find our payment, read what is needed from Stripe, apply it once per event id.

`handle(event, via)` is shared by the webhook view and `flask payments reconcile`. It
commits itself (it is the edge for both): the event id row and every effect of the event
are one transaction, so a duplicate delivery hits the primary key and changes nothing.
"""

from __future__ import annotations

import logging

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.payments import fulfil, gateway
from portal.payments.models import Payment, StaleState, StripeEvent
from portal.plans import hooks as plan_hooks

log = logging.getLogger("portal.payments")

#: Event types that change payments; any other type is acknowledged and ignored.
HANDLED = (
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "checkout.session.expired",
    "payment_intent.succeeded", "payment_intent.processing", "payment_intent.payment_failed",
    "charge.refunded", "charge.dispute.created", "charge.dispute.closed",
)


def seen(event_id: str) -> bool:
    """Whether this event was applied already (a cheap early answer for redeliveries)."""
    return db.session.get(StripeEvent, event_id) is not None


def find_payment(obj: dict) -> Payment | None:
    """Our payment for a Stripe object: by the metadata we set, else by the Stripe ids we recorded."""
    payment_id = (obj.get("metadata") or {}).get("portal_payment_id")
    if payment_id and str(payment_id).isdigit():
        return db.session.get(Payment, int(payment_id))
    ids = [v for v in (obj.get("payment_intent"), obj.get("id")) if isinstance(v, str)]
    if not ids:
        return None
    return db.session.scalar(select(Payment).where(or_(Payment.payment_intent_id.in_(ids),
                                                       Payment.checkout_session_id.in_(ids))))


def _intent_of(obj: dict) -> dict | None:
    """The PaymentIntent named by a session, charge or dispute (or the intent itself), read fresh from Stripe."""
    intent_id = obj["id"] if obj.get("object") == "payment_intent" else obj.get("payment_intent")
    return gateway.retrieve_intent(intent_id) if isinstance(intent_id, str) else None


def _setup_of(event_type: str, obj: dict) -> dict | None:
    """The SetupIntent of a completed setup-mode Checkout Session (an instalment plan saving a method)."""
    if event_type != "checkout.session.completed" or obj.get("mode") != "setup" or not obj.get("setup_intent"):
        return None
    return gateway.retrieve_setup_intent(obj["setup_intent"])


def handle(event: dict, via: str = "webhook") -> bool:
    """Apply one event once; True if it was new. Raises gateway.GatewayError if Stripe cannot be read."""
    if seen(event["id"]):
        return False
    obj = event["data"]["object"]
    payment = find_payment(obj) if event["type"] in HANDLED else None
    # Read Stripe before taking any lock: the fresh intent decides, whatever order events came in.
    intent = _intent_of(obj) if payment is not None else None
    setup = _setup_of(event["type"], obj)
    for attempt in range(3):
        try:
            db.session.add(StripeEvent(id=event["id"], type=event["type"], via=via,
                                       payment_id=payment.id if payment else None))
            db.session.flush()
            if payment is not None:
                locked = fulfil.lock(payment.id)
                _apply(event, obj, locked, intent, f"{via}:{event['type']}")
            elif setup is not None:
                plan_hooks.setup_completed(obj, setup, f"{via}:{event['type']}")
            db.session.commit()
            return True
        except IntegrityError:
            db.session.rollback()
            if seen(event["id"]):
                return False  # another delivery of this event committed first
            raise
        except StaleState:
            db.session.rollback()  # the return page moved the payment first: decide again on fresh rows
            if attempt == 2:
                raise
    return False


def _apply(event: dict, obj: dict, payment: Payment, intent: dict | None, source: str) -> None:
    """Dispatch on the event type."""
    event_id = event["id"]
    match event["type"]:
        case t if t.startswith("checkout.session."):
            fulfil.apply_session(payment, obj, intent, source, event_id)
        case t if t.startswith("payment_intent.") and intent is not None:
            fulfil.apply_intent(payment, intent, source, event_id)
        case "charge.refunded":
            _ensure_paid(payment, intent, source, event_id)
            total = gateway.from_stripe(int(obj["amount_refunded"]), str(obj["currency"]))
            fulfil.apply_refund(payment, total, f"{obj['id']}:{obj['amount_refunded']}", source, event_id)
        case "charge.dispute.created":
            _ensure_paid(payment, intent, source, event_id)
            fulfil.open_dispute(payment, obj, source, event_id)
        case "charge.dispute.closed":
            _ensure_paid(payment, intent, source, event_id)
            fulfil.close_dispute(payment, obj, source, event_id)


def _ensure_paid(payment: Payment, intent: dict | None, source: str, event_id: str) -> None:
    """A refund or dispute can arrive before the success it follows: record the success first."""
    if intent is not None and not payment.state.paid:
        fulfil.apply_intent(payment, intent, source, event_id)
