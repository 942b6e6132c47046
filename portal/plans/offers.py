"""Concrete plans a debtor can choose, and the check of a plan the debtor proposes.

Pure functions of (balance, rules, risk score, today): no database, so the property
tests can run thousands of cases. Instalments always add up to the balance exactly;
the last one absorbs the rounding.
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass, field
from datetime import date, timedelta

from portal.money import Money
from portal.plans.rules import Frequency, Rules

#: Most offers shown at once.
MAX_OFFERS = 4
#: Longest schedule a proposal may describe (ten years of months); smaller amounts are refused at the form.
MAX_PROPOSED_INSTALMENTS = 120


class TooManyInstalments(ValueError):
    """A proposed amount so small that the plan would need more than MAX_PROPOSED_INSTALMENTS."""


@dataclass(frozen=True)
class Offer:
    """A schedule: due dates and amounts, the first due on `dates[0]`."""

    frequency: Frequency
    amounts: tuple[Money, ...]
    dates: tuple[date, ...]

    @property
    def key(self) -> str:
        """What the choose button posts: the server recomputes the offer from it."""
        return f"{self.frequency}-{len(self.amounts)}"

    @property
    def total(self) -> Money:
        """The sum of the instalments (the balance)."""
        return sum(self.amounts[1:], self.amounts[0])

    @property
    def count(self) -> int:
        """Number of instalments."""
        return len(self.amounts)

    @property
    def regular(self) -> Money:
        """The amount of a typical instalment (the second, or the only one)."""
        return self.amounts[1] if len(self.amounts) > 1 else self.amounts[0]


def add_months(start: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter (31 Jan + 1 = 28/29 Feb)."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def due_dates(first: date, frequency: Frequency, count: int) -> tuple[date, ...]:
    """`count` due dates from `first`, a month, two weeks or a week apart."""
    if frequency == Frequency.monthly:
        return tuple(add_months(first, i) for i in range(count))
    step = 14 if frequency == Frequency.biweekly else 7
    return tuple(first + timedelta(days=step * i) for i in range(count))


def split(balance: Money, count: int, down_payment_percent: int = 0) -> tuple[Money, ...]:
    """`count` amounts adding up to `balance`: an optional larger first, equal ones, the last absorbing rounding."""
    cur = balance.currency
    if count == 1:
        return (balance,)
    down = -(-balance.minor * down_payment_percent // 100)  # rounded up: the creditor asked for at least that
    rest_count = count
    amounts: list[int] = []
    regular = balance.minor // count
    if down > regular:
        amounts.append(down)
        rest_count = count - 1
        regular = (balance.minor - down) // rest_count
    amounts += [regular] * (rest_count - 1)
    amounts.append(balance.minor - sum(amounts))
    return tuple(Money(a, cur) for a in amounts)


def schedule(balance: Money, rules: Rules, frequency: Frequency, count: int, first: date) -> Offer:
    """The offer of `count` instalments at `frequency`, the first due on `first`."""
    return Offer(frequency, split(balance, count, rules.down_payment_percent), due_dates(first, frequency, count))


def violations(offer: Offer, balance: Money, rules: Rules, risk_score: int | None, today: date,
               minimum: Money) -> list[str]:
    """Machine names of the policy bounds this schedule breaks (empty: within policy)."""
    broken = []
    if offer.total != balance:
        broken.append("total")
    if offer.frequency not in rules.frequencies:
        broken.append("frequency")
    if offer.count > rules.max_instalments(balance.minor, risk_score):
        broken.append("instalments")
    floor = max(rules.min_instalment_minor, minimum.minor)
    # The last instalment absorbs rounding; it may be smaller only when it is the remainder of a proposal.
    if any(a.minor < floor for a in offer.amounts[:-1]) or offer.amounts[-1].minor < minimum.minor:
        broken.append("min_instalment")
    if (offer.dates[-1] - offer.dates[0]).days > rules.max_duration_days:
        broken.append("duration")
    if not today <= offer.dates[0] <= today + timedelta(days=rules.first_payment_within_days):
        broken.append("start")
    if rules.down_payment_percent and offer.amounts[0].minor * 100 < balance.minor * rules.down_payment_percent:
        broken.append("down_payment")
    return broken


def offers(balance: Money, rules: Rules, risk_score: int | None, today: date, minimum: Money) -> list[Offer]:
    """Two to four offers within policy (fewer only when the balance allows no more), shortest first."""
    if balance.minor <= 0:
        return []
    most = rules.max_instalments(balance.minor, risk_score)
    floor = max(rules.min_instalment_minor, minimum.minor)
    feasible: list[Offer] = []
    for frequency in rules.frequencies:
        for count in range(2, most + 1):
            offer = schedule(balance, rules, frequency, count, today)
            # Our own offers meet the minimum with every instalment; only a debtor's proposal may
            # end on a smaller remainder.
            if offer.amounts[-1].minor < floor:
                continue
            if not violations(offer, balance, rules, risk_score, today, minimum):
                feasible.append(offer)
    if not feasible:
        return []
    monthly = [o for o in feasible if o.frequency == Frequency.monthly] or feasible
    picks = [monthly[0], monthly[len(monthly) // 2], monthly[-1]]
    others = [o for o in feasible if o.frequency != monthly[0].frequency]
    if others:
        picks.append(others[-1])  # the smallest amounts, paid more often
    unique = list({o.key: o for o in picks}.values())
    return sorted(unique, key=lambda o: (o.count, o.frequency))[:MAX_OFFERS]


def find_offer(key: str, balance: Money, rules: Rules, risk_score: int | None, today: date,
               minimum: Money) -> Offer | None:
    """The offer a choose button named, recomputed now (None if it is no longer offered)."""
    return next((o for o in offers(balance, rules, risk_score, today, minimum) if o.key == key), None)


class Verdict(enum.StrEnum):
    """What happens to a debtor's proposal."""

    accepted = "accepted"  # within policy: like choosing an offer
    countered = "countered"  # near it: a counter-offer is computed and explained
    referred = "referred"  # an agent decides, by a deadline


@dataclass(frozen=True)
class Assessment:
    """The instant answer to a proposal."""

    verdict: Verdict
    proposed: Offer
    broken: list[str] = field(default_factory=list)
    counter: Offer | None = None


def from_amount(balance: Money, amount: Money, frequency: Frequency, start: date) -> Offer:
    """The schedule of paying `amount` every period from `start` until the balance is paid."""
    count = max(1, -(-balance.minor // amount.minor))
    if count > MAX_PROPOSED_INSTALMENTS:
        raise TooManyInstalments(f"{count} instalments")
    amounts = [amount.minor] * (count - 1) + [balance.minor - amount.minor * (count - 1)]
    return Offer(frequency, tuple(Money(a, balance.currency) for a in amounts), due_dates(start, frequency, count))


def assess(balance: Money, amount: Money, frequency: Frequency, start: date, rules: Rules,
           risk_score: int | None, today: date, minimum: Money) -> Assessment:
    """Accept a proposal within policy, counter one near it, refer the rest to an agent.

    Raises TooManyInstalments when the amount could not pay the balance within ten years of instalments.
    """
    proposed = from_amount(balance, amount, frequency, start)
    broken = violations(proposed, balance, rules, risk_score, today, minimum)
    if not broken:
        return Assessment(Verdict.accepted, proposed)
    most = rules.max_instalments(balance.minor, risk_score)
    near = set(broken) <= {"instalments", "duration", "start", "down_payment", "frequency"} and (
        proposed.count * 100 <= most * (100 + rules.near_percent) if most else False)
    if near:
        # The closest schedule within policy: the debtor's frequency if allowed, as many instalments as allowed.
        freq = frequency if frequency in rules.frequencies else rules.frequencies[0]
        latest = today + timedelta(days=rules.first_payment_within_days)
        first = min(max(start, today), latest)
        for count in range(min(most, proposed.count), 1, -1):
            counter = schedule(balance, rules, freq, count, first)
            if not violations(counter, balance, rules, risk_score, today, minimum):
                return Assessment(Verdict.countered, proposed, broken, counter)
    return Assessment(Verdict.referred, proposed, broken)
