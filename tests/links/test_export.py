"""The export service: chunked progress, and the SQLite cache setting put back afterwards."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.links import export as exporter
from tests import factories


def test_progress_is_reported_after_each_committed_chunk(ctx, tmp_path):
    for i in range(5):
        factories.case(f"AK-2026-00070{i}")
    seen = []

    result = exporter.export_links(exporter.find_creditor("ACME-FR"), tmp_path / "out.csv", chunk_size=2,
                                   progress=seen.append)

    assert seen == [2, 4, 5]
    assert result.rows == 5 and result.path == tmp_path / "out.csv"
    assert exporter.count_open_cases(exporter.find_creditor("ACME-FR")) == 5


def test_an_empty_creditor_gives_a_header_only_file(ctx, tmp_path):
    factories.creditor("EMPTY-CO", "Empty Co")
    db.session.commit()
    result = exporter.export_links(exporter.find_creditor("EMPTY-CO"), tmp_path / "out.csv")
    assert result.rows == 0
    assert (tmp_path / "out.csv").read_bytes() == b"case_reference,url\r\n"  # RFC 4180 line ends


def test_the_sqlite_cache_setting_is_put_back_on_the_connection(ctx):
    with db.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            pytest.skip("the setting only exists on SQLite; PostgreSQL needs nothing of the kind")
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        with exporter._large_sqlite_cache(connection):
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -exporter.SQLITE_CACHE_KIB
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == before


def test_disputed_and_paused_cases_get_no_reminder_link(ctx, tmp_path, monkeypatch):
    from datetime import timedelta

    from portal.clock import today
    from portal.disputes.models import Dispute, DisputeReason
    from portal.support.models import CasePause

    open_, disputed, paused = (factories.case(f"AK-2026-00080{i}") for i in range(3))
    db.session.add(Dispute(case_id=disputed.id, reason=DisputeReason.not_mine, message="Not my contract."))
    db.session.add(CasePause(case_id=paused.id, starts_on=today(), ends_on=today() + timedelta(days=14), days=14))
    db.session.commit()
    creditor = exporter.find_creditor("ACME-FR")

    result = exporter.export_links(creditor, tmp_path / "out.csv")
    assert result.rows == 1 == exporter.count_open_cases(creditor)
    assert (tmp_path / "out.csv").read_text().splitlines()[1].startswith("AK-2026-000800,")

    monkeypatch.setattr(exporter, "today", lambda: today() + timedelta(days=14))  # the pause has ended
    result = exporter.export_links(creditor, tmp_path / "later.csv")
    assert sorted(line.split(",")[0] for line in (tmp_path / "later.csv").read_text().splitlines()[1:]) == \
        ["AK-2026-000800", "AK-2026-000802"]


def test_tokens_are_256_bit_base64url_without_padding_and_never_repeat():
    import base64
    import re

    tokens = exporter.new_tokens(2000)
    assert len(set(tokens)) == 2000
    for token in tokens:
        assert re.fullmatch(rb"[A-Za-z0-9_-]{43}", token)
        assert len(base64.urlsafe_b64decode(token + b"=")) == 32
    assert len(set(b"".join(tokens))) == 64  # every base64url symbol turns up


@pytest.mark.parametrize("base", ["https://portal.example/l/", 'https://portal.example/a,b"c/l/'])
def test_rows_are_written_exactly_as_csv_writer_would(tmp_path, base):
    import csv
    import io

    references = ["AK-2026-000001", "AK-2026-000002"]
    tokens = exporter.new_tokens(2)
    expected = io.StringIO()
    csv.writer(expected).writerows((ref, base + tok.decode()) for ref, tok in zip(references, tokens))
    with (tmp_path / "out.csv").open("w", newline="", encoding="utf-8") as fh:
        exporter._write_rows(fh, csv.writer(fh), references, base, tokens)
    assert (tmp_path / "out.csv").read_bytes() == expected.getvalue().encode()
