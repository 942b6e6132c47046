"""POST /api/v1/cases/<reference>/links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from portal.api.blueprint import hash_key
from portal.api.models import ApiKey
from portal.cases.models import CaseStatus
from portal.extensions import db
from portal.links import services
from tests import factories

KEY = "pk_test-links-key-0123456789"


@pytest.fixture
def auth(app):
    """Headers carrying a live API key."""
    with app.app_context():
        db.session.add(ApiKey(name="collection", prefix=KEY[:10], key_hash=hash_key(KEY)))
        db.session.commit()
    return {"Authorization": f"Bearer {KEY}"}


def test_a_link_for_an_open_case_is_created(app, client, auth):
    with app.app_context():
        case_id = factories.case("AK-2026-000500", link_ttl_days=14).id

    with time_machine.travel(datetime(2026, 5, 1, 8, 30, 5, 900000, tzinfo=UTC), tick=False):
        response = client.post("/api/v1/cases/ak-2026-%20000500/links", headers=auth)

    assert response.status_code == 201, response.json
    body = response.json
    assert body["case_reference"] == "AK-2026-000500"
    assert body["expires_at"] == "2026-05-15T08:30:05Z"
    assert body["url"].startswith("http://portal.test/l/")
    assert response.headers["Cache-Control"] == "no-store"
    with time_machine.travel(datetime(2026, 5, 2, tzinfo=UTC), tick=False), app.app_context():
        link = services.resolve(body["url"].rsplit("/", 1)[1])
        assert link is not None and link.case_id == case_id


def test_without_a_valid_key_nothing_is_issued(app, client):
    with app.app_context():
        factories.case("AK-2026-000501")
    for headers in ({}, {"Authorization": "Bearer pk_wrong"}):
        response = client.post("/api/v1/cases/AK-2026-000501/links", headers=headers)
        assert response.status_code == 401
        assert response.json["error"] == "unauthorized"


def test_an_unknown_case_is_404_json(client, auth):
    response = client.post("/api/v1/cases/AK-2026-404404/links", headers=auth)
    assert response.status_code == 404
    assert response.json["error"] == "not_found"
    assert response.json["field"] == "case_reference"
    assert "AK-2026-404404" in response.json["message"]


@pytest.mark.parametrize("status", [CaseStatus.on_hold, CaseStatus.closed])
def test_a_case_that_is_not_open_is_409_json(app, client, auth, status):
    with app.app_context():
        factories.case("AK-2026-000502", status=status)
    response = client.post("/api/v1/cases/AK-2026-000502/links", headers=auth)
    assert response.status_code == 409
    assert response.json["error"] == "conflict"
    assert str(status) in response.json["message"]


def test_only_post_is_allowed(client, auth):
    assert client.get("/api/v1/cases/AK-2026-000503/links", headers=auth).status_code == 405
