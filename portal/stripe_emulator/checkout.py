"""Checkout Sessions: creation rules, expiry, and completion from the hosted page."""

from __future__ import annotations

from portal.stripe_emulator import payment_intents, setup_intents
from portal.stripe_emulator.currencies import check_amount, check_currency
from portal.stripe_emulator.customers import create_customer
from portal.stripe_emulator.emulator import Emulator
from portal.stripe_emulator.errors import invalid, missing, no_such

MIN_LIFETIME, MAX_LIFETIME = 30 * 60, 24 * 3600


def create(emu: Emulator, p: dict) -> dict:
    """POST /v1/checkout/sessions (hosted UI, payment or setup mode)."""
    mode = p.get("mode")
    if mode is None:
        raise missing("mode")
    if mode not in ("payment", "setup"):
        raise invalid(f"The emulator supports mode payment and setup, not {mode}.", param="mode")
    now = emu.store.now()
    expires_at = p.get("expires_at", now + MAX_LIFETIME)
    if not MIN_LIFETIME <= expires_at - now <= MAX_LIFETIME:
        raise invalid("The `expires_at` timestamp must be between 30 minutes and 24 hours after Checkout Session creation.",
                      param="expires_at")
    if p.get("customer") and p.get("customer_email"):
        raise invalid("You may only specify one of these parameters: customer, customer_email.", param="customer_email")
    customer = emu.store.get(p["customer"], "customer", param="customer")["id"] if p.get("customer") else None
    if "customer_creation" in p and (mode != "payment" or customer):
        raise invalid("`customer_creation` can only be used in `payment` mode without `customer`.", param="customer_creation")
    if mode == "payment":
        currency, items = _line_items(emu, p)
        total = sum(item["amount_total"] for item in items)
        check_amount(total, currency, param="line_items")
        if "setup_intent_data" in p:
            raise invalid("You can not pass `setup_intent_data` in `payment` mode.", param="setup_intent_data")
    else:
        if "line_items" in p:
            raise invalid("You can not pass `line_items` in `setup` mode.", param="line_items")
        if "payment_intent_data" in p:
            raise invalid("You can not pass `payment_intent_data` in `setup` mode.", param="payment_intent_data")
        if not p.get("currency") and not p.get("allowed_payment_method_types"):
            raise missing("currency")
        currency, items, total = (check_currency(p["currency"]) if p.get("currency") else None), [], None
    session = emu.store.create(
        "cs_test",
        "checkout.session",
        amount_subtotal=total,
        amount_total=total,
        cancel_url=p.get("cancel_url"),
        client_reference_id=p.get("client_reference_id"),
        currency=currency,
        customer=customer,
        customer_creation=p.get("customer_creation", "if_required") if mode == "payment" and not customer else None,
        customer_details=None,
        customer_email=p.get("customer_email"),
        expires_at=expires_at,
        locale=p.get("locale"),
        metadata=dict(p.get("metadata") or {}),
        mode=mode,
        payment_intent=None,
        payment_method_collection="always" if mode == "setup" else "if_required",
        payment_status="unpaid" if mode == "payment" else "no_payment_required",
        setup_intent=None,
        status="open",
        submit_type=p.get("submit_type"),
        success_url=p.get("success_url"),
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0} if mode == "payment" else None,
        ui_mode="hosted",
        url=None,
        _line_items=items,
        _payment_intent_data=p.get("payment_intent_data") or {},
        _setup_intent_data=p.get("setup_intent_data") or {},
    )
    session["url"] = emu.url(f"/c/pay/{session['id']}")
    return session


def _line_items(emu: Emulator, p: dict) -> tuple[str, list[dict]]:
    """Line items built from price_data; one currency for the whole session."""
    if not p.get("line_items"):
        raise missing("line_items")
    currency, items = None, []
    for i, line in enumerate(p["line_items"]):
        param = f"line_items[{i}]"
        if line.get("price"):
            raise no_such("price", line["price"], f"{param}[price]")
        price = line.get("price_data")
        if price is None:
            raise missing(f"{param}[price_data]")
        if "quantity" not in line:
            raise missing(f"{param}[quantity]")
        if "unit_amount" not in price:
            raise missing(f"{param}[price_data][unit_amount]")
        line_currency = check_currency(price["currency"], f"{param}[price_data][currency]")
        if currency and line_currency != currency:
            raise invalid("All line items must use the same currency.", param=f"{param}[price_data][currency]")
        currency = line_currency
        name = (price.get("product_data") or {}).get("name") or price.get("product") or ""
        amount = price["unit_amount"] * line["quantity"]
        items.append({
            "id": emu.store.new_id("li"), "object": "item", "amount_discount": 0, "amount_subtotal": amount,
            "amount_tax": 0, "amount_total": amount, "currency": currency, "description": name,
            "price": {"id": emu.store.new_id("price"), "object": "price", "active": False, "currency": currency,
                      "product": price.get("product") or emu.store.new_id("prod"), "type": "one_time",
                      "unit_amount": price["unit_amount"]},
            "quantity": line["quantity"],
        })
    return currency, items


def refresh(emu: Emulator, session: dict) -> dict:
    """Expire an open session whose expires_at has passed (Stripe does this on its own clock)."""
    if session["status"] == "open" and emu.store.now() >= session["expires_at"]:
        _expire(emu, session)
    return session


def expire(emu: Emulator, session: dict) -> dict:
    """POST /v1/checkout/sessions/{id}/expire."""
    refresh(emu, session)
    if session["status"] != "open":
        raise invalid(
            'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status '
            f'of "{session["status"]}".'
        )
    return _expire(emu, session)


def _expire(emu: Emulator, session: dict) -> dict:
    """Close the session and tell the webhooks."""
    session.update(status="expired", url=None)
    emu.emit("checkout.session.expired", session)
    return session


def pay(emu: Emulator, session: dict, pm: dict, email: str | None) -> dict | None:
    """The debtor submitted the hosted page: start or retry the attempt; returns the intent that needs 3-D Secure."""
    session["customer_details"] = {"email": email or session["customer_email"], "name": pm["billing_details"]["name"],
                                   "phone": None, "address": None, "tax_exempt": "none", "tax_ids": []}
    if pm["type"] == "sepa_debit" and not email:
        raise invalid("SEPA Direct Debit needs an e-mail address for the mandate.", param="email")
    if session["mode"] == "setup":
        si = _setup_intent(emu, session, pm)
        setup_intents.attempt(emu, si, pm)
        return finish(emu, session, si)
    pi = _payment_intent(emu, session, pm)
    payment_intents.attempt(emu, pi, pm, off_session=False)
    return finish(emu, session, pi)


def finish(emu: Emulator, session: dict, intent: dict) -> dict | None:
    """Complete the session once the intent succeeded (or is processing, for SEPA)."""
    if intent["status"] == "requires_action":
        return intent
    if intent["status"] in ("succeeded", "processing"):
        paid = session["mode"] == "setup" or intent["status"] == "succeeded"
        session.update(status="complete", url=None)
        if session["mode"] == "payment":
            session["payment_status"] = "paid" if paid else "unpaid"
        emu.emit("checkout.session.completed", session)
    return None


def _customer(emu: Emulator, session: dict) -> str | None:
    """The session's customer, created now if the session needs one."""
    if session["customer"]:
        return session["customer"]
    saving = bool(session["_payment_intent_data"].get("setup_future_usage"))
    if session["mode"] == "payment" and (session["customer_creation"] == "always" or saving):
        email = session["customer_details"]["email"]
        session["customer"] = create_customer(emu, {"email": email, "name": session["customer_details"]["name"]})["id"]
    return session["customer"]


def _payment_intent(emu: Emulator, session: dict, pm: dict) -> dict:
    """The session's PaymentIntent, created on the first attempt and reused after a decline."""
    if session["payment_intent"]:
        pi = emu.store.get(session["payment_intent"], "payment_intent")
        pi["payment_method"] = pm["id"]
        return pi
    data = session["_payment_intent_data"]
    pi = payment_intents.create(emu, {
        "amount": session["amount_total"], "currency": session["currency"], "customer": _customer(emu, session),
        "payment_method": pm["id"], "metadata": data.get("metadata") or {}, "description": data.get("description"),
        "setup_future_usage": data.get("setup_future_usage"), "receipt_email": data.get("receipt_email"),
    })
    pi["_checkout_session"] = session["id"]
    session["payment_intent"] = pi["id"]
    return pi


def _setup_intent(emu: Emulator, session: dict, pm: dict) -> dict:
    """The session's SetupIntent (setup mode)."""
    if session["setup_intent"]:
        si = emu.store.get(session["setup_intent"], "setup_intent")
        si["payment_method"] = pm["id"]
        return si
    data = session["_setup_intent_data"]
    si = setup_intents.create(emu, {"customer": session["customer"], "payment_method": pm["id"],
                                    "metadata": data.get("metadata") or {}, "description": data.get("description")})
    si["_checkout_session"] = session["id"]
    session["setup_intent"] = si["id"]
    return si
