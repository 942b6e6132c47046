"""Parameter checking: the frozen lists match the SDK, and Stripe's rejections."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest
import stripe

from portal.stripe_emulator.params import SCHEMA_FILE

from .helpers import session_params

GENERATOR = Path(__file__).resolve().parents[2] / "bin" / "gen-stripe-params"


def test_frozen_params_match_the_installed_sdk():
    loader = importlib.machinery.SourceFileLoader("gen_stripe_params", str(GENERATOR))
    spec = importlib.util.spec_from_loader("gen_stripe_params", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    assert SCHEMA_FILE.read_text() == module.render(), "run bin/gen-stripe-params"
    assert module.build()["api_version"] == stripe.api_version == "2026-10-28.endive"


def test_unknown_parameter_is_rejected_with_its_name(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.create(session_params(colour="blue"))
    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "colour"
    assert caught.value.http_status == 400


def test_unknown_nested_parameter_names_the_full_path(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.create(session_params(payment_intent_data={"setup_future_use": "off_session"}))
    assert caught.value.param == "payment_intent_data[setup_future_use]"


def test_payment_method_types_is_no_longer_supported(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.create(
            {"amount": 1000, "currency": "eur", "payment_method_types": ["card"]}  # type: ignore[typeddict-unknown-key]
        )
    assert caught.value.code == "payment_method_types_no_longer_supported"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.create(session_params(payment_method_types=["card"]))
    assert caught.value.code == "payment_method_types_no_longer_supported"


def test_wrong_types_and_missing_params_are_rejected(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.create({"amount": "12.50", "currency": "eur"})  # type: ignore[typeddict-item]
    assert (caught.value.code, caught.value.param) == ("parameter_invalid_integer", "amount")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.create({"amount": 1000})  # type: ignore[typeddict-item]
    assert (caught.value.code, caught.value.param) == ("parameter_missing", "currency")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.checkout.sessions.create(session_params(mode="subscriptions"))
    assert caught.value.param == "mode"


def test_zero_decimal_currency_and_minimum_amounts(stripe_client):
    session = stripe_client.v1.checkout.sessions.create(session_params(amount=5000, currency="jpy"))
    assert (session.amount_total, session.currency) == (5000, "jpy")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.create({"amount": 49, "currency": "eur"})
    assert caught.value.code == "amount_too_small"
    assert "0.50" in caught.value.user_message
    assert stripe_client.v1.payment_intents.create({"amount": 50, "currency": "eur"}).amount == 50
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.create({"amount": 49, "currency": "jpy"})
    assert caught.value.code == "amount_too_small"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.create({"amount": 1000, "currency": "xyz"})
    assert caught.value.param == "currency"
