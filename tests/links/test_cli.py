"""`flask links issue` and `flask links export`."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select

from portal.cases.models import Case, CaseStatus
from portal.extensions import db
from portal.links import export as exporter
from portal.links import services
from portal.links.models import ReminderLink
from tests import factories


def _token(url: str) -> str:
    prefix = "http://portal.test/l/"
    assert url.startswith(prefix)
    return url[len(prefix):]


def test_issue_prints_a_working_url(app, runner):
    with app.app_context():
        case_id = factories.case("AK-2026-000100").id

    result = runner.invoke(args=["links", "issue", "ak-2026-000100"])

    assert result.exit_code == 0, result.output
    url = result.stdout.strip()
    with app.app_context():
        link = services.resolve(_token(url))
        assert link is not None and link.case_id == case_id


@pytest.mark.parametrize(
    ("status", "reference", "message"),
    [(None, "AK-2026-404404", "no case with reference 'AK-2026-404404'"),
     (CaseStatus.closed, "AK-2026-000101", "case AK-2026-000101 is closed, not open")],
)
def test_issue_explains_why_no_link_was_issued(app, runner, status, reference, message):
    with app.app_context():
        if status:
            factories.case(reference, status=status)

    result = runner.invoke(args=["links", "issue", reference])

    assert result.exit_code == 1
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReminderLink)) == 0


def _export_fixture():
    """Five open cases of ACME, one on hold and one closed, and an open case of another creditor."""
    open_refs = [factories.case(f"AK-2026-00020{i}").reference for i in range(5)]
    factories.case("AK-2026-000210", status=CaseStatus.on_hold)
    factories.case("AK-2026-000211", status=CaseStatus.closed)
    factories.case("BT-2026-000300", creditor_id="BETA-DE", name="Beta GmbH")
    return open_refs


def test_export_writes_one_working_url_per_open_case_of_that_creditor(app, runner, tmp_path):
    with app.app_context():
        open_refs = _export_fixture()
    out = tmp_path / "links.csv"

    result = runner.invoke(args=["links", "export", "--creditor", "ACME-FR", "--chunk-size", "2", str(out)])

    assert result.exit_code == 0, result.output
    assert "5 links for ACME-FR" in result.output
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["case_reference", "url"]
    assert sorted(r[0] for r in rows[1:]) == open_refs
    with app.app_context():
        for reference, url in rows[1:]:
            link = services.resolve(_token(url))
            assert link is not None and db.session.get(Case, link.case_id).reference == reference
        assert db.session.scalar(select(func.count()).select_from(ReminderLink)) == 5
    assert not (tmp_path / "links.csv.partial").exists()


def test_export_rejects_an_unknown_creditor(runner, tmp_path):
    result = runner.invoke(args=["links", "export", "--creditor", "NOPE", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "no creditor with id 'NOPE'" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_a_failed_export_leaves_only_committed_urls_and_no_finished_file(app, runner, tmp_path, monkeypatch):
    with app.app_context():
        _export_fixture()
    real_insert, calls = exporter._insert_hashes, []

    def failing_second_chunk(*args):
        calls.append(1)
        real_insert(*args)
        if len(calls) == 2:
            raise RuntimeError("database went away")

    monkeypatch.setattr(exporter, "_insert_hashes", failing_second_chunk)
    out = tmp_path / "links.csv"
    result = runner.invoke(args=["links", "export", "--creditor", "ACME-FR", "--chunk-size", "2", str(out)])

    assert result.exit_code != 0
    assert not out.exists()
    with (tmp_path / "links.csv.partial").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[1:]
    assert len(rows) == 2  # the first chunk, committed before it was written
    with app.app_context():
        db.session.remove()
        assert all(services.resolve(_token(url)) is not None for _, url in rows)
        assert db.session.scalar(select(func.count()).select_from(ReminderLink)) == 2
