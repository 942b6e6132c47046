"""Queries per debtor page: the count must not grow with history rows or with cases."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from portal.cases.models import CaseEntry, CaseExport, EntryKind
from portal.extensions import db
from tests import factories
from tests.helpers import sign_in

EN = {"Accept-Language": "en"}


@contextmanager
def counting(app):
    """Collect every SQL statement the app's engine runs (the session table's own connection too)."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def add_history(case, rows: int) -> None:
    """`rows` more lines in the case's history: half statements, half payments after them."""
    for n in range(rows // 2):
        db.session.add(CaseExport(
            case_id=case.id, exported_at=datetime(2026, 1, 1, tzinfo=UTC).replace(minute=n % 60, hour=n // 60),
            status=case.export.status, currency="EUR", principal_minor=10000, interest_minor=0, fees_minor=0,
            costs_minor=0, events_applied_through=0, record_hash=f"h{n}",
        ))
    for n in range(rows - rows // 2):
        db.session.add(CaseEntry(
            case_id=case.id, kind=EntryKind.payment, amount_minor=100, currency="EUR", sequence=n + 1,
            occurred_at=datetime(2026, 11, 21, 12, n % 60, tzinfo=UTC),
        ))
    db.session.commit()


def page_queries(app, client, url: str) -> int:
    """Statements run to serve `url` once the session is warm (second request; the first may touch the session)."""
    assert client.get(url, headers=EN).status_code == 200
    with counting(app) as statements:
        response = client.get(url, headers=EN)
    assert response.status_code == 200
    return len(statements)


def test_what_you_owe_page_does_not_grow_with_its_history(app):
    """One history line or fifty: the same number of queries."""
    counts = []
    for n, rows in enumerate((1, 50)):
        # Data is made in its own app context: requests must not share `g` (the loaded user) with it.
        with app.app_context():
            case = factories.case(f"AK-PERF-{n:04d}", language="en")
            add_history(case, rows)
            client = app.test_client()
            sign_in(client, case)
            url = f"/cases/{case.reference}"
        counts.append(page_queries(app, client, url))
    assert counts[0] == counts[1], counts
    # Session, debtor (identity, language, details), case with export and creditor, statements, entries.
    assert counts[1] == 5, counts


def test_cases_list_does_not_grow_with_the_number_of_cases(app):
    """A debtor with one case or twenty, each with payments: the same number of queries."""
    counts = []
    for debtor, n_cases in (("D-ONE", 1), ("D-TWENTY", 20)):
        with app.app_context():
            cases = [
                factories.case(f"AK-{debtor}-{i:03d}", debtor_id=debtor, language="en") for i in range(n_cases)
            ]
            for case in cases:
                add_history(case, 4)
            client = app.test_client()
            sign_in(client, cases[0])
        counts.append(page_queries(app, client, "/cases"))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts


@pytest.mark.parametrize("rows", [0, 30])
def test_cases_list_shows_what_is_due_after_payments(app, rows):
    """The batched figures agree with the single-case figures: payments since the export lower the total."""
    with app.app_context():
        case = factories.case("AK-PERF-DUE1", language="en", principal=10000, interest=0, fees=0, costs=0)
        for n in range(rows):
            db.session.add(CaseEntry(case_id=case.id, kind=EntryKind.payment, amount_minor=100, currency="EUR",
                                     sequence=n + 1, occurred_at=datetime(2026, 11, 21, 12, n, tzinfo=UTC)))
        db.session.commit()
        client = app.test_client()
        sign_in(client, case)
    html = client.get("/cases", headers=EN).get_data(as_text=True)
    expected = f"{(10000 - 100 * rows) // 100:,}.00"
    assert expected in html, expected
