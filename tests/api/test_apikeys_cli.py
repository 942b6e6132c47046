"""`flask apikeys create|list|revoke` as an operator uses them."""

from sqlalchemy import select

from portal.api.models import ApiKey
from portal.extensions import db


def test_create_prints_a_working_key_once_and_keeps_only_its_hash(runner, client, app):
    result = runner.invoke(args=["apikeys", "create", "collection"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("pk_") and len(key) > 40
    assert "not shown again" in result.stderr
    with app.app_context():
        stored = db.session.scalar(select(ApiKey))
        assert stored.name == "collection" and key not in (stored.key_hash, stored.prefix)
    response = client.get("/api/v1/cases/AK-2026-0000001", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 404  # authenticated; the case just does not exist


def test_a_second_key_with_the_same_name_is_refused(runner):
    runner.invoke(args=["apikeys", "create", "collection"])
    again = runner.invoke(args=["apikeys", "create", "collection"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_list_shows_keys_without_revealing_them_and_revoke_locks_a_key_out(runner, client):
    key = runner.invoke(args=["apikeys", "create", "collection"]).stdout.strip()
    client.get("/api/v1/cases/AK-2026-0000001", headers={"Authorization": f"Bearer {key}"})
    listing = runner.invoke(args=["apikeys", "list"]).stdout
    assert "collection" in listing and "active" in listing and key not in listing
    assert "last used never" not in listing
    assert runner.invoke(args=["apikeys", "revoke", "collection"]).stdout.strip() == "revoked collection"
    assert "revoked 20" in runner.invoke(args=["apikeys", "list"]).stdout
    response = client.get("/api/v1/cases/AK-2026-0000001", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401
    unknown = runner.invoke(args=["apikeys", "revoke", "nobody"])
    assert unknown.exit_code != 0 and "no API key called 'nobody'" in unknown.output
