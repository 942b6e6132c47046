"""What a debtor may pay online on a case now: in full, in part, or the creditor's settlement offer.

The server computes every amount here; the only figure taken from the browser is a
part-payment amount, which `part_amount` validates against these bounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from portal.cases.balance import case_breakdown
from portal.cases.models import Case, CaseStatus
from portal.clock import today
from portal.i18n import format_money
from portal.money import Money, exponent
from portal.payments.gateway import maximum_charge, minimum_charge


@dataclass(frozen=True)
class Settlement:
    """The creditor's offer: pay `amount` by `deadline` and `discount` is written off."""

    amount: Money
    discount: Money
    deadline: date


@dataclass(frozen=True)
class Offer:
    """The choices on the pay page of one case."""

    total_due: Money
    #: Bounds of a part payment; None when the creditor does not allow one or the debt is too small.
    part_min: Money | None
    part_max: Money | None
    settlement: Settlement | None

    @property
    def can_pay_full(self) -> bool:
        """Stripe cannot take less than its minimum, nor more than its maximum, in one payment."""
        currency = self.total_due.currency
        return minimum_charge(currency) <= self.total_due <= maximum_charge(currency)


class AmountError(ValueError):
    """A part-payment amount the server refuses; the message is for the debtor, translated."""


def offer_for(case: Case) -> Offer | None:
    """The choices for an open case with something due; None if nothing can be paid online now."""
    export = case.export
    if export is None or export.status != CaseStatus.open:
        return None
    figures = case_breakdown(case)
    due = figures.total_due
    if not due:
        return None
    currency = due.currency
    floor, ceiling = minimum_charge(currency), maximum_charge(currency)
    part_min = part_max = None
    creditor = case.creditor
    if creditor.allow_part_payment:
        lowest = max(Money(creditor.part_payment_min_minor, currency), floor)
        highest = min(due, ceiling)
        if lowest <= highest:
            part_min, part_max = lowest, highest
    settlement = None
    if creditor.settlement_days and (creditor.settlement_waive_interest or creditor.settlement_waive_costs):
        deadline = export.exported_at.date() + timedelta(days=creditor.settlement_days)
        waived = (figures.interest if creditor.settlement_waive_interest else Money.zero(currency)) + (
            figures.costs if creditor.settlement_waive_costs else Money.zero(currency))
        discount = min(waived, due)
        amount = due - discount
        if today() <= deadline and discount and floor <= amount <= ceiling:
            settlement = Settlement(amount, discount, deadline)
    return Offer(due, part_min, part_max, settlement)


_SPACES = re.compile(r"[\s\u00a0\u202f']")


def part_amount(offer: Offer, raw: str | None) -> Money:
    """Parse and check a part-payment amount typed as "25", "25.50" or "25,50"; raises AmountError."""
    currency = offer.total_due.currency
    if offer.part_min is None or offer.part_max is None:
        raise AmountError(_("Paying part of the amount is not possible on this case."))
    text = _SPACES.sub("", raw or "")
    if not text:
        raise AmountError(_("Enter the amount you want to pay."))
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # a decimal comma, as most of Europe writes it
    try:
        value = Decimal(text)
        if not value.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise AmountError(_("Enter the amount as a number, for example %(example)s.",
                            example=format_money(offer.part_min))) from None
    digits = exponent(currency)
    if value.as_tuple().exponent < -digits:
        raise AmountError(_("Enter the amount with at most %(digits)d decimals.", digits=digits) if digits
                          else _("Enter a whole amount, without decimals."))
    amount = Money.from_decimal(value, currency)
    if amount < offer.part_min:
        raise AmountError(_("The smallest amount you can pay is %(amount)s.", amount=format_money(offer.part_min)))
    if amount > offer.part_max:
        raise AmountError(_("You cannot pay more than %(amount)s.", amount=format_money(offer.part_max)))
    return amount
