"""Importing export files: tricky records, idempotence, newer and older exports, CSV = JSONL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from portal.cases.balance import case_breakdown
from portal.cases.models import Case, CaseEntry, CaseExport, Debtor, EntryKind
from portal.creditors.models import Creditor
from portal.extensions import db
from portal.intake.importer import ImportFileError, import_file
from tests.intake.sample import csv_bytes, jsonl_bytes, record

TRICKY = "\r\n".join([
    # line 1: header in another order, with an unknown column
    "status,case_reference,colour,creditor_id,creditor_name,debtor_id,debtor_type,debtor_name,debtor_email,"
    "debtor_phone,debtor_birth_date,debtor_postcode,debtor_country,debtor_language,currency,principal_minor,"
    "interest_minor,fees_minor,costs_minor,invoice_number,invoice_date,due_date,risk_score,"
    "events_applied_through,exported_at",
    # 2: quotes and commas inside names, lower-case reference with spaces
    'open,ak 2026 0001,blue,ACME-FR,"Acme, ""la"" SARL",D1,person,"Dupont, Marie ""Mimi""",m@example.fr,'
    "+33612345678,1980-04-12,75011,FR,fr,EUR,10000,250,500,1200,INV-1,2026-06-01,2026-07-01,30,0,2026-11-20T08:00:00Z",
    # 3: right-to-left name, Icelandic krónur (no minor unit), no e-mail or phone
    "open,AK-2026-0002,,BUD-IS,Búð ehf.,D2,person,محمد العلي,,,1975-01-31,101,IS,is,ISK,125000,0,0,0,,,,,0,"
    "2026-11-20T08:00:00Z",
    # 4: a business without birth date or debtor_id, yen, an offset other than Z
    "on_hold,AK-2026-0003,,SHOP-JP,Shop K.K.,,business,佐藤商事株式会社,,,,100-0001,JP,ja,JPY,500000,0,0,0,"
    ",,,99,3,2026-11-20T08:00:00+09:00",
    # 5-6: a quoted name over two physical lines: control characters are refused
    'open,AK-2026-0012,,ACME-FR,Acme SARL,D12,person,"Jean\r\nMartin",,,,,FR,fr,EUR,100,0,0,0,,,,,0,'
    "2026-11-20T08:00:00Z",
    # 7: negative amount
    "open,AK-2026-0004,,ACME-FR,Acme SARL,D4,person,Jean Martin,,,,,FR,fr,EUR,-1,0,0,0,,,,,0,2026-11-20T08:00:00Z",
    # 8: decimal amount
    "open,AK-2026-0005,,ACME-FR,Acme SARL,D5,person,Jean Martin,,,,,FR,fr,EUR,12.50,0,0,0,,,,,0,2026-11-20T08:00:00Z",
    # 9: impossible date
    "open,AK-2026-0006,,ACME-FR,Acme SARL,D6,person,Jean Martin,,,,,FR,fr,EUR,100,0,0,0,,2026-02-30,,,0,2026-11-20T08:00:00Z",
    # 10: unknown status
    "paid,AK-2026-0007,,ACME-FR,Acme SARL,D7,person,Jean Martin,,,,,FR,fr,EUR,100,0,0,0,,,,,0,2026-11-20T08:00:00Z",
    # 11: missing required creditor_id
    "open,AK-2026-0008,,,Acme SARL,D8,person,Jean Martin,,,,,FR,fr,EUR,100,0,0,0,,,,,0,2026-11-20T08:00:00Z",
    # 12: over-long debtor name
    f"open,AK-2026-0009,,ACME-FR,Acme SARL,D9,person,{'x' * 301},,,,,FR,fr,EUR,100,0,0,0,,,,,0,2026-11-20T08:00:00Z",
    # 13: an older copy of line 2's case (stale inside the file)
    'open,AK 2026 0001,,ACME-FR,"Acme, ""la"" SARL",D1,person,Old Name,,,,,FR,fr,EUR,99999,0,0,0,,,,,0,'
    "2026-11-19T08:00:00Z",
    # 14: a business with a birth date
    "open,AK-2026-0010,,ACME-FR,Acme SARL,D10,business,Widgets SA,,,1990-01-01,,FR,fr,EUR,100,0,0,0,,,,,0,"
    "2026-11-20T08:00:00Z",
    # 15: too few fields
    "open,AK-2026-0011,,ACME-FR",
    "",
])


def _import(tmp_path, content: bytes, name: str = "cases.csv", **kw):
    path = tmp_path / name
    path.write_bytes(content)
    rejections = []
    counts = import_file(path, on_rejection=rejections.append, **kw)
    return counts, [(r.line, r.field) for r in rejections]


def test_a_file_of_tricky_records_imports_the_good_and_reports_the_bad(ctx, tmp_path):
    counts, rejected = _import(tmp_path, b"\xef\xbb\xbf" + TRICKY.encode())
    assert counts.as_dict() == {"created": 3, "updated": 0, "unchanged": 0, "stale": 1, "rejected": 9}
    assert rejected == [
        (5, "debtor_name"), (7, "principal_minor"), (8, "principal_minor"), (9, "invoice_date"), (10, "status"),
        (11, "creditor_id"), (12, "debtor_name"), (14, "debtor_birth_date"), (15, "record"),
    ]
    first = db.session.scalar(select(Case).where(Case.reference == "AK20260001"))
    assert first.lookup_key == "AK20260001"
    assert first.creditor.name == 'Acme, "la" SARL'
    assert first.debtor.name == 'Dupont, Marie "Mimi"'  # not the stale copy's name
    assert first.export.principal_minor == 10000
    icelandic = db.session.scalar(select(Case).where(Case.reference == "AK-2026-0002"))
    assert icelandic.debtor.name == "محمد العلي" and icelandic.debtor.email is None
    assert case_breakdown(icelandic).total_due.format("is") == "125.000\xa0kr."  # whole krónur
    japanese = db.session.scalar(select(Case).where(Case.reference == "AK-2026-0003"))
    assert japanese.debtor.name == "佐藤商事株式会社"
    assert japanese.debtor.key == "case:AK-2026-0003" and japanese.debtor.birth_date is None
    assert japanese.export.exported_at == datetime(2026, 11, 19, 23, 0, tzinfo=UTC)
    assert japanese.export.status == "on_hold" and japanese.export.events_applied_through == 3


def _snapshot() -> dict:
    """Every row of the intake tables, to compare before and after."""
    return {
        table: db.session.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
        for table in ("creditors", "debtors", "cases", "case_exports")
    }


def test_importing_the_same_file_twice_changes_nothing(ctx, tmp_path):
    content = csv_bytes([record(f"AK-2026-{n:04d}", debtor_id=f"D{n % 3}") for n in range(1, 8)])
    first, _ = _import(tmp_path, content)
    assert first.created == 7
    before = _snapshot()
    second, rejected = _import(tmp_path, content)
    assert second.as_dict() == {"created": 0, "updated": 0, "unchanged": 7, "stale": 0, "rejected": 0}
    assert rejected == []
    db.session.expire_all()
    assert _snapshot() == before


def test_a_newer_export_adds_a_snapshot_and_the_balance_follows_it(ctx, tmp_path):
    _import(tmp_path, csv_bytes([record(principal_minor="10000")]))
    case = db.session.scalar(select(Case))
    # The portal records a payment of 30.00 (ledger sequence 1), not yet in the export.
    db.session.add(CaseEntry(case_id=case.id, kind=EntryKind.payment, amount_minor=3000, currency="EUR", sequence=1))
    case.last_sequence = 1
    db.session.commit()
    assert case_breakdown(case).total_due.minor == 11950 - 3000

    newer = record(principal_minor="7000", events_applied_through="1", exported_at="2026-11-21T08:00:00Z",
                   debtor_email="new@example.fr")
    counts, _ = _import(tmp_path, csv_bytes([newer]))
    assert counts.updated == 1
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count()).select_from(CaseExport)) == 2
    assert case.export.principal_minor == 7000
    assert case_breakdown(case).total_due.minor == 8950  # the payment is in the export now: not counted twice
    assert case.debtor.email == "new@example.fr"

    older = record(principal_minor="1", exported_at="2026-11-20T12:00:00Z", debtor_email="old@example.fr")
    counts, _ = _import(tmp_path, csv_bytes([older]))
    assert counts.stale == 1
    db.session.expire_all()
    assert case.export.principal_minor == 7000 and case.debtor.email == "new@example.fr"


def test_stale_copies_across_batches_and_against_the_database(ctx, tmp_path):
    rows = [
        record(exported_at="2026-11-21T08:00:00Z", principal_minor="2"),
        record(exported_at="2026-11-20T08:00:00Z", principal_minor="1"),
        record(exported_at="2026-11-22T08:00:00Z", principal_minor="3"),
        record(exported_at="2026-11-22T08:00:00Z", principal_minor="3"),
    ]
    counts, _ = _import(tmp_path, csv_bytes(rows), batch_size=1)
    assert counts.as_dict() == {"created": 1, "updated": 1, "unchanged": 1, "stale": 1, "rejected": 0}
    assert db.session.scalar(select(Case)).export.principal_minor == 3


def test_two_versions_of_one_snapshot_are_refused(ctx, tmp_path):
    _import(tmp_path, csv_bytes([record(principal_minor="100")]))
    counts, rejected = _import(tmp_path, csv_bytes([record(principal_minor="200")]))
    assert counts.rejected == 1 and rejected == [(2, "exported_at")]
    pair = [record("AK-2026-0002", principal_minor="1"), record("AK-2026-0002", principal_minor="2")]
    counts, rejected = _import(tmp_path, csv_bytes(pair))
    assert counts.created == 1 and rejected == [(3, "exported_at")]


def test_cases_of_one_debtor_share_a_debtor_and_an_older_record_never_overwrites_it(ctx, tmp_path):
    rows = [
        record("AK-2026-0001", debtor_id="D9", debtor_name="New Name", exported_at="2026-11-21T08:00:00Z"),
        record("AK-2026-0002", debtor_id="D9", debtor_name="Old Name", exported_at="2026-11-20T08:00:00Z"),
        record("AK-2026-0003", debtor_id="", debtor_name="Alone"),
    ]
    _import(tmp_path, csv_bytes(rows))
    debtors = db.session.scalars(select(Debtor).order_by(Debtor.key)).all()
    assert [(d.key, d.name, len(d.cases)) for d in debtors] == [
        ("case:AK-2026-0003", "Alone", 1), ("id:D9", "New Name", 2)]
    assert db.session.scalar(select(db.func.count()).select_from(Creditor)) == 1


def test_jsonl_gives_the_same_result_as_csv(ctx, tmp_path):
    rows = [record(f"AK-2026-{n:04d}", debtor_id="" if n % 2 else f"D{n}", risk_score="") for n in range(1, 5)]
    rows.append(record("AK-2026-0009", principal_minor="-5"))
    counts, rejected = _import(tmp_path, csv_bytes(rows))
    from_csv = _snapshot()
    db.session.execute(text("DELETE FROM cases"))  # current_export_id first, then everything
    for table in ("case_exports", "debtors", "creditors"):
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()
    lines = jsonl_bytes(rows).splitlines()
    content = b"\n".join([lines[0], b"", *lines[1:], b"[1, 2]", b"{not json"]) + b"\n"
    counts_j, rejected_j = _import(tmp_path, content, name="cases.jsonl")
    assert counts_j.created == counts.created == 4
    assert rejected == [(6, "principal_minor")]
    assert rejected_j == [(6, "principal_minor"), (7, "record"), (8, "record")]
    from_jsonl = _snapshot()
    assert [row[1:] for row in from_jsonl["debtors"]] == [row[1:] for row in from_csv["debtors"]]
    assert [row.reference for row in from_jsonl["cases"]] == [row.reference for row in from_csv["cases"]]
    assert [row.record_hash for row in from_jsonl["case_exports"]] == [row.record_hash for row in from_csv["case_exports"]]


def test_a_header_without_required_columns_stops_the_import(ctx, tmp_path):
    with pytest.raises(ImportFileError, match="currency"):
        _import(tmp_path, csv_bytes([record()], columns=[f for f in record() if f != "currency"]))


def test_bytes_that_are_not_utf8_refuse_only_their_record(ctx, tmp_path):
    content = csv_bytes([record("AK-2026-0001", debtor_name="Ren\xe9"), record("AK-2026-0002")])
    content = content.replace("Ren\xe9".encode(), b"Ren\xe9")  # Latin-1, not UTF-8
    counts, rejected = _import(tmp_path, content)
    assert (counts.created, counts.rejected) == (1, 1)
    assert rejected == [(2, "debtor_name")]


def _case_and_exports() -> tuple[Case, int]:
    """The only case, and how many snapshots it has."""
    db.session.expire_all()
    return db.session.scalar(select(Case)), db.session.scalar(select(db.func.count()).select_from(CaseExport))


def test_a_nightly_reexport_of_unchanged_cases_adds_no_snapshot_but_moves_exported_at_seen(ctx, tmp_path):
    rows = [record(f"AK-2026-{n:04d}") for n in range(1, 4)]
    _import(tmp_path, csv_bytes(rows))
    nightly = [{**row, "exported_at": "2026-11-21T08:00:00Z"} for row in rows]
    counts, _ = _import(tmp_path, csv_bytes(nightly))
    assert counts.as_dict() == {"created": 0, "updated": 0, "unchanged": 3, "stale": 0, "rejected": 0}
    assert db.session.scalar(select(db.func.count()).select_from(CaseExport)) == 3
    seen = db.session.scalars(select(Case.exported_at_seen)).all()
    assert seen == [datetime(2026, 11, 21, 8, 0, tzinfo=UTC)] * 3
    before = _snapshot()
    again, _ = _import(tmp_path, csv_bytes(nightly))  # the same nightly file twice: nothing at all changes
    assert again.unchanged == 3
    db.session.expire_all()
    assert _snapshot() == before


def test_a_delayed_record_older_than_an_unchanged_restatement_is_stale(ctx, tmp_path):
    # Content A at T1, the same A restated at T3, then a delayed B from T2: B is stale.
    _import(tmp_path, csv_bytes([record(principal_minor="100", exported_at="2026-11-20T08:00:00Z")]))
    _import(tmp_path, csv_bytes([record(principal_minor="100", exported_at="2026-11-22T08:00:00Z")]))
    counts, _ = _import(tmp_path, csv_bytes([record(principal_minor="200", exported_at="2026-11-21T08:00:00Z")]))
    assert counts.as_dict() == {"created": 0, "updated": 0, "unchanged": 0, "stale": 1, "rejected": 0}
    case, exports = _case_and_exports()
    assert exports == 1 and case.export.principal_minor == 100
    assert case.export.exported_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # the snapshot keeps its own time
    assert case.exported_at_seen == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    # Different content stamped T3 contradicts the restatement; anything newer is applied.
    counts, rejected = _import(tmp_path, csv_bytes([record(principal_minor="300", exported_at="2026-11-22T08:00:00Z")]))
    assert counts.rejected == 1 and rejected == [(2, "exported_at")]
    counts, _ = _import(tmp_path, csv_bytes([record(principal_minor="400", exported_at="2026-11-23T08:00:00Z")]))
    assert counts.updated == 1
    case, exports = _case_and_exports()
    assert exports == 2 and case.export.principal_minor == 400
    assert case.exported_at_seen == case.export.exported_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_restatements_and_delays_within_one_file_and_across_batches(ctx, tmp_path):
    rows = [
        record(principal_minor="100", exported_at="2026-11-20T08:00:00Z"),  # A at T1: created
        record(principal_minor="100", exported_at="2026-11-22T08:00:00Z"),  # A at T3: unchanged
        record(principal_minor="200", exported_at="2026-11-21T08:00:00Z"),  # B at T2: stale
    ]
    counts, _ = _import(tmp_path, csv_bytes(rows), batch_size=1)
    assert counts.as_dict() == {"created": 1, "updated": 0, "unchanged": 1, "stale": 1, "rejected": 0}
    case, exports = _case_and_exports()
    assert exports == 1 and case.export.principal_minor == 100
    assert case.exported_at_seen == datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("parallel", [False, True])
def test_reading_in_a_child_process_or_not_gives_the_same_import(ctx, tmp_path, parallel):
    rows = [record(f"AK-2026-{n:04d}", debtor_id=f"D{n % 4}") for n in range(1, 26)]
    rows[7]["principal_minor"] = "-1"
    rows.append(record("AK-2026-0003", exported_at="2026-11-19T08:00:00Z"))  # an older copy: stale
    counts, rejected = _import(tmp_path, csv_bytes(rows), batch_size=4, parallel=parallel)
    assert counts.as_dict() == {"created": 24, "updated": 0, "unchanged": 0, "stale": 1, "rejected": 1}
    assert rejected == [(9, "principal_minor")]
    assert db.session.scalar(select(db.func.count()).select_from(Case)) == 24


def test_a_failure_while_reading_in_the_child_is_reported(ctx, tmp_path, monkeypatch):
    def broken(*args):
        raise RuntimeError("disk on fire")
        yield

    monkeypatch.setattr("portal.intake.importer._file_batches", broken)
    with pytest.raises(ImportFileError, match="disk on fire"):
        _import(tmp_path, csv_bytes([record()]), parallel=True)
