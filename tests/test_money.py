"""Money: exact minor units, ISO exponents, Babel formatting, no floats."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.money import MAX_MINOR, CurrencyMismatch, Money, exponent


def test_zero_decimal_and_three_decimal_currencies():
    assert exponent("EUR") == 2
    assert exponent("JPY") == 0
    assert exponent("ISK") == 0
    assert exponent("KWD") == 3
    assert Money(1234, "JPY").decimal == Decimal("1234")
    assert Money(1234, "EUR").decimal == Decimal("12.34")


def test_formatting_follows_the_locale():
    assert Money(123456, "EUR").format("fr") == "1\u202f234,56\xa0€"
    assert Money(123456, "EUR").format("de") == "1.234,56\xa0€"
    assert Money(123456, "EUR").format("en") == "€1,234.56"
    assert Money(5000, "JPY").format("en") == "¥5,000"
    assert Money(5000, "ISK").format("en") == "ISK5,000"


def test_huge_amounts_stay_exact():
    huge = Money(9 * 10**12, "EUR")
    assert (huge + huge).minor == 18 * 10**12
    assert huge.format("en") == "€90,000,000,000.00"
    assert Money(MAX_MINOR - 1, "EUR").decimal == Decimal("9999999999999.99")


@pytest.mark.parametrize("bad", [1.5, "100", True, Decimal("1")])
def test_floats_and_other_types_are_refused(bad):
    with pytest.raises(TypeError):
        Money(bad, "EUR")


def test_unknown_currency_is_refused():
    with pytest.raises(ValueError):
        Money(1, "EURO")


def test_currencies_do_not_mix():
    with pytest.raises(CurrencyMismatch):
        Money(1, "EUR") + Money(1, "SEK")
    with pytest.raises(CurrencyMismatch):
        Money(1, "EUR") < Money(1, "SEK")


def test_parsing_major_units():
    assert Money.from_decimal("12.5", "EUR") == Money(1250, "EUR")
    assert Money.from_decimal("500", "JPY") == Money(500, "JPY")
    with pytest.raises(ValueError):
        Money.from_decimal("12.345", "EUR")
    with pytest.raises(ValueError):
        Money.from_decimal("1.5", "JPY")


@given(st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR), st.sampled_from(["EUR", "JPY", "KWD", "SEK"]))
def test_decimal_round_trip(minor, currency):
    m = Money(minor, currency)
    assert Money.from_decimal(m.decimal, currency) == m
