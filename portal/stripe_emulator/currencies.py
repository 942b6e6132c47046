"""Currencies: which have no minor unit, and the smallest amount Stripe charges in each."""

from __future__ import annotations

from portal.stripe_emulator.errors import invalid

#: Amounts in these are whole units (Stripe's list).
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())

#: Minimum charge amount in minor units (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
MINIMUM = {
    "usd": 50, "eur": 50, "gbp": 30, "aud": 50, "brl": 50, "cad": 50, "chf": 50, "czk": 1500,
    "dkk": 250, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000, "myr": 200,
    "nok": 300, "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
    "aed": 200, "bgn": 100,
}

#: Currencies the emulator accepts: the above plus the zero-decimal ones.
SUPPORTED = frozenset(MINIMUM) | ZERO_DECIMAL

#: Stripe's upper bound on an amount (eight digits).
MAXIMUM = 99_999_999


def check_currency(currency, param: str = "currency") -> str:
    """Lower-case a currency code, or reject it as Stripe does."""
    code = str(currency or "").lower()
    if code not in SUPPORTED:
        raise invalid(f"Invalid currency: {code}. Stripe currently supports these currencies: "
                      + ", ".join(sorted(SUPPORTED)), param=param, code="parameter_invalid_string")
    return code


def check_amount(amount: int, currency: str, param: str = "amount") -> int:
    """Reject amounts below the currency's minimum or above Stripe's maximum."""
    minimum = MINIMUM.get(currency, 1 if currency in ZERO_DECIMAL else 50)
    if amount < minimum:
        raise invalid(
            f"Amount must be at least {display(minimum, currency)} {currency}",
            param=param,
            code="amount_too_small",
        )
    if amount > MAXIMUM:
        raise invalid(f"Amount must be no more than {display(MAXIMUM, currency)}", param=param, code="amount_too_large")
    return amount


def display(amount: int, currency: str) -> str:
    """A human amount for messages and the hosted page, e.g. '0.50 EUR' or '50 JPY'."""
    if currency in ZERO_DECIMAL:
        return f"{amount} {currency.upper()}"
    return f"{amount // 100}.{amount % 100:02d} {currency.upper()}"
