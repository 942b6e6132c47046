"""An API key for the collection system's requests."""

import pytest

from portal.api.blueprint import hash_key
from portal.api.models import ApiKey
from portal.extensions import db


@pytest.fixture
def api_key(app) -> str:
    """A live key, as `flask apikeys create` would issue it."""
    key = "pk_test-key-" + "k" * 32
    with app.app_context():
        db.session.add(ApiKey(name="collection", prefix=key[:10], key_hash=hash_key(key)))
        db.session.commit()
    return key


@pytest.fixture
def auth(api_key) -> dict:
    return {"Authorization": f"Bearer {api_key}"}
