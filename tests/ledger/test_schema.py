"""Event data is checked against the contract before anything is recorded."""

import pytest

from portal.ledger.schema import InvalidEvent, validate

PAYMENT = {
    "payment_id": "pay-1", "amount_minor": 4500, "currency": "EUR", "method": "card", "provider": "stripe",
    "provider_reference": "pi_123", "plan_id": None, "instalment_number": None,
}


def test_a_complete_payment_passes():
    validate("payment.succeeded", PAYMENT)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"amount_minor": 45.0}, "data.amount_minor"),
        ({"amount_minor": "4500"}, "data.amount_minor"),
        ({"amount_minor": True}, "data.amount_minor"),
        ({"amount_minor": 0}, "data.amount_minor"),
        ({"currency": "EURO"}, "data.currency"),
        ({"instalment_number": 0}, "data.instalment_number"),
        ({"surprise": 1}, "data.surprise"),
    ],
)
def test_bad_payment_data_is_refused_naming_the_field(change, field):
    with pytest.raises(InvalidEvent) as raised:
        validate("payment.succeeded", {**PAYMENT, **change})
    assert raised.value.field == field


def test_a_missing_field_and_an_unknown_type_are_named():
    with pytest.raises(InvalidEvent, match="data.provider_reference: is required"):
        validate("payment.succeeded", {k: v for k, v in PAYMENT.items() if k != "provider_reference"})
    with pytest.raises(InvalidEvent, match="unknown event type 'payment.done'"):
        validate("payment.done", PAYMENT)


def test_plan_instalments_must_add_up_to_the_total():
    plan = {
        "plan_id": 7, "origin": "offer", "approved_by": "policy", "total_minor": 1000, "currency": "EUR",
        "instalments": [{"number": 1, "due_date": "2026-12-01", "amount_minor": 500},
                        {"number": 2, "due_date": "2027-01-01", "amount_minor": 500}],
    }
    validate("plan.agreed", plan)
    plan["instalments"][1]["amount_minor"] = 499
    with pytest.raises(InvalidEvent, match="add up to 999"):
        validate("plan.agreed", plan)
    plan["instalments"][1] = {"number": 2, "due_date": "01/01/2027", "amount_minor": 500}
    with pytest.raises(InvalidEvent, match=r"instalments\[1\].due_date"):
        validate("plan.agreed", plan)


def test_contact_changes_carry_only_the_changed_fields():
    validate("debtor.contact_changed", {"email": "new@example.fr"})
    with pytest.raises(InvalidEvent):
        validate("debtor.contact_changed", {})
    with pytest.raises(InvalidEvent):
        validate("debtor.contact_changed", {"birth_date": "1980-01-01"})


def test_floats_are_refused_anywhere_in_the_data():
    with pytest.raises(InvalidEvent, match="data.message"):
        validate("case.disputed", {"reason_code": "x", "message": 1.5})
