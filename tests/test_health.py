"""The probes: /healthz answers while the process lives; /readyz follows the database."""

from __future__ import annotations

from sqlalchemy import create_engine

from portal.extensions import db


def test_alive_and_ready(client):
    alive, ready = client.get("/healthz"), client.get("/readyz")
    assert (alive.status_code, alive.text, ready.status_code, ready.text) == (200, "ok\n", 200, "ready\n")
    assert ready.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in ready.headers


def test_not_ready_without_a_database_but_still_alive(app, client, monkeypatch, caplog):
    with app.app_context():
        gone = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
        monkeypatch.setattr(type(db), "engine", property(lambda self: gone))
        response = client.get("/readyz")
    assert response.status_code == 503 and response.text == "database unavailable\n"
    assert "Traceback" not in response.text and "127.0.0.1" not in response.text
    assert "database unavailable (OperationalError)" in caplog.text
    assert client.get("/healthz").status_code == 200
