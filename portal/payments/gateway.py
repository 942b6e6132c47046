"""The only module that imports `stripe`: Checkout Sessions, lookups, webhook verification, amounts.

Everything it returns is a plain dict (the SDK's objects stay here), and amounts cross
between `Money` and Stripe's integers only in `to_stripe` / `from_stripe`.

Tests (and the local run) point it at the project's emulator through configuration:
STRIPE_API_BASE, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, and optionally an HTTP client
object in `app.extensions["stripe_http_client"]` (the emulator's in-process WSGI client).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import stripe
from flask import current_app

from portal.money import Money, exponent

#: Stripe's zero-decimal currencies (docs.stripe.com/currencies#zero-decimal).
_STRIPE_ZERO = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
#: Stripe's three-decimal currencies: amounts in thousandths, last digit 0.
_STRIPE_THREE = frozenset("BHD JOD KWD OMR TND".split())
#: Smallest charge Stripe accepts, in Stripe's units (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
_MINIMUM = {
    "USD": 50, "EUR": 50, "GBP": 30, "AUD": 50, "BRL": 50, "CAD": 50, "CHF": 50, "CZK": 1500, "DKK": 250,
    "HKD": 400, "HUF": 17500, "INR": 50, "JPY": 50, "MXN": 1000, "MYR": 200, "NOK": 300, "NZD": 50,
    "PLN": 200, "RON": 200, "SEK": 300, "SGD": 50, "THB": 1000, "AED": 200, "BGN": 100,
}
#: Stripe's largest amount (eight digits).
_MAXIMUM = 99_999_999


class GatewayError(RuntimeError):
    """Stripe could not be reached or refused the request; `code` is Stripe's error code if any."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class InvalidSignature(ValueError):
    """A webhook whose Stripe-Signature is missing, wrong or too old."""


def _stripe_exponent(currency: str) -> int:
    """How many decimals Stripe's integer amounts have in this currency."""
    if currency in _STRIPE_ZERO:
        return 0
    if currency in _STRIPE_THREE:
        return 3
    return 2  # ISK and everything else: two decimals on Stripe, whatever ISO 4217 says


def to_stripe(money: Money) -> tuple[int, str]:
    """(amount, lower-case currency) as Stripe expects them; raises ValueError if Stripe cannot express it."""
    shift = _stripe_exponent(money.currency) - exponent(money.currency)
    if shift >= 0:
        amount = money.minor * 10**shift
    else:
        amount, rest = divmod(money.minor, 10**-shift)
        if rest:
            raise ValueError(f"{money} cannot be charged by Stripe: {money.currency} has no minor unit there")
    if money.currency in _STRIPE_THREE and amount % 10:
        raise ValueError(f"{money} cannot be charged by Stripe: the last of three decimals must be 0")
    return amount, money.currency.lower()


def from_stripe(amount: int, currency: str) -> Money:
    """The Money of a Stripe amount (exact: raises ValueError if it does not fit the ISO minor unit)."""
    code = currency.upper()
    shift = _stripe_exponent(code) - exponent(code)
    if shift >= 0:
        minor, rest = divmod(amount, 10**shift)
        if rest:
            raise ValueError(f"Stripe amount {amount} {code} is finer than the currency's minor unit")
        return Money(minor, code)
    return Money(amount * 10**-shift, code)


def minimum_charge(currency: str) -> Money:
    """The smallest amount Stripe charges in this currency, as Money (rounded up to the ISO minor unit)."""
    stripe_minimum = _MINIMUM.get(currency, 1 if currency in _STRIPE_ZERO else 50)
    shift = _stripe_exponent(currency) - exponent(currency)
    minor = -(-stripe_minimum // 10**shift) if shift >= 0 else stripe_minimum * 10**-shift
    return Money(minor, currency)


def maximum_charge(currency: str) -> Money:
    """The largest amount Stripe charges in one payment, as Money."""
    return from_stripe(_MAXIMUM - _MAXIMUM % 10 ** max(0, _stripe_exponent(currency) - exponent(currency)), currency)


def _client() -> stripe.StripeClient:
    """A StripeClient on the configured API base (the emulator's in-process client in tests)."""
    config = current_app.config
    return stripe.StripeClient(
        config["STRIPE_SECRET_KEY"],
        base_addresses={"api": config["STRIPE_API_BASE"]},
        http_client=current_app.extensions.get("stripe_http_client"),
        max_network_retries=2,
    )


def _call(fn, *args, **kwargs) -> dict:
    """Run an SDK call; Stripe's errors become GatewayError, objects become plain dicts."""
    try:
        return fn(*args, **kwargs).to_dict()
    except stripe.StripeError as exc:
        raise GatewayError(exc.user_message or str(exc), getattr(exc, "code", None)) from exc


def create_checkout_session(
    *, amount: Money, idempotency_key: str, metadata: dict[str, str], description: str,
    success_url: str, cancel_url: str, email: str | None, locale: str | None, expires_at: datetime,
    save_for_later: bool = False,
) -> dict:
    """Create a hosted Checkout Session (mode=payment) for one amount; returns {id, url, ...}.

    `save_for_later` (instalment plans) keeps the payment method on a new Customer for
    off-session charges of the next instalments.

    No `payment_method_types`: the methods switched on in the Stripe Dashboard apply
    (cards, wallets, SEPA Debit, local methods), and the pinned API version refuses it.
    """
    unit_amount, currency = to_stripe(amount)
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [{
            "quantity": 1,
            "price_data": {"currency": currency, "unit_amount": unit_amount, "product_data": {"name": description}},
        }],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": metadata["portal_payment_id"],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": description},
        "expires_at": int(expires_at.timestamp()),
    }
    if save_for_later:
        params["payment_intent_data"]["setup_future_usage"] = "off_session"
        params["customer_creation"] = "always"
    if email:
        params["customer_email"] = email
    if locale:
        params["locale"] = locale
    return _call(_client().v1.checkout.sessions.create, params, {"idempotency_key": idempotency_key})


def create_customer(*, email: str | None, name: str, idempotency_key: str, metadata: dict[str, str]) -> dict:
    """A Stripe Customer to save a payment method on (setup-mode Checkout needs one)."""
    params: dict[str, Any] = {"name": name, "metadata": metadata}
    if email:
        params["email"] = email
    return _call(_client().v1.customers.create, params, {"idempotency_key": idempotency_key})


def create_setup_session(
    *, customer: str, currency: str, idempotency_key: str, metadata: dict[str, str],
    success_url: str, cancel_url: str, locale: str | None, expires_at: datetime,
) -> dict:
    """A hosted Checkout Session in setup mode: saves a payment method for off-session charges, takes no money."""
    params: dict[str, Any] = {
        "mode": "setup", "customer": customer, "currency": currency.lower(), "success_url": success_url,
        "cancel_url": cancel_url, "metadata": metadata, "expires_at": int(expires_at.timestamp()),
        "setup_intent_data": {"metadata": metadata},
    }
    if locale:
        params["locale"] = locale
    return _call(_client().v1.checkout.sessions.create, params, {"idempotency_key": idempotency_key})


def retrieve_setup_intent(setup_intent_id: str) -> dict:
    """A SetupIntent as Stripe has it now (its payment_method and customer)."""
    return _call(_client().v1.setup_intents.retrieve, setup_intent_id)


class ChargeFailed(GatewayError):
    """An off-session charge was refused; `intent` is the PaymentIntent as Stripe left it (if any)."""

    def __init__(self, message: str, code: str | None, decline_code: str | None, intent: dict | None) -> None:
        super().__init__(message, code)
        self.decline_code = decline_code
        self.intent = intent


def charge_off_session(*, amount: Money, customer: str, payment_method: str, idempotency_key: str,
                       metadata: dict[str, str], description: str) -> dict:
    """Charge a saved method without the debtor present; the intent (charge expanded) on success.

    Raises ChargeFailed on a decline or `authentication_required` (the debtor must pay on-session),
    GatewayError when Stripe cannot be reached.
    """
    value, currency = to_stripe(amount)
    params = {"amount": value, "currency": currency, "customer": customer, "payment_method": payment_method,
              "off_session": True, "confirm": True, "metadata": metadata, "description": description,
              "expand": ["latest_charge"]}
    try:
        return _client().v1.payment_intents.create(params, {"idempotency_key": idempotency_key}).to_dict()
    except stripe.CardError as exc:
        error = exc.error
        intent = getattr(error, "payment_intent", None) if error is not None else None
        raise ChargeFailed(exc.user_message or str(exc), getattr(exc, "code", None),
                           getattr(error, "decline_code", None) if error is not None else None,
                           intent.to_dict() if intent is not None else None) from exc
    except stripe.StripeError as exc:
        raise GatewayError(exc.user_message or str(exc), getattr(exc, "code", None)) from exc


def retrieve_session(session_id: str) -> dict:
    """A Checkout Session as Stripe has it now."""
    return _call(_client().v1.checkout.sessions.retrieve, session_id)


def expire_session(session_id: str) -> dict:
    """Close an open Checkout Session so it can no longer be paid."""
    return _call(_client().v1.checkout.sessions.expire, session_id)


def retrieve_intent(intent_id: str) -> dict:
    """A PaymentIntent with its latest charge expanded (for the method and the charge id)."""
    return _call(_client().v1.payment_intents.retrieve, intent_id, {"expand": ["latest_charge"]})


def _since(moment: datetime) -> dict:
    """A `created` filter from an aware datetime."""
    return {"created": {"gte": int(moment.timestamp())}, "limit": 100}


def list_sessions(since: datetime) -> Iterator[dict]:
    """Checkout Sessions created since `since`, newest first, all pages."""
    try:
        for obj in _client().v1.checkout.sessions.list(_since(since)).auto_paging_iter():
            yield obj.to_dict()
    except stripe.StripeError as exc:
        raise GatewayError(str(exc), getattr(exc, "code", None)) from exc


def list_events(since: datetime, types: list[str]) -> Iterator[dict]:
    """Events of the given types created since `since`, all pages."""
    try:
        for obj in _client().v1.events.list({**_since(since), "types": types}).auto_paging_iter():
            yield obj.to_dict()
    except stripe.StripeError as exc:
        raise GatewayError(str(exc), getattr(exc, "code", None)) from exc


def verify_event(payload: bytes, signature: str | None) -> dict:
    """The event in a webhook body, after checking its signature and age (300 s) on the raw bytes."""
    if not signature:
        raise InvalidSignature("no Stripe-Signature header")
    try:
        event = stripe.Webhook.construct_event(payload, signature, current_app.config["STRIPE_WEBHOOK_SECRET"])
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise InvalidSignature(str(exc)) from None
    return event.to_dict()
