"""One record's validation and normalisation, field by field."""

from datetime import UTC, date, datetime

import pytest

from portal.intake.records import normalise_reference, validate

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def good(**changes) -> dict:
    """A valid CSV-style record (all strings) with `changes` applied."""
    record = {
        "case_reference": "AK-2026-0000001", "creditor_id": "ACME-FR", "creditor_name": "Acme SARL",
        "debtor_id": "D1", "debtor_type": "person", "debtor_name": "Marie Dupont",
        "debtor_email": "marie@example.fr", "debtor_phone": "+33612345678", "debtor_birth_date": "1980-04-12",
        "debtor_postcode": "75011", "debtor_country": "FR", "debtor_language": "fr", "currency": "EUR",
        "principal_minor": "10000", "interest_minor": "250", "fees_minor": "500", "costs_minor": "1200",
        "invoice_number": "INV-1", "invoice_date": "2026-06-01", "due_date": "2026-07-01", "risk_score": "30",
        "status": "open", "events_applied_through": "0", "exported_at": "2026-11-20T09:00:00+01:00",
    }
    record.update(changes)
    return record


def errors(**changes) -> list[tuple[str, str]]:
    return validate(good(**changes), NOW).errors


def test_a_good_record_is_normalised_to_typed_values():
    checked = validate(good(case_reference=" ak 2026-0000001 ", debtor_phone="+33 6 12 34 56 78"), NOW)
    assert checked.errors == []
    record = checked.record
    assert record["case_reference"] == "AK2026-0000001"
    assert record["lookup_key"] == "AK20260000001"
    assert record["debtor_key"] == "id:D1"
    assert record["debtor_phone"] == "+33612345678"
    assert record["principal_minor"] == 10000 and record["risk_score"] == 30
    assert record["debtor_birth_date"] == date(1980, 4, 12)
    assert record["exported_at"] == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # offset converted to UTC


def test_a_debtor_without_id_is_keyed_by_the_case():
    assert validate(good(debtor_id=""), NOW).record["debtor_key"] == "case:AK-2026-0000001"


def test_empty_cells_are_absent_and_optional_fields_may_be_absent():
    optional = dict.fromkeys(
        ["debtor_id", "debtor_email", "debtor_phone", "debtor_birth_date", "debtor_postcode", "debtor_language",
         "invoice_number", "invoice_date", "due_date", "risk_score"], "")
    record = validate(good(**optional), NOW).record
    assert record["debtor_email"] is None and record["risk_score"] is None


@pytest.mark.parametrize("field", ["case_reference", "creditor_id", "debtor_name", "currency", "fees_minor",
                                   "status", "events_applied_through", "exported_at", "debtor_country"])
def test_required_fields_are_required(field):
    assert (field, "is required") in errors(**{field: "  "})


@pytest.mark.parametrize("value", ["12.50", "-1", "1e3", "1 000", "١٢", "10000000000000001"])
def test_amounts_are_whole_non_negative_minor_units(value):
    assert [f for f, _ in errors(principal_minor=value)] == ["principal_minor"]


def test_json_numbers_are_accepted_but_floats_and_booleans_are_not():
    assert validate(good(principal_minor=10000, risk_score=0), NOW).record["principal_minor"] == 10000
    assert [f for f, _ in errors(principal_minor=12.0)] == ["principal_minor"]
    assert ("interest_minor", "must be a string or a number") in errors(interest_minor=True)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("case_reference", "AK-1"), ("case_reference", "AK_2026_0001"), ("case_reference", "A" * 33),
        ("currency", "EURO"), ("currency", "eur"), ("debtor_country", "XX"), ("debtor_country", "FRA"),
        ("debtor_language", "fr_FR"), ("debtor_email", "marie@"), ("debtor_email", "marie at example.fr"),
        ("debtor_phone", "0612345678"), ("debtor_phone", "+0612345678"), ("risk_score", "101"),
        ("status", "paid"), ("debtor_type", "company"), ("invoice_date", "2026-02-30"),
        ("due_date", "01/07/2026"), ("due_date", "20260701"), ("exported_at", "2026-11-20T08:00:00"),
        ("exported_at", "2026-11-20"), ("exported_at", "2026-11-29T08:00:00Z"),
        ("debtor_birth_date", "2027-01-01"), ("debtor_name", "x" * 301), ("creditor_id", "C" * 65),
        ("debtor_name", "Marie\nDupont"), ("debtor_name", "Marie \ufffd"),
    ],
)
def test_bad_values_are_refused_naming_the_field(field, value):
    found = errors(**{field: value})
    assert [f for f, _ in found] == [field], found


def test_a_business_has_no_birth_date():
    assert errors(debtor_type="business") == [("debtor_birth_date", "only a person has a birth date")]
    assert validate(good(debtor_type="business", debtor_birth_date=""), NOW).errors == []


def test_unknown_fields_are_ignored():
    assert validate(good(colour="blue"), NOW).errors == []


def test_the_record_hash_changes_with_content_and_not_with_spelling_nor_exported_at():
    base = validate(good(), NOW).record["record_hash"]
    same = validate(good(principal_minor="010000", exported_at="2026-11-20T08:00:00Z", debtor_name=" Marie Dupont"), NOW)
    assert same.record["record_hash"] == base
    assert validate(good(principal_minor="10001"), NOW).record["record_hash"] != base
    # A nightly full export restates unchanged cases with a new exported_at: same content.
    assert validate(good(exported_at="2026-11-21T08:00:00Z"), NOW).record["record_hash"] == base


def test_normalise_reference():
    assert normalise_reference(" ak-2026 0001 ") == "AK-20260001"
    assert normalise_reference("AK-2026-ÄÖ") is None


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2026-11-20t08:00:00z", datetime(2026, 11, 20, 8, 0, tzinfo=UTC)),
        ("2026-11-20T08:00:00.5+14:00", datetime(2026, 11, 19, 18, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-20T08:00:00.123456789Z", datetime(2026, 11, 20, 8, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_exported_at_takes_any_rfc_3339_offset_and_precision(stamp, expected):
    assert validate(good(exported_at=stamp), NOW).record["exported_at"] == expected
