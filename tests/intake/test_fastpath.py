"""The CSV fast path: it accepts only what `validate` accepts unchanged, with the same row and hash."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.cases.models import Case
from portal.extensions import db
from portal.intake.fastpath import EXPORTED_AT, as_row, fast_row, line_checker
from portal.intake.generate import generate_records
from portal.intake.importer import VALID, import_file, read_csv, validated_batches
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


def test_the_line_fast_path_gives_fast_rows_result_for_generated_records():
    check = line_checker(NOW)
    records = list(generate_records(2000, seed=11))
    lines = csv_bytes(records).decode().splitlines()[1:]
    results = [check(line, number) for number, line in enumerate(lines, start=2)]
    assert sum(r is None for r in results) < 10
    for number, (values, result) in enumerate(zip(records, results), start=2):
        slow = fast_row(_fields(values), NOW)
        assert result == (None if slow is None else (number, *slow)), number


def _read(content: bytes, fast) -> list:
    """Every batch `validated_batches` makes of the file, reading with or without the line fast path."""
    stream = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", errors="replace", newline="")
    return list(validated_batches(read_csv(stream, fast), 3, now=NOW))


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_file_in_contract_order_reads_the_same_with_and_without_the_line_fast_path(newline):
    """Quotes, a field over two lines, blank lines, NUL, bad UTF-8, short lines: same records, errors and lines."""
    records = [record(f"AK-2026-{n:07d}", debtor_id=f"D{n}") for n in range(1, 8)]
    records[1]["debtor_name"] = 'Dupont, Marie "Mimi"'  # quoted by the writer
    records[2]["debtor_name"] = f"Jean{newline}Martin"  # a quoted field over two physical lines
    records[3]["debtor_country"] = "fr"  # normalised by the slow path
    records[4]["principal_minor"] = "-1"
    content = csv_bytes(records, newline=newline, bom=True).decode("utf-8-sig")
    lines = content.split(newline)
    lines[1] = lines[1].replace("Acme SARL", "Acme\x00SARL")  # NUL: csv refuses the line
    lines.insert(3, "")  # a blank line
    lines.insert(6, "AK-2026-0000099,ACME-FR")  # too few fields
    content = newline.join(lines).encode() + b"AK-2026-0000100,ACME-FR,Acme \xff SARL" + b",x" * 21 + newline.encode()
    fast, slow = _read(content, line_checker(NOW)), _read(content, None)
    assert fast == slow
    refused = [line for _, rejected, _ in slow for line, _ in rejected]
    accepted = [item[0] for batch, _, _ in slow for item in batch]
    # 2: NUL; 4: blank; 5-6: a name over two lines (control characters); 7: too few fields; 9: -1; 12: bad UTF-8
    assert refused == [2, 5, 7, 9, 12] and accepted == [3, 8, 10, 11]
    stream = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", errors="replace", newline="")
    assert [item[0] for item, _, errors in read_csv(stream, line_checker(NOW)) if errors is VALID] == [10, 11]
