"""GET /l/<token>: the token goes into the session, the browser to a token-free sign-in URL."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask import url_for
from gunicorn.config import Config as GunicornConfig

from portal.extensions import db
from portal.links import services
from portal.links.logfilter import RedactingGunicornLogger, TokenRedactingFilter, redact
from tests import factories


def _sign_in_url(app) -> str:
    with app.test_request_context():
        return url_for("auth.sign_in")


@pytest.mark.parametrize("kind", ["valid", "unknown"])
def test_following_a_link_keeps_the_token_and_redirects_without_it(app, client, kind):
    with app.app_context():
        token = services.issue(factories.case())[0] if kind == "valid" else "not-a-real-token"
        db.session.commit()
        db.session.remove()

    response = client.get(f"/l/{token}")

    assert response.status_code == 303
    assert response.headers["Location"] == _sign_in_url(app)
    assert token not in response.headers["Location"]
    assert token.encode() not in response.data
    assert response.headers["Referrer-Policy"] == "no-referrer"
    with client.session_transaction() as session:
        assert session["link_token"] == token


def test_the_view_does_not_spend_the_link(app, client):
    with app.app_context():
        token = services.issue(factories.case())[0]
        db.session.commit()
        client.get(f"/l/{token}")
        db.session.remove()
        assert services.resolve(token) is not None


def test_dev_server_access_log_lines_lose_the_token(caplog):
    logger = logging.getLogger("werkzeug")
    assert any(isinstance(f, TokenRedactingFilter) for f in logger.filters)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logger.info('%s - - [%s] "%s" %s %s', "127.0.0.1", "now", "GET /l/AbC_-123xyz HTTP/1.1", "303", "-")
    assert "AbC_-123xyz" not in caplog.text
    assert '"GET /l/[redacted] HTTP/1.1" 303' in caplog.text


def test_gunicorn_access_log_atoms_lose_the_token():
    logger = RedactingGunicornLogger(GunicornConfig())
    response = SimpleNamespace(status="303 SEE OTHER", response_length=0, headers=(), sent=0)
    request = SimpleNamespace(headers=(("Referer", "https://portal.example/l/SeCrEt?x=1"),))
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": "/l/SeCrEt", "PATH_INFO": "/l/SeCrEt", "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
    }
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=3))
    assert atoms["r"] == "GET /l/[redacted] HTTP/1.1"
    assert atoms["U"] == "/l/[redacted]"
    assert not any("SeCrEt" in str(v) for v in atoms.values())


def test_redact_leaves_other_paths_alone():
    assert redact("GET /cases/AK-1 HTTP/1.1") == "GET /cases/AK-1 HTTP/1.1"
    assert redact("GET /l/abc?utm=1 HTTP/1.1") == "GET /l/[redacted]?utm=1 HTTP/1.1"
