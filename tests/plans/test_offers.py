"""Offers and proposals: exact sums, every policy bound respected, zero-decimal currencies (Hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.money import Money
from portal.plans import offers as om
from portal.plans.rules import Band, Frequency, PolicyError, RiskBand, Rules, parse

TODAY = date(2026, 11, 27)
EUR_MIN = Money(50, "EUR")


def rules_strategy():
    """Policies across the whole range a supervisor could save."""
    return st.builds(
        lambda small, n_small, n_big, min_inst, duration, freqs, within, down, risk: Rules(
            bands=(Band(small, n_small), Band(None, n_big)), min_instalment_minor=min_inst,
            max_duration_days=duration, frequencies=tuple(freqs), first_payment_within_days=within,
            down_payment_percent=down, risk_bands=risk),
        st.integers(1, 10**7), st.integers(1, 24), st.integers(1, 60), st.integers(1, 50_000),
        st.integers(7, 1000), st.lists(st.sampled_from(list(Frequency)), min_size=1, max_size=3, unique=True),
        st.integers(0, 30), st.integers(0, 60),
        st.lists(st.builds(RiskBand, st.integers(0, 100), st.integers(1, 12)), max_size=2).map(tuple),
    )


@settings(max_examples=200, deadline=None)
@given(balance=st.integers(1, 10**9), currency=st.sampled_from(["EUR", "JPY", "KWD", "GBP"]),
       rules=rules_strategy(), risk=st.one_of(st.none(), st.integers(0, 100)))
def test_offers_sum_exactly_to_the_balance_and_respect_every_bound(balance, currency, rules, risk):
    money = Money(balance, currency)
    minimum = Money(50, currency)
    found = om.offers(money, rules, risk, TODAY, minimum)
    assert len(found) <= om.MAX_OFFERS
    assert len({o.key for o in found}) == len(found)
    for offer in found:
        assert offer.total == money  # exactly, in minor units
        assert sum(a.minor for a in offer.amounts) == balance
        assert 2 <= offer.count <= rules.max_instalments(balance, risk)
        assert offer.frequency in rules.frequencies
        assert all(a.minor >= max(rules.min_instalment_minor, 50) for a in offer.amounts)
        assert (offer.dates[-1] - offer.dates[0]).days <= rules.max_duration_days
        assert offer.dates[0] == TODAY and list(offer.dates) == sorted(set(offer.dates))
        assert offer.amounts[0].minor * 100 >= balance * rules.down_payment_percent
        # Only the first (down payment) and the last (rounding) may differ from the regular amount.
        assert len({a.minor for a in offer.amounts[1:-1]}) <= 1
        assert om.violations(offer, money, rules, risk, TODAY, minimum) == []


@settings(max_examples=200, deadline=None)
@given(balance=st.integers(100, 10**8), amount=st.integers(50, 10**7), start=st.integers(-3, 40),
       frequency=st.sampled_from(list(Frequency)), rules=rules_strategy())
def test_a_proposal_is_accepted_only_within_policy_and_a_counter_offer_always_is(balance, amount, start, frequency,
                                                                                  rules):
    money = Money(balance, "EUR")
    if -(-balance // amount) > om.MAX_PROPOSED_INSTALMENTS:
        with pytest.raises(om.TooManyInstalments):
            om.assess(money, Money(amount, "EUR"), frequency, TODAY, rules, None, TODAY, EUR_MIN)
        return
    verdict = om.assess(money, Money(amount, "EUR"), frequency, TODAY + timedelta(days=start), rules, None, TODAY,
                        EUR_MIN)
    assert verdict.proposed.total == money
    if verdict.verdict == om.Verdict.accepted:
        assert om.violations(verdict.proposed, money, rules, None, TODAY, EUR_MIN) == []
    elif verdict.verdict == om.Verdict.countered:
        assert verdict.broken and verdict.counter.total == money
        assert om.violations(verdict.counter, money, rules, None, TODAY, EUR_MIN) == []
    else:
        assert verdict.broken


def test_three_monthly_instalments_of_a_hundred_and_twenty_five_euros():
    rules = Rules(bands=(Band(None, 6),), min_instalment_minor=1000)
    offer = om.schedule(Money(12500, "EUR"), rules, Frequency.monthly, 3, date(2027, 1, 31))
    assert [a.minor for a in offer.amounts] == [4166, 4166, 4168]  # the last absorbs the rounding
    assert offer.dates == (date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31))


def test_zero_decimal_currency_splits_in_whole_yen():
    offer = om.schedule(Money(10000, "JPY"), Rules(bands=(Band(None, 3),)), Frequency.weekly, 3, TODAY)
    assert [a.minor for a in offer.amounts] == [3333, 3333, 3334]
    assert offer.dates[1] - offer.dates[0] == timedelta(days=7)


def test_risk_band_tightens_and_bands_pick_by_balance():
    rules = Rules(bands=(Band(20000, 3), Band(None, 12)), risk_bands=(RiskBand(70, 2),))
    assert rules.max_instalments(20000, None) == 3 and rules.max_instalments(20001, 10) == 12
    assert rules.max_instalments(20001, 80) == 2


def test_proposals_within_near_and_far_from_policy():
    rules = Rules(bands=(Band(None, 6),), min_instalment_minor=1000, near_percent=50)
    balance = Money(60000, "EUR")
    ok = om.assess(balance, Money(10000, "EUR"), Frequency.monthly, TODAY, rules, None, TODAY, EUR_MIN)
    assert ok.verdict == om.Verdict.accepted and ok.proposed.count == 6
    near = om.assess(balance, Money(7500, "EUR"), Frequency.monthly, TODAY, rules, None, TODAY, EUR_MIN)
    assert near.verdict == om.Verdict.countered and near.broken == ["instalments"]
    assert near.counter.count == 6 and near.counter.regular == Money(10000, "EUR")
    far = om.assess(balance, Money(2000, "EUR"), Frequency.monthly, TODAY, rules, None, TODAY, EUR_MIN)
    assert far.verdict == om.Verdict.referred and "instalments" in far.broken


@pytest.mark.parametrize("document, field", [
    ({}, "bands"),
    ({"bands": [{"up_to_minor": None, "max_instalments": 0}]}, "max_instalments"),
    ({"bands": [{"up_to_minor": None, "max_instalments": 3}, {"up_to_minor": 100, "max_instalments": 3}]}, "bands"),
    ({"bands": [{"up_to_minor": None, "max_instalments": 3}], "frequencies": ["daily"]}, "frequencies"),
    ({"bands": [{"up_to_minor": None, "max_instalments": 3}], "min_instalment_minor": 12.5}, "min_instalment_minor"),
    ({"bands": [{"up_to_minor": None, "max_instalments": 3}], "colour": "red"}, "colour"),
])
def test_policy_documents_with_a_wrong_field_name_it(document, field):
    with pytest.raises(PolicyError) as caught:
        parse(document)
    assert caught.value.field == field


def test_policy_round_trips_through_json():
    rules = parse({"bands": [{"up_to_minor": 50000, "max_instalments": 4}, {"up_to_minor": None,
                                                                            "max_instalments": 12}],
                   "frequencies": ["monthly", "weekly"], "risk_bands": [{"min_score": 80, "max_instalments": 3}]})
    assert parse(rules.to_json()) == rules
