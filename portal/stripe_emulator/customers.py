"""Customers and PaymentMethods (attach, detach, list by customer)."""

from __future__ import annotations

from portal.stripe_emulator import cards
from portal.stripe_emulator.emulator import Emulator
from portal.stripe_emulator.errors import StripeError, invalid, missing


def create_customer(emu: Emulator, p: dict) -> dict:
    """POST /v1/customers."""
    customer = emu.store.create(
        "cus",
        "customer",
        address=None,
        balance=0,
        currency=None,
        default_source=None,
        delinquent=False,
        description=p.get("description"),
        email=p.get("email"),
        invoice_settings={"custom_fields": None, "default_payment_method": None, "footer": None, "rendering_options": None},
        metadata=dict(p.get("metadata") or {}),
        name=p.get("name"),
        phone=p.get("phone"),
        preferred_locales=list(p.get("preferred_locales") or []),
        shipping=None,
        tax_exempt="none",
        test_clock=None,
    )
    emu.emit("customer.created", customer)
    if p.get("payment_method"):
        attach(emu, p["payment_method"], customer["id"])
    return customer


def update_customer(emu: Emulator, customer_id: str, p: dict) -> dict:
    """POST /v1/customers/{id}: the simple fields the portal may change."""
    customer = emu.store.get(customer_id, "customer")
    previous = {}
    for key in ("email", "name", "phone", "description"):
        if key in p:
            previous[key] = customer[key]
            customer[key] = p[key] or None
    if "metadata" in p:
        previous["metadata"] = dict(customer["metadata"])
        customer["metadata"] = _merge_metadata(customer["metadata"], p["metadata"])
    if "invoice_settings" in p and "default_payment_method" in p["invoice_settings"]:
        pm_id = p["invoice_settings"]["default_payment_method"] or None
        if pm_id:
            pm = emu.store.get(pm_id, "payment_method", param="invoice_settings[default_payment_method]")
            if pm["customer"] != customer_id:
                raise invalid(f"No such PaymentMethod: '{pm_id}' attached to this customer",
                              param="invoice_settings[default_payment_method]", code="resource_missing")
        customer["invoice_settings"]["default_payment_method"] = pm_id
    emu.emit("customer.updated", customer, previous)
    return customer


def _merge_metadata(current: dict, update) -> dict:
    """Stripe merges metadata keys; an empty value (or metadata="") removes them."""
    if update == "":
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def resolve_method(emu: Emulator, pm_id: str, param: str = "payment_method") -> dict:
    """A stored PaymentMethod, or a fresh one for a test id such as pm_card_visa."""
    if pm_id in cards.TEST_PAYMENT_METHODS:
        return cards.new_card_method(emu.store, cards.TEST_PAYMENT_METHODS[pm_id])
    return emu.store.get(pm_id, "payment_method", "PaymentMethod", param)


def attach(emu: Emulator, pm_id: str, customer_id: str, *, saved_off_session: bool = False) -> dict:
    """Attach a PaymentMethod to a Customer; Stripe checks the card, so declining test cards fail here."""
    if not customer_id:
        raise missing("customer")
    customer = emu.store.get(customer_id, "customer", param="customer")
    pm = resolve_method(emu, pm_id)
    if pm["customer"] and pm["customer"] != customer["id"]:
        raise invalid("The payment method you provided has already been attached to a customer.",
                      param="payment_method", code="payment_method_unexpected_state")
    if pm["type"] == "card" and cards.card_for(pm["_number"]).attach_fails:
        code, message = cards.DECLINES[cards.card_for(pm["_number"]).decline]
        raise StripeError(402, message, type="card_error", code=code, param="",
                          decline_code=cards.card_for(pm["_number"]).decline)
    pm["_saved_off_session"] = pm["_saved_off_session"] or saved_off_session
    if pm["customer"] != customer["id"]:
        pm["customer"] = customer["id"]
        emu.emit("payment_method.attached", pm)
    return pm


def detach(emu: Emulator, pm_id: str) -> dict:
    """POST /v1/payment_methods/{id}/detach."""
    pm = emu.store.get(pm_id, "payment_method", "PaymentMethod")
    if not pm["customer"]:
        raise invalid(f"The payment method {pm_id} is not attached to a customer.", code="payment_method_unexpected_state")
    previous = {"customer": pm["customer"]}
    pm["customer"] = None
    pm["_saved_off_session"] = False
    emu.emit("payment_method.detached", pm, previous)
    return pm


def list_methods(emu: Emulator, customer_id: str | None, p: dict, url: str) -> dict:
    """PaymentMethods of a customer, optionally of one type."""
    if customer_id:
        emu.store.get(customer_id, "customer", param="customer")
    wanted = p.get("type")
    items = emu.store.all(
        "payment_method",
        lambda pm: pm["customer"] is not None
        and (customer_id is None or pm["customer"] == customer_id)
        and (wanted is None or pm["type"] == wanted),
    )
    return emu.store.page(items, p, url)
