"""The CSV fast path: it accepts only what `validate` accepts unchanged, with the same row and hash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.cases.models import Case
from portal.extensions import db
from portal.intake.fastpath import EXPORTED_AT, as_row, fast_row
from portal.intake.generate import generate_records
from portal.intake.importer import import_file
from portal.intake.records import FIELDS, validate
from tests.intake.sample import csv_bytes, record

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _fields(values: dict) -> tuple[str, ...]:
    return tuple(values.get(name, "") for name in FIELDS)


def _slow(values: dict):
    checked = validate(values, NOW)
    return None if checked.record is None else as_row(checked.record)


def _same(fast, slow) -> bool:
    """Equal rows and exported_at; the staged exported_at text may be spelled differently."""
    (frow, fat), (srow, sat) = fast, slow
    return fat == sat and frow[:EXPORTED_AT] + frow[EXPORTED_AT + 1:] == srow[:EXPORTED_AT] + srow[EXPORTED_AT + 1:]


def test_generated_records_take_the_fast_path_and_match_the_slow_one():
    records = list(generate_records(2000, seed=7))
    fast = [fast_row(_fields(r), NOW) for r in records]
    assert sum(f is None for f in fast) < 10  # only 29 February birthdays go the slow way
    for values, result in zip(records, fast):
        if result is not None:
            assert _same(result, _slow(values)), values["case_reference"]


@pytest.mark.parametrize("changes", [
    {"debtor_name": " Marie Dupont"}, {"debtor_country": "fr"}, {"principal_minor": "010000"},
    {"case_reference": "ak-2026-0000001"}, {"debtor_phone": "+33 6 12 34 56 78"},
    {"debtor_birth_date": "1980-02-29"}, {"exported_at": "2026-11-20t08:00:00z"},
    {"exported_at": "2026-11-20T08:00:00.123456789Z"}, {"principal_minor": "1000000000000000"},
])
def test_spellings_validate_would_normalise_go_the_slow_way_to_the_same_result(changes):
    assert fast_row(_fields(record(**changes)), NOW) is None
    assert _slow(record(**changes)) is not None


@pytest.mark.parametrize("changes", [
    {"debtor_name": "Marie\tDupont"}, {"debtor_name": "x" * 301}, {"debtor_name": ""}, {"debtor_country": "XX"},
    {"currency": "EURO"}, {"principal_minor": "-1"}, {"principal_minor": "1.5"}, {"risk_score": "101"},
    {"invoice_date": "2026-02-30"}, {"invoice_date": "2026-04-31"}, {"debtor_type": "business"},
    {"debtor_birth_date": "2027-01-01"}, {"exported_at": "2026-11-20T08:00:00"}, {"exported_at": "2026-12-20T08:00:00Z"},
    {"debtor_email": "not-an-address"}, {"debtor_language": "f"}, {"status": "paid"}, {"debtor_phone": "0612345678"},
    {"debtor_name": "Ren\ufffd"}, {"creditor_id": "x" * 65},
])
def test_the_fast_path_never_accepts_a_bad_record(changes):
    assert fast_row(_fields(record(**changes)), NOW) is None
    assert _slow(record(**changes)) is None


def test_backslashes_and_quotes_survive_the_staging_copy(ctx, tmp_path):
    name = 'O\'Brien \\ "Sons" \\N \\t'
    path = tmp_path / "cases.csv"
    path.write_bytes(csv_bytes([record(debtor_name=name, creditor_name="C:\\Acme")]))
    assert import_file(path).created == 1
    case = db.session.scalar(select(Case))
    assert case.debtor.name == name and case.creditor.name == "C:\\Acme"
