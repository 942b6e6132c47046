"""Shared steps for the emulator tests."""

from __future__ import annotations

SUCCESS_URL = "https://portal.test/pay/done?session={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://portal.test/pay/cancelled"


def session_params(amount: int = 12_50, currency: str = "eur", **extra) -> dict:
    """Parameters of a one-off payment Checkout Session as the portal would send them."""
    params = {
        "mode": "payment",
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "client_reference_id": "case-42",
        "metadata": {"case": "42"},
        "line_items": [{"quantity": 1, "price_data": {"currency": currency, "unit_amount": amount,
                                                      "product_data": {"name": "Case 42"}}}],
    }
    params.update(extra)
    return params


def pay(page, session, **form):
    """Submit the hosted payment page."""
    data = {"method": "card", "email": "debtor@example.org", "name": "Dee Btor"}
    data.update(form)
    return page.post(f"/c/pay/{session.id}", data=data)


def event_types(stripe_emulator) -> list[str]:
    """All events emitted so far, oldest first."""
    return [e["type"] for e in reversed(stripe_emulator.store.all("event"))]
