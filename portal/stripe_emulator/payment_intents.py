"""PaymentIntents: create, confirm (on- and off-session), 3-D Secure, SEPA settlement."""

from __future__ import annotations

import secrets

from portal.stripe_emulator import cards
from portal.stripe_emulator.charges import new_charge
from portal.stripe_emulator.currencies import check_amount, check_currency
from portal.stripe_emulator.customers import attach, resolve_method
from portal.stripe_emulator.emulator import Emulator
from portal.stripe_emulator.errors import StripeError, invalid, unexpected_state

AUTH_FAILED = "We are unable to authenticate your payment method. Please choose a different payment method and try again."


def create(emu: Emulator, p: dict) -> dict:
    """POST /v1/payment_intents."""
    currency = check_currency(p["currency"])
    amount = check_amount(p["amount"], currency)
    if p.get("off_session") not in (None, False) and not p.get("confirm"):
        raise invalid("You may only specify `off_session` when `confirm` is true.", param="off_session")
    customer = emu.store.get(p["customer"], "customer", param="customer")["id"] if p.get("customer") else None
    pm = resolve_method(emu, p["payment_method"]) if p.get("payment_method") else None
    apm = p.get("automatic_payment_methods") or {"enabled": True, "allow_redirects": "always"}
    if p.get("confirm"):
        check_return_url(p, apm.get("allow_redirects", "always"))
    pi = emu.store.create(
        "pi",
        "payment_intent",
        amount=amount,
        amount_capturable=0,
        amount_received=0,
        automatic_payment_methods={"enabled": bool(apm.get("enabled", True)), "allow_redirects": apm.get("allow_redirects", "always")},
        canceled_at=None,
        cancellation_reason=None,
        capture_method=p.get("capture_method", "automatic_async"),
        confirmation_method=p.get("confirmation_method", "automatic"),
        currency=currency,
        customer=customer,
        description=p.get("description"),
        last_payment_error=None,
        latest_charge=None,
        metadata=dict(p.get("metadata") or {}),
        next_action=None,
        payment_method=pm["id"] if pm else None,
        payment_method_types=["card", "sepa_debit"],
        receipt_email=p.get("receipt_email"),
        setup_future_usage=p.get("setup_future_usage"),
        statement_descriptor=p.get("statement_descriptor"),
        status="requires_confirmation" if pm else "requires_payment_method",
    )
    pi["client_secret"] = f"{pi['id']}_secret_{secrets.token_urlsafe(18)}"
    emu.emit("payment_intent.created", pi)
    if p.get("confirm"):
        confirm(emu, pi, p)
    return pi


def update(emu: Emulator, pi: dict, p: dict) -> dict:
    """POST /v1/payment_intents/{id}: amount, metadata and description before it is paid."""
    if pi["status"] in ("succeeded", "processing", "canceled"):
        raise unexpected_state(f"This PaymentIntent's status is {pi['status']}; it cannot be updated.")
    for key in ("description", "receipt_email", "setup_future_usage"):
        if key in p:
            pi[key] = p[key] or None
    if "currency" in p:
        pi["currency"] = check_currency(p["currency"])
    if "amount" in p:
        pi["amount"] = check_amount(p["amount"], pi["currency"])
    if "metadata" in p:
        pi["metadata"] = {} if p["metadata"] == "" else {**pi["metadata"], **p["metadata"]}
        pi["metadata"] = {k: v for k, v in pi["metadata"].items() if v != ""}
    return pi


def confirm(emu: Emulator, pi: dict, p: dict) -> dict:
    """Confirm with the attached or given PaymentMethod; card declines raise 402 carrying the PaymentIntent."""
    if pi["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}. "
            "Only a PaymentIntent with one of the following statuses may be confirmed: "
            "requires_confirmation, requires_action, requires_payment_method."
        )
    if p.get("payment_method"):
        pm = resolve_method(emu, p["payment_method"])
        pi["payment_method"] = pm["id"]
    if not pi["payment_method"]:
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the "
            "PaymentIntent with " + (pi["customer"] or "a customer") + ", specify a payment method attached to this customer "
            "along with the customer ID."
        )
    pm = emu.store.get(pi["payment_method"], "payment_method", "PaymentMethod", "payment_method")
    if pm["customer"] and pm["customer"] != pi["customer"]:
        raise invalid(
            f"The PaymentMethod {pm['id']} belongs to the Customer {pm['customer']}. Please include the Customer "
            "in the `customer` parameter on the PaymentIntent.",
            param="payment_method",
        )
    if "setup_future_usage" in p:
        pi["setup_future_usage"] = p["setup_future_usage"] or None
    off_session = p.get("off_session") not in (None, False)
    check_return_url(p, pi["automatic_payment_methods"]["allow_redirects"])
    pi["_return_url"] = p.get("return_url")
    attempt(emu, pi, pm, off_session=off_session)
    return pi


def check_return_url(p: dict, allow_redirects: str) -> None:
    """An on-session confirmation that may redirect needs somewhere to come back to."""
    if p.get("off_session") not in (None, False) or p.get("return_url") or allow_redirects == "never":
        return
    raise invalid(
        "This PaymentIntent is configured to accept payment methods enabled in your Dashboard, because some of "
        "these payment methods might redirect your customer off of your page, you must provide a `return_url`. "
        "If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` "
        "to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and "
        "Payment Intents.",
        param="return_url",
    )


def attempt(emu: Emulator, pi: dict, pm: dict, *, off_session: bool, authenticated: bool = False) -> None:
    """Run one payment attempt as Stripe's test cards and SEPA behave."""
    pi["last_payment_error"] = None
    pi["next_action"] = None
    if pm["type"] == "sepa_debit":
        pi["status"] = "processing"
        charge = new_charge(emu, pi, pm, "pending")
        pi["latest_charge"] = charge["id"]
        _save_for_later(emu, pi, pm)
        emu.emit("payment_intent.processing", pi)
        return
    card = cards.card_for(pm["_number"])
    needs_auth = not authenticated and (
        card.auth == "always" or (card.auth == "unless_saved" and not (off_session and pm["_saved_off_session"]))
    )
    if needs_auth and off_session:
        _fail(emu, pi, pm, "authentication_required", charge=None)
    if needs_auth:
        pi["status"] = "requires_action"
        url = emu.url(f"/c/3ds/{pi['id']}")
        pi["next_action"] = {"type": "redirect_to_url", "redirect_to_url": {"url": url, "return_url": pi.get("_return_url")}}
        emu.emit("payment_intent.requires_action", pi)
        return
    if card.decline:
        code, message = cards.DECLINES[card.decline]
        charge = new_charge(emu, pi, pm, "failed", (code, card.decline, message))
        pi["latest_charge"] = charge["id"]
        _fail(emu, pi, pm, card.decline, charge=charge)
    charge = new_charge(emu, pi, pm, "succeeded")
    pi["latest_charge"] = charge["id"]
    pi["status"] = "succeeded"
    pi["amount_received"] = pi["amount"]
    _save_for_later(emu, pi, pm)
    emu.emit("payment_intent.succeeded", pi)


def _fail(emu: Emulator, pi: dict, pm: dict, decline_code: str, charge: dict | None):
    """Record a card error on the PaymentIntent, emit payment_failed and raise Stripe's 402."""
    code, message = cards.DECLINES[decline_code]
    error = {
        "code": code,
        "decline_code": decline_code,
        "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}",
        "message": message,
        "payment_method": emu.store.public(pm),
        "type": "card_error",
    }
    if charge:
        error["charge"] = charge["id"]
    pi["status"] = "requires_payment_method"
    pi["last_payment_error"] = error
    emu.emit("payment_intent.payment_failed", pi)
    extra = {k: v for k, v in error.items() if k not in ("code", "message", "type", "doc_url")}
    raise StripeError(402, message, type="card_error", code=code, payment_intent=emu.store.public(pi), **extra)


def _save_for_later(emu: Emulator, pi: dict, pm: dict) -> None:
    """setup_future_usage with a customer attaches the PaymentMethod, ready for off-session use."""
    if pi.get("setup_future_usage") and pi["customer"]:
        attach(emu, pm["id"], pi["customer"], saved_off_session=pi["setup_future_usage"] == "off_session")


def authenticate(emu: Emulator, pi: dict, passed: bool) -> None:
    """The 3-D Secure challenge was passed or failed (hosted challenge page)."""
    if pi["status"] != "requires_action":
        raise unexpected_state(f"This PaymentIntent has a status of {pi['status']}; there is nothing to authenticate.")
    pm = emu.store.get(pi["payment_method"], "payment_method")
    if passed:
        attempt(emu, pi, pm, off_session=False, authenticated=True)
        return
    pi["status"] = "requires_payment_method"
    pi["next_action"] = None
    pi["last_payment_error"] = {
        "code": "payment_intent_authentication_failure",
        "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
        "message": AUTH_FAILED,
        "payment_method": emu.store.public(pm),
        "type": "invalid_request_error",
    }
    emu.emit("payment_intent.payment_failed", pi)


def cancel(emu: Emulator, pi: dict, p: dict) -> dict:
    """POST /v1/payment_intents/{id}/cancel."""
    if pi["status"] in ("succeeded", "processing", "canceled"):
        raise unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. Only a PaymentIntent "
            "with one of the following statuses may be canceled: requires_payment_method, requires_capture, "
            "requires_confirmation, requires_action."
        )
    pi["status"] = "canceled"
    pi["canceled_at"] = emu.store.now()
    pi["cancellation_reason"] = p.get("cancellation_reason")
    pi["next_action"] = None
    emu.emit("payment_intent.canceled", pi)
    return pi


def settle_sepa(emu: Emulator, pi_id: str, outcome: str) -> dict:
    """A processing SEPA debit clears ("succeeded") or bounces ("failed"), days later on Stripe."""
    pi = emu.store.get(pi_id, "payment_intent", "payment_intent", "payment_intent")
    if outcome not in ("succeeded", "failed"):
        raise invalid("outcome must be succeeded or failed", param="outcome")
    if pi["status"] != "processing":
        raise unexpected_state(f"PaymentIntent {pi_id} is {pi['status']}, not processing.")
    charge = emu.store.get(pi["latest_charge"], "charge")
    session = emu.store.objects.get(pi.get("_checkout_session") or "")
    if outcome == "succeeded":
        charge.update(status="succeeded", paid=True, captured=True, amount_captured=charge["amount"])
        emu.emit("charge.succeeded", charge)
        pi.update(status="succeeded", amount_received=pi["amount"])
        emu.emit("payment_intent.succeeded", pi)
        if session:
            session["payment_status"] = "paid"
            emu.emit("checkout.session.async_payment_succeeded", session)
        return pi
    message = "The customer's bank account has insufficient funds."
    charge.update(status="failed", failure_code="insufficient_funds", failure_message=message)
    emu.emit("charge.failed", charge)
    pm = emu.store.get(pi["payment_method"], "payment_method")
    pi["status"] = "requires_payment_method"
    pi["last_payment_error"] = {"code": "payment_intent_payment_attempt_failed", "message": message,
                                "decline_code": "insufficient_funds", "charge": charge["id"],
                                "payment_method": emu.store.public(pm), "type": "card_error"}
    emu.emit("payment_intent.payment_failed", pi)
    if session:
        emu.emit("checkout.session.async_payment_failed", session)
    return pi
