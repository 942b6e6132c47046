"""The contract's event types and the shape of their `data`, checked before anything is recorded.

Money is an int `amount_minor`-style field plus an ISO 4217 `currency`; a float, a
Decimal or a numeric string anywhere in `data` is refused, so no amount is ever rounded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from portal.money import MAX_MINOR, is_currency


class InvalidEvent(ValueError):
    """The event does not match the ledger contract; the message names the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


Check = Callable[[str, Any], None]


def _text(field: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 2000:
        raise InvalidEvent(field, "must be a non-empty string of at most 2000 characters")


def _ident(field: str, value: Any) -> None:
    """Portal or provider identifiers: a non-empty string or a positive int."""
    if type(value) is int and value > 0:
        return
    if isinstance(value, str) and value.strip() and len(value) <= 255:
        return
    raise InvalidEvent(field, "must be an identifier (non-empty string or positive integer)")


def _optional(check: Check) -> Check:
    def inner(field: str, value: Any) -> None:
        if value is not None:
            check(field, value)

    return inner


def _count(field: str, value: Any) -> None:
    if type(value) is not int or value < 1:
        raise InvalidEvent(field, "must be a positive integer")


def _minor(minimum: int) -> Check:
    def inner(field: str, value: Any) -> None:
        if type(value) is not int:
            raise InvalidEvent(field, f"must be an integer amount in minor units, not {type(value).__name__}")
        if not minimum <= value <= MAX_MINOR:
            raise InvalidEvent(field, f"must be between {minimum} and {MAX_MINOR}")

    return inner


def _currency(field: str, value: Any) -> None:
    if not isinstance(value, str) or not is_currency(value):
        raise InvalidEvent(field, "must be an ISO 4217 currency code such as EUR")


def _bool(field: str, value: Any) -> None:
    if type(value) is not bool:
        raise InvalidEvent(field, "must be true or false")


def _one_of(*choices: str) -> Check:
    def inner(field: str, value: Any) -> None:
        if value not in choices:
            raise InvalidEvent(field, f"must be one of {', '.join(choices)}")

    return inner


def _approver(field: str, value: Any) -> None:
    if value != "policy":
        _ident(field, value)


def _numbers(field: str, value: Any) -> None:
    if not isinstance(value, list) or not value:
        raise InvalidEvent(field, "must be a non-empty list of instalment numbers")
    for i, item in enumerate(value):
        _count(f"{field}[{i}]", item)


def _instalments(field: str, value: Any) -> None:
    if not isinstance(value, list) or not value:
        raise InvalidEvent(field, "must be a non-empty list of instalments")
    for i, item in enumerate(value):
        name = f"{field}[{i}]"
        if not isinstance(item, dict) or set(item) != {"number", "due_date", "amount_minor"}:
            raise InvalidEvent(name, "must have exactly number, due_date and amount_minor")
        if item["number"] != i + 1:
            raise InvalidEvent(f"{name}.number", f"must be {i + 1}: instalments are numbered 1, 2, 3...")
        try:
            date.fromisoformat(item["due_date"])
        except (TypeError, ValueError):
            raise InvalidEvent(f"{name}.due_date", "must be a date as YYYY-MM-DD") from None
        _minor(1)(f"{name}.amount_minor", item["amount_minor"])


def _contact(field: str, value: Any) -> None:
    if value is not None and not isinstance(value, (str, dict)):
        raise InvalidEvent(field, "must be a string, an object of strings, or null when removed")
    if isinstance(value, dict):
        for key, part in value.items():
            if part is not None and not isinstance(part, str):
                raise InvalidEvent(f"{field}.{key}", "must be a string or null")


_MONEY = {"amount_minor": _minor(1), "currency": _currency}

#: type -> {field: check}. Every field is required (value may be null where the check allows).
EVENT_TYPES: dict[str, dict[str, Check]] = {
    "payment.succeeded": {
        "payment_id": _ident, **_MONEY, "method": _text, "provider": _text,
        "provider_reference": _text, "plan_id": _optional(_ident), "instalment_number": _optional(_count),
    },
    "payment.failed": {
        "payment_id": _ident, **_MONEY, "plan_id": _ident, "instalment_number": _count,
        "failure_code": _text, "will_retry": _bool,
    },
    "payment.refunded": {"payment_id": _ident, "refund_id": _ident, **_MONEY},
    "payment.disputed": {"payment_id": _ident, **_MONEY, "reason": _text},
    "plan.agreed": {
        "plan_id": _ident, "origin": _one_of("offer", "proposal"), "approved_by": _approver,
        "total_minor": _minor(1), "currency": _currency, "instalments": _instalments,
    },
    "plan.rejected": {"plan_id": _ident, "agent_id": _ident, "reason": _text},
    "plan.broken": {
        "plan_id": _ident, "missed_instalments": _numbers, "outstanding_minor": _minor(0), "currency": _currency,
    },
    "plan.completed": {"plan_id": _ident},
    "case.settled": {"total_paid_minor": _minor(0), "discount_minor": _minor(0), "currency": _currency},
    "case.disputed": {"reason_code": _text, "message": _text},
}
#: debtor.contact_changed carries only the fields that changed, at least one of these.
CONTACT_FIELDS = frozenset({"email", "phone", "address"})


def validate(type_: str, data: Any) -> None:
    """Raise `InvalidEvent` unless `data` is exactly what the contract asks for `type_`."""
    if not isinstance(data, dict):
        raise InvalidEvent("data", "must be an object")
    _no_inexact_numbers("data", data)
    if type_ == "debtor.contact_changed":
        unknown = set(data) - CONTACT_FIELDS
        if unknown or not data:
            raise InvalidEvent("data", f"must hold only the changed fields among {', '.join(sorted(CONTACT_FIELDS))}")
        for key, value in data.items():
            _contact(f"data.{key}", value)
        return
    checks = EVENT_TYPES.get(type_)
    if checks is None:
        known = ", ".join(sorted([*EVENT_TYPES, "debtor.contact_changed"]))
        raise InvalidEvent("type", f"unknown event type {type_!r}; expected one of {known}")
    for key in sorted(set(data) - set(checks)):
        raise InvalidEvent(f"data.{key}", f"is not a field of {type_}")
    for key, check in checks.items():
        if key not in data:
            raise InvalidEvent(f"data.{key}", f"is required for {type_}")
        check(f"data.{key}", data[key])
    if type_ == "plan.agreed":
        total = sum(item["amount_minor"] for item in data["instalments"])
        if total != data["total_minor"]:
            raise InvalidEvent("data.instalments", f"add up to {total}, not total_minor {data['total_minor']}")


def _no_inexact_numbers(field: str, value: Any) -> None:
    """Walk the data: only str, int, bool, None, lists and objects with string keys."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidEvent(field, "object keys must be strings")
            _no_inexact_numbers(f"{field}.{key}", item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _no_inexact_numbers(f"{field}[{i}]", item)
    elif value is not None and not isinstance(value, (str, int)):
        raise InvalidEvent(field, f"must not be a {type(value).__name__}: amounts are integers in minor units")
