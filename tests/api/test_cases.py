"""PUT and GET /api/v1/cases/<reference>: single-case pushes, as the collection system makes them."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.cases.models import Case, CaseEntry, CaseExport, EntryKind
from portal.extensions import db
from portal.intake.importer import import_file
from tests.intake.sample import csv_bytes, record


def body(**changes) -> dict:
    """A JSON record with numbers as numbers, as an HTTP client sends it."""
    values = {k: v for k, v in record(**changes).items() if v != ""}
    for name in ("principal_minor", "interest_minor", "fees_minor", "costs_minor", "risk_score", "events_applied_through"):
        if isinstance(values.get(name), str) and values[name].isdigit():
            values[name] = int(values[name])
    if "case_reference" not in changes:
        del values["case_reference"]  # optional in the body: the path names the case
    return values


def test_put_creates_then_reports_unchanged_then_updates(client, auth, app):
    created = client.put("/api/v1/cases/ak-2026-0000001", json=body(), headers=auth)
    assert created.status_code == 201, created.json
    assert created.json["result"] == "created"
    assert created.json["case_reference"] == "AK-2026-0000001"
    assert created.json["total_outstanding_minor"] == 11950

    same = client.put("/api/v1/cases/AK-2026-0000001", json=body(case_reference="AK-2026-0000001"), headers=auth)
    assert (same.status_code, same.json["result"]) == (200, "unchanged")

    newer = client.put("/api/v1/cases/AK-2026-0000001", headers=auth,
                       json=body(principal_minor="5000", exported_at="2026-11-21T08:00:00+01:00"))
    assert (newer.status_code, newer.json["result"]) == (200, "updated")
    assert newer.json["principal_minor"] == 5000 and newer.json["exported_at"] == "2026-11-21T07:00:00Z"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseExport)) == 2


def test_an_older_push_is_refused_as_stale_with_the_exported_at_held(client, auth, app):
    client.put("/api/v1/cases/AK-2026-0000001", json=body(exported_at="2026-11-21T08:00:00Z"), headers=auth)
    stale = client.put("/api/v1/cases/AK-2026-0000001", json=body(principal_minor="1"), headers=auth)
    assert stale.status_code == 409
    assert stale.json["error"] == "stale" and stale.json["field"] == "exported_at"
    assert stale.json["held_exported_at"] == "2026-11-21T08:00:00Z"
    conflict = client.put("/api/v1/cases/AK-2026-0000001", headers=auth,
                          json=body(principal_minor="1", exported_at="2026-11-21T08:00:00Z"))
    assert (conflict.status_code, conflict.json["error"], conflict.json["field"]) == (409, "conflict", "exported_at")
    with app.app_context():
        assert db.session.scalar(select(Case)).export.principal_minor == 10000


def test_bad_records_get_a_json_error_naming_every_field(client, auth, app):
    response = client.put("/api/v1/cases/AK-2026-0000001", headers=auth,
                          json=body(principal_minor=12.5, currency="eur", debtor_type="business"))
    assert response.status_code == 422
    assert response.json["error"] == "invalid_record"
    assert {e["field"] for e in response.json["errors"]} == {"principal_minor", "currency", "debtor_birth_date"}
    assert response.json["field"] == response.json["errors"][0]["field"]
    assert response.json["field"] in response.json["message"]

    mismatch = client.put("/api/v1/cases/AK-2026-0000001", json=body(case_reference="AK-2026-0000002"), headers=auth)
    assert (mismatch.status_code, mismatch.json["field"]) == (422, "case_reference")
    bad_path = client.put("/api/v1/cases/AK_1", json=body(), headers=auth)
    assert (bad_path.status_code, bad_path.json["field"]) == (422, "case_reference")
    not_json = client.put("/api/v1/cases/AK-2026-0000001", data="principal_minor=1", headers=auth)
    assert (not_json.status_code, not_json.json["error"]) == (400, "invalid_json")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_push_and_a_file_give_the_same_case(client, auth, app, tmp_path):
    client.put("/api/v1/cases/AK-2026-0000001", json=body(), headers=auth)
    path = tmp_path / "same.csv"
    path.write_bytes(csv_bytes([record()]))
    with app.app_context():
        counts = import_file(path)
        assert counts.unchanged == 1  # the file's record hashes the same as the pushed one


def test_get_returns_the_case_with_what_is_owed_now(client, auth, app):
    client.put("/api/v1/cases/AK-2026-0000001", json=body(), headers=auth)
    with app.app_context():
        case = db.session.scalar(select(Case))
        db.session.add(CaseEntry(case_id=case.id, kind=EntryKind.payment, amount_minor=1950, currency="EUR", sequence=1))
        case.last_sequence = 1
        db.session.commit()
    response = client.get("/api/v1/cases/ak-2026-0000001", headers=auth)
    assert response.status_code == 200
    assert response.json == {
        "case_reference": "AK-2026-0000001",
        "creditor": {"id": "ACME-FR", "name": "Acme SARL"},
        "debtor_id": "D1",
        "status": "open",
        "currency": "EUR",
        "principal_minor": 10000, "interest_minor": 250, "fees_minor": 500, "costs_minor": 1200,
        "paid_since_export_minor": 1950, "discounts_since_export_minor": 0, "reversals_since_export_minor": 0,
        "total_outstanding_minor": 10000,
        "events_applied_through": 0,
        "last_sequence": 1,
        "exported_at": "2026-11-20T08:00:00Z",
        "updated_at": response.json["updated_at"],
    }
    missing = client.get("/api/v1/cases/AK-2026-9999999", headers=auth)
    assert (missing.status_code, missing.json["error"]) == (404, "not_found")


def test_both_routes_need_a_live_key(client, app, api_key):
    for method in (client.get, client.put):
        assert method("/api/v1/cases/AK-2026-0000001", json=body()).status_code == 401
        wrong = method("/api/v1/cases/AK-2026-0000001", json=body(), headers={"Authorization": "Bearer pk_nope"})
        assert wrong.status_code == 401 and wrong.json["error"] == "unauthorized"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["apikeys", "revoke", "collection"]).exit_code == 0
    revoked = client.put("/api/v1/cases/AK-2026-0000001", json=body(), headers={"Authorization": f"Bearer {api_key}"})
    assert revoked.status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_push_older_than_an_unchanged_restatement_is_stale(client, auth, app):
    # A at T1, the same A restated at T3 (no new snapshot), then a delayed B from T2: refused as stale.
    client.put("/api/v1/cases/AK-2026-0000001", json=body(exported_at="2026-11-20T08:00:00Z"), headers=auth)
    again = client.put("/api/v1/cases/AK-2026-0000001", json=body(exported_at="2026-11-22T08:00:00Z"), headers=auth)
    assert (again.status_code, again.json["result"]) == (200, "unchanged")
    delayed = client.put("/api/v1/cases/AK-2026-0000001", headers=auth,
                         json=body(principal_minor="1", exported_at="2026-11-21T08:00:00Z"))
    assert (delayed.status_code, delayed.json["error"]) == (409, "stale")
    assert delayed.json["held_exported_at"] == "2026-11-22T08:00:00Z"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseExport)) == 1
        assert db.session.scalar(select(Case)).export.principal_minor == 10000
