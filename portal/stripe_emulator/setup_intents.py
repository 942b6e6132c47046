"""SetupIntents: save a PaymentMethod for later (off-session) payments."""

from __future__ import annotations

import secrets

from portal.stripe_emulator import cards
from portal.stripe_emulator.customers import attach, resolve_method
from portal.stripe_emulator.emulator import Emulator
from portal.stripe_emulator.errors import StripeError, unexpected_state
from portal.stripe_emulator.payment_intents import AUTH_FAILED, check_return_url


def create(emu: Emulator, p: dict) -> dict:
    """POST /v1/setup_intents."""
    customer = emu.store.get(p["customer"], "customer", param="customer")["id"] if p.get("customer") else None
    pm = resolve_method(emu, p["payment_method"]) if p.get("payment_method") else None
    apm = p.get("automatic_payment_methods") or {"enabled": True, "allow_redirects": "always"}
    if p.get("confirm"):
        check_return_url(p, apm.get("allow_redirects", "always"))
    si = emu.store.create(
        "seti",
        "setup_intent",
        automatic_payment_methods={"enabled": bool(apm.get("enabled", True)), "allow_redirects": apm.get("allow_redirects", "always")},
        cancellation_reason=None,
        customer=customer,
        description=p.get("description"),
        last_setup_error=None,
        latest_attempt=None,
        mandate=None,
        metadata=dict(p.get("metadata") or {}),
        next_action=None,
        payment_method=pm["id"] if pm else None,
        payment_method_types=["card", "sepa_debit"],
        single_use_mandate=None,
        status="requires_confirmation" if pm else "requires_payment_method",
        usage=p.get("usage", "off_session"),
    )
    si["client_secret"] = f"{si['id']}_secret_{secrets.token_urlsafe(18)}"
    emu.emit("setup_intent.created", si)
    if p.get("confirm"):
        confirm(emu, si, p)
    return si


def confirm(emu: Emulator, si: dict, p: dict) -> dict:
    """POST /v1/setup_intents/{id}/confirm."""
    if si["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise unexpected_state(
            f"You cannot confirm this SetupIntent because it has a status of {si['status']}.", kind="setup_intent"
        )
    if p.get("payment_method"):
        si["payment_method"] = resolve_method(emu, p["payment_method"])["id"]
    if not si["payment_method"]:
        raise unexpected_state("You cannot confirm this SetupIntent because it's missing a payment method.", kind="setup_intent")
    check_return_url(p, si["automatic_payment_methods"]["allow_redirects"])
    si["_return_url"] = p.get("return_url")
    attempt(emu, si, emu.store.get(si["payment_method"], "payment_method"))
    return si


def attempt(emu: Emulator, si: dict, pm: dict, authenticated: bool = False) -> None:
    """Check the card (3-D Secure for cards that ask for it) and attach it to the customer."""
    si["last_setup_error"] = None
    si["next_action"] = None
    if pm["type"] == "card":
        card = cards.card_for(pm["_number"])
        if card.auth != "never" and not authenticated:
            si["status"] = "requires_action"
            url = emu.url(f"/c/3ds/{si['id']}")
            si["next_action"] = {"type": "redirect_to_url", "redirect_to_url": {"url": url, "return_url": si.get("_return_url")}}
            emu.emit("setup_intent.requires_action", si)
            return
        if card.attach_fails or card.decline == "test_mode_live_card":
            code, message = cards.DECLINES[card.decline]
            si["status"] = "requires_payment_method"
            si["last_setup_error"] = {"code": code, "decline_code": card.decline, "message": message,
                                      "payment_method": emu.store.public(pm), "type": "card_error"}
            emu.emit("setup_intent.setup_failed", si)
            raise StripeError(402, message, type="card_error", code=code, decline_code=card.decline,
                              setup_intent=emu.store.public(si))
    else:
        si["mandate"] = emu.store.create("mandate", "mandate", payment_method=pm["id"], status="active",
                                         type="multi_use")["id"]
    if si["customer"]:
        attach(emu, pm["id"], si["customer"], saved_off_session=si["usage"] == "off_session")
    si["status"] = "succeeded"
    emu.emit("setup_intent.succeeded", si)


def authenticate(emu: Emulator, si: dict, passed: bool) -> None:
    """The 3-D Secure challenge for a setup was passed or failed."""
    if si["status"] != "requires_action":
        raise unexpected_state(f"This SetupIntent has a status of {si['status']}; there is nothing to authenticate.",
                               kind="setup_intent")
    pm = emu.store.get(si["payment_method"], "payment_method")
    if passed:
        attempt(emu, si, pm, authenticated=True)
        return
    si.update(status="requires_payment_method", next_action=None)
    si["last_setup_error"] = {"code": "setup_intent_authentication_failure", "message": AUTH_FAILED,
                              "payment_method": emu.store.public(pm), "type": "invalid_request_error"}
    emu.emit("setup_intent.setup_failed", si)


def cancel(emu: Emulator, si: dict, p: dict) -> dict:
    """POST /v1/setup_intents/{id}/cancel."""
    if si["status"] in ("succeeded", "canceled"):
        raise unexpected_state(f"You cannot cancel this SetupIntent because it has a status of {si['status']}.",
                               kind="setup_intent")
    si.update(status="canceled", cancellation_reason=p.get("cancellation_reason"), next_action=None)
    emu.emit("setup_intent.canceled", si)
    return si
