"""Stripe's test cards, test PaymentMethod ids and SEPA test IBANs, and what each does."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from portal.stripe_emulator.store import Store

#: How a card behaves: charge outcome and when it asks for 3-D Secure.
#: auth: "never", "always" (3184: on-session challenge, fails off-session even when saved),
#: "unless_saved" (3155: challenge unless set up for off-session use first).


@dataclass(frozen=True)
class TestCard:
    """One of Stripe's documented test card numbers."""

    brand: str
    funding: str = "credit"
    decline: str | None = None  # decline_code when a charge fails
    auth: str = "never"
    attach_fails: bool = False


CARDS = {
    "4242424242424242": TestCard("visa"),
    "4000056655665556": TestCard("visa", funding="debit"),
    "5555555555554444": TestCard("mastercard"),
    "4000000000000002": TestCard("visa", decline="generic_decline", attach_fails=True),
    "4000000000009995": TestCard("visa", decline="insufficient_funds", attach_fails=True),
    "4000000000000069": TestCard("visa", decline="expired_card", attach_fails=True),
    "4000000000000341": TestCard("visa", decline="generic_decline"),
    "4000002760003184": TestCard("visa", auth="always"),
    "4000002500003155": TestCard("visa", auth="unless_saved"),
}

#: Stripe's test PaymentMethod ids; each use makes a fresh PaymentMethod with that card.
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
}

#: decline_code -> (error code, message), as Stripe words them.
DECLINES = {
    "generic_decline": ("card_declined", "Your card was declined."),
    "insufficient_funds": ("card_declined", "Your card has insufficient funds."),
    "expired_card": ("expired_card", "Your card has expired."),
    "test_mode_live_card": (
        "card_declined",
        "Your card was declined. Your request was in test mode, but used a non test card. "
        "For a list of valid test cards, visit: https://stripe.com/docs/testing.",
    ),
    "authentication_required": ("authentication_required", "Your card was declined. This transaction requires authentication."),
}

#: SEPA test IBANs from Stripe's docs (the outcome is chosen by the tester either way).
SEPA_TEST_IBANS = ("DE89370400440532013000", "DE62370400440532013001", "AT611904300234573201")


def normalise(number: str) -> str:
    """Digits only, as typed with spaces or dashes."""
    return "".join(ch for ch in str(number) if ch.isdigit())


def luhn_ok(number: str) -> bool:
    """The card number checksum."""
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return len(number) >= 12 and total % 10 == 0


def card_for(number: str) -> TestCard:
    """The behaviour of a number; a valid non-test number is declined as a live card would be in test mode."""
    return CARDS.get(number) or TestCard("visa", decline="test_mode_live_card")


def iban_ok(iban: str) -> bool:
    """ISO 13616 mod-97 check."""
    iban = iban.replace(" ", "").upper()
    if len(iban) < 15 or not iban[:2].isalpha() or not iban.isalnum():
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _fingerprint(value: str) -> str:
    """Stable per card/account, like Stripe's fingerprint."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def new_card_method(store: Store, number: str, billing_details: dict | None = None) -> dict:
    """A card PaymentMethod for a test card number."""
    card = card_for(number)
    exp_year = time.gmtime(store.now()).tm_year + 3
    return store.create(
        "pm",
        "payment_method",
        type="card",
        allow_redisplay="unspecified",
        billing_details=_billing(billing_details),
        card={
            "brand": card.brand,
            "display_brand": card.brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": "US",
            "exp_month": 12,
            "exp_year": exp_year,
            "fingerprint": _fingerprint(number),
            "funding": card.funding,
            "last4": number[-4:],
            "networks": {"available": [card.brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        customer=None,
        metadata={},
        _number=number,
        _saved_off_session=False,
    )


def new_sepa_method(store: Store, iban: str, billing_details: dict) -> dict:
    """A sepa_debit PaymentMethod for an IBAN."""
    iban = iban.replace(" ", "").upper()
    return store.create(
        "pm",
        "payment_method",
        type="sepa_debit",
        allow_redisplay="unspecified",
        billing_details=_billing(billing_details),
        sepa_debit={
            "bank_code": iban[4:12],
            "branch_code": "",
            "country": iban[:2],
            "fingerprint": _fingerprint(iban),
            "generated_from": {"charge": None, "setup_attempt": None},
            "last4": iban[-4:],
        },
        customer=None,
        metadata={},
        _saved_off_session=False,
    )


def _billing(details: dict | None) -> dict:
    """Stripe's billing_details shape."""
    details = details or {}
    return {
        "address": {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None},
        "email": details.get("email"),
        "name": details.get("name"),
        "phone": details.get("phone"),
        "tax_id": None,
    }
