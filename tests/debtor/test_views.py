"""The debtor's pages as a debtor sees them: their cases, what they owe, nobody else's."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from portal.cases.models import CaseEntry, CaseExport, CaseStatus, EntryKind
from portal.extensions import db
from tests import factories
from tests.helpers import sign_in

EN = {"Accept-Language": "en"}


def new_case(reference=None, **kw):
    """A case whose debtor reads English (the factory's default debtor reads French)."""
    kw.setdefault("language", "en")
    return factories.case(reference, **kw)


def main(response) -> str:
    """The page's <main> element, where every action of a page would be."""
    html = response.get_data(as_text=True)
    return html[html.index("<main"):html.index("</main>")]


def text(response) -> str:
    """The <main> text without tags and with collapsed spaces."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main(response)))


def entry(case, sequence, kind=EntryKind.payment, amount=1000, day=21):
    """Record a portal entry on `case` directly."""
    db.session.add(
        CaseEntry(
            case_id=case.id, kind=kind, amount_minor=amount, currency=case.export.currency,
            sequence=sequence, occurred_at=datetime(2026, 11, day, 12, 0, tzinfo=UTC),
        )
    )
    db.session.commit()


def test_not_signed_in_goes_to_sign_in(client, ctx):
    case = new_case()
    for url in ("/cases", f"/cases/{case.reference}"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/sign-in")


def test_every_case_of_the_debtor_is_listed_with_what_is_due(client, ctx):
    factories.creditor("BETA", "Beta Telecom")
    first = new_case("AK-2026-000001", debtor_id="D-1")
    second = new_case("AK-2026-000002", debtor_id="D-1", creditor_id="BETA",
                            status=CaseStatus.on_hold, principal=5000, interest=0, fees=0, costs=0)
    new_case("AK-2026-000003", debtor_id="D-1", status=CaseStatus.closed)
    new_case("AK-2026-000004", debtor_id="D-2")
    sign_in(client, first)
    response = client.get("/cases", headers=EN)
    assert response.status_code == 200
    page = text(response)
    assert "AK-2026-000001" in page and "€119.50" in page and "Open" in page
    assert "AK-2026-000002" in page and "€50.00" in page and "On hold" in page
    assert "Acme SARL" in page and "Beta Telecom" in page
    assert "AK-2026-000003" not in page  # closed
    assert "AK-2026-000004" not in page  # someone else's
    assert f'href="/cases/{second.reference}"' in main(response)


def test_what_you_owe_shows_invoice_breakdown_and_total(client, ctx):
    case = new_case("AK-2026-000123", principal=10000, interest=250, fees=500, costs=1200)
    sign_in(client, case)
    page = text(client.get(f"/cases/{case.reference}", headers=EN))
    assert "What you owe to Acme SARL" in page
    for expected in ("INV-", "June 1, 2026", "July 1, 2026", "Principal (the unpaid invoice) €100.00",
                     "Interest €2.50", "Reminder fees €5.00", "Collection costs €12.00", "Total due now €119.50"):
        assert expected in page
    assert "since that statement" not in page  # nothing recorded since the export


def test_entries_already_in_the_export_are_not_deducted_again(client, ctx):
    case = new_case(events_applied_through=2)  # total exported: €119.50
    entry(case, 1, amount=1000)  # already applied by the agency
    entry(case, 2, amount=500)  # already applied by the agency
    entry(case, 3, amount=700)
    entry(case, 4, EntryKind.discount, amount=100)
    entry(case, 5, EntryKind.refund, amount=200)
    entry(case, 6, EntryKind.chargeback, amount=50)
    sign_in(client, case)
    page = text(client.get(f"/cases/{case.reference}", headers=EN))
    assert "Total on the agency's last statement (November 20, 2026) €119.50" in page
    assert "Payments received since that statement -€7.00" in page
    assert "Discounts granted since that statement -€1.00" in page
    assert "Refunds and reversed payments since that statement €2.50" in page
    assert "Total due now €114.00" in page  # 119.50 - 7.00 - 1.00 + 2.50


def test_history_lists_statements_and_entries_newest_first(client, ctx):
    case = new_case(events_applied_through=0)
    older = CaseExport(
        case_id=case.id, exported_at=datetime(2026, 9, 1, tzinfo=UTC), status=CaseStatus.open, currency="EUR",
        principal_minor=10000, interest_minor=0, fees_minor=0, costs_minor=0, events_applied_through=0,
        record_hash="older",
    )
    db.session.add(older)
    db.session.commit()
    entry(case, 1, amount=2500, day=25)
    sign_in(client, case)
    page = text(client.get(f"/cases/{case.reference}", headers=EN))
    history = page[page.index("What has happened so far"):]
    expected = [
        "November 25, 2026 Payment received: €25.00",
        "November 20, 2026 Statement from the agency: total €119.50",
        "September 1, 2026 Statement from the agency: total €100.00",
        "July 1, 2026 The invoice was due for payment",
        "June 1, 2026 The invoice was issued",
    ]
    positions = [history.index(line) for line in expected]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("currency", "minor", "shown"),
    [
        ("JPY", 9 * 10**12, "¥9,000,000,000,000"),
        ("ISK", 9 * 10**12, "ISK9,000,000,000,000"),  # Babel applies no CLDR currency spacing
        ("EUR", 9 * 10**12, "€90,000,000,000.00"),
    ],
)
def test_zero_decimal_currencies_and_huge_amounts(client, ctx, currency, minor, shown):
    case = new_case(currency=currency, principal=minor, interest=0, fees=0, costs=0)
    sign_in(client, case)
    assert f"Total due now {shown}" in text(client.get(f"/cases/{case.reference}", headers=EN))
    assert shown in text(client.get("/cases", headers=EN))


def test_on_hold_shows_the_balance_kindly_and_no_action(client, ctx):
    case = new_case(status=CaseStatus.on_hold)
    sign_in(client, case)
    response = client.get(f"/cases/{case.reference}", headers=EN)
    assert response.status_code == 200
    page = text(response)
    assert "Total due now €119.50" in page
    assert "This case is on hold for the moment" in page
    assert "<form" not in main(response) and "<button" not in main(response)


def test_open_case_offers_paying_online_and_no_dead_action(client, ctx):
    case = new_case()
    sign_in(client, case)
    html = main(client.get(f"/cases/{case.reference}", headers=EN))
    assert "<form" not in html and "<button" not in html
    assert f'<a class="button" href="/cases/{case.reference}/pay">Pay online</a>' in html
    assert client.get(f"/cases/{case.reference}/pay", headers=EN).status_code == 200


def test_low_assurance_masks_the_debtor_details(client, ctx):
    case = new_case(name="Marie Dupont", email="marie@example.fr", phone="+33612345678")
    sign_in(client, case, assurance="low")
    page = text(client.get(f"/cases/{case.reference}", headers=EN))
    assert "M**** D*****" in page and "m****@e******.fr" in page and "**********78" in page
    assert "Marie" not in page and "marie@" not in page and "+336" not in page
    assert "partly hidden" in page


def test_full_assurance_shows_the_debtor_details(client, ctx):
    case = new_case(name="Marie Dupont", email="marie@example.fr", phone="+33612345678")
    sign_in(client, case)
    page = text(client.get(f"/cases/{case.reference}", headers=EN))
    assert "Marie Dupont" in page and "marie@example.fr" in page and "+33612345678" in page
    assert "partly hidden" not in page


def _reference_routes(app) -> list[str]:
    """Every GET route of the debtor blueprint that takes a case reference."""
    return [
        rule.rule for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("debtor.") and "reference" in rule.arguments and "GET" in rule.methods
    ]


def test_someone_elses_closed_or_unknown_case_is_not_found_on_every_route(app, client, ctx):
    mine = new_case("AK-2026-000010", debtor_id="D-1")
    theirs = new_case("AK-2026-000020", debtor_id="D-2")
    closed = new_case("AK-2026-000011", debtor_id="D-1", status=CaseStatus.closed)
    sign_in(client, mine)
    routes = _reference_routes(app)
    assert "/cases/<reference>" in routes
    for route in routes:
        assert client.get(route.replace("<reference>", mine.reference)).status_code == 200
        bodies = set()
        for reference in (theirs.reference, closed.reference, "AK-2026-999999"):
            response = client.get(route.replace("<reference>", reference), headers=EN)
            assert response.status_code == 404, (route, reference)
            bodies.add(main(response))
        assert len(bodies) == 1  # the same answer: nothing tells which case exists


def test_reference_in_lower_case_finds_the_case(client, ctx):
    case = new_case("AK-2026-000123")
    sign_in(client, case)
    assert client.get("/cases/ak-2026-000123").status_code == 200
