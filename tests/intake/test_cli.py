"""`flask cases import` and `flask cases generate` as an operator runs them."""

from __future__ import annotations

import csv

from sqlalchemy import func, select

from portal.cases.models import Case
from portal.extensions import db
from portal.intake.generate import generate_records
from tests.intake.sample import csv_bytes, record


def test_import_prints_each_rejection_and_the_counts(runner, app, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes([
        record("AK-2026-0001"),
        record("AK-2026-0002", currency="EURO"),
        record("AK-2026-0003", debtor_email="nobody", status="paid"),
    ]))
    errors = tmp_path / "errors.csv"
    result = runner.invoke(args=["cases", "import", str(path), "--errors", str(errors)])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "line 3: currency: must be an upper-case ISO 4217 currency code",
        "line 4: status: must be 'open', 'on_hold' or 'closed'",
        "line 4: debtor_email: is not an e-mail address",
    ]
    assert lines[3].startswith("created 1, updated 0, unchanged 0, stale 0, rejected 2 (3 records in ")
    with open(errors, newline="") as f:
        assert list(csv.reader(f))[1] == ["3", "currency", "must be an upper-case ISO 4217 currency code"]

    again = runner.invoke(args=["cases", "import", str(path)])
    assert "created 0, updated 0, unchanged 1, stale 0, rejected 2" in again.stdout
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_import_exits_0_when_all_is_accepted_and_2_when_the_file_cannot_be_read(runner, tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_text('{"case_reference": "AK-2026-0001"}\n')
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([record()]))
    assert runner.invoke(args=["cases", "import", str(good)]).exit_code == 0
    missing = runner.invoke(args=["cases", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    header = tmp_path / "header.csv"
    header.write_text("case_reference,status\nAK-2026-0001,open\n")
    bad = runner.invoke(args=["cases", "import", str(header)])
    assert bad.exit_code == 2 and "lacks required columns: creditor_id" in bad.stderr


def test_generate_writes_the_same_valid_file_for_the_same_seed(runner, app, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    assert runner.invoke(args=["cases", "generate", "300", str(first), "--seed", "7"]).exit_code == 0
    runner.invoke(args=["cases", "generate", "300", str(second), "--seed", "7"])
    assert first.read_bytes() == second.read_bytes()
    result = runner.invoke(args=["cases", "import", str(first)])
    assert result.exit_code == 0, result.output
    assert "created 300," in result.stdout
    jsonl = tmp_path / "c.jsonl"
    runner.invoke(args=["cases", "generate", "300", str(jsonl), "--seed", "7", "--format", "jsonl"])
    assert "unchanged 300," in runner.invoke(args=["cases", "import", str(jsonl)]).stdout


def test_generated_records_cover_what_the_portal_must_handle():
    records = list(generate_records(3000, seed=1, creditors=12))
    assert len({r["case_reference"] for r in records}) == 3000
    assert len({r["debtor_country"] for r in records}) == 15
    assert {"EUR", "SEK", "NOK", "DKK", "PLN", "CZK", "ISK"} <= {r["currency"] for r in records}
    assert len({r["creditor_id"] for r in records}) == 12
    debtor_ids = [r["debtor_id"] for r in records if r["debtor_id"]]
    assert len(debtor_ids) > len(set(debtor_ids))  # some debtors have several cases
    assert any(not r["debtor_email"] for r in records) and any(not r["debtor_phone"] for r in records)
    assert all(not r["debtor_birth_date"] for r in records if r["debtor_type"] == "business")
    assert any("\u0600" <= c <= "\u06ff" or "\u0590" <= c <= "\u05ff" for r in records for c in r["debtor_name"])
    statuses = [r["status"] for r in records]
    assert statuses.count("open") > 0.8 * len(statuses)
    assert list(generate_records(5, seed=1)) == list(generate_records(5, seed=1))
    assert list(generate_records(5, seed=1)) != list(generate_records(5, seed=2))
