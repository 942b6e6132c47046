"""Per-IP limits on the sign-in POSTs: 429 at attempt N+1, counted per address."""

from datetime import date

import pytest

from tests.auth.conftest import csrf_from, post_sign_in


@pytest.fixture
def small_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_IP_LIMIT", "3 per 5 minutes")
    return 3


def test_sign_in_post_gets_429_at_attempt_n_plus_one(client, small_limit):
    for _ in range(small_limit):
        assert post_sign_in(client, "ZZ-NOPE-000001", dob=date(1980, 1, 1), ip="192.0.2.50").status_code == 200
    response = post_sign_in(client, "ZZ-NOPE-000001", dob=date(1980, 1, 1), ip="192.0.2.50")
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Another address is not affected, and the form itself can still be shown.
    assert post_sign_in(client, "ZZ-NOPE-000001", dob=date(1980, 1, 1), ip="192.0.2.51").status_code == 200
    assert client.get("/sign-in", environ_overrides={"REMOTE_ADDR": "192.0.2.50"}).status_code == 200


def test_code_post_is_limited_too(client, small_limit):
    env = {"REMOTE_ADDR": "192.0.2.60"}
    token = csrf_from(client.get("/sign-in", environ_overrides=env).get_data(as_text=True))
    statuses = [
        client.post("/sign-in/code", data={"csrf_token": token, "action": "verify", "code": "123456"},
                    environ_overrides=env).status_code
        for _ in range(small_limit + 1)
    ]
    assert statuses == [303] * small_limit + [429]
