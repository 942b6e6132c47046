"""A database that goes away at any point of a request: 503 with Retry-After, one log line, no lost session."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from portal.auth.models import WebSession
from portal.errors.unavailable import RETRY_AFTER_SECONDS, is_unavailable
from portal.extensions import db
from tests import factories
from tests.helpers import sign_in

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Outage:
    """Every SQL statement after the first `allowed` fails as if PostgreSQL had just gone down."""

    def __init__(self, error: Exception | None = None) -> None:
        self.allowed: int | None = None
        self.error = error

    def after(self, allowed: int = 0, error: Exception | None = None) -> None:
        """Let `allowed` more statements through, then fail every one."""
        self.allowed, self.error = allowed, error

    def end(self) -> None:
        """The database is back."""
        self.allowed = None

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if self.allowed is None:
            return
        if self.allowed > 0:
            self.allowed -= 1
            return
        raise self.error or OperationalError(statement, parameters,
                                             ConnectionError("server closed the connection unexpectedly"))


@pytest.fixture
def outage(app):
    """Control the database's availability from the test."""
    control = Outage()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", control)
    yield control
    event.remove(engine, "before_cursor_execute", control)


@pytest.fixture
def signed_in(app, client):
    """A debtor signed in on `client`; returns the stored session row's data."""
    with app.app_context():
        case = factories.case(language="fr")
        sign_in(client, case)
        return case.reference


def stored_sessions(app) -> list[dict]:
    """Every session row's contents."""
    with app.app_context():
        return [row.data for row in db.session.scalars(select(WebSession))]


def assert_calm(response, status: int = 503) -> None:
    """503, Retry-After, no cookie change, nothing technical in the body."""
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "Set-Cookie" not in response.headers
    for leak in ("Traceback", "OperationalError", "sqlalchemy", "SELECT", "server closed"):
        assert leak not in body


def warnings_only(caplog) -> list[str]:
    """The WARNING lines about the outage; fails on any ERROR record (a traceback)."""
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    return [r.getMessage() for r in caplog.records if r.name == "portal.unavailable"]


def test_a_page_answers_503_in_the_debtors_language_then_works_again(app, client, signed_in, outage, caplog):
    before = stored_sessions(app)
    outage.after(0)
    response = client.get("/cases", headers={"Accept-Language": "fr"})
    assert_calm(response)
    assert 'lang="fr"' in response.text and "Réessayer" in response.text
    assert warnings_only(caplog) == [
        "database unavailable: GET /cases answered 503 (OperationalError/ConnectionError: "
        "server closed the connection unexpectedly)"]
    outage.end()
    assert stored_sessions(app) == before
    assert client.get("/cases").status_code == 200


def test_the_api_answers_json_503(client, outage, caplog):
    outage.after(0)
    response = client.get("/api/v1/cases/AK-1", headers={"Authorization": "Bearer nope"})
    assert_calm(response)
    assert response.json["error"] == "unavailable" and response.json["message"]
    assert len(warnings_only(caplog)) == 1


def test_lost_after_the_session_was_read_keeps_the_session_and_its_form(app, client, signed_in, outage, caplog):
    page = client.get("/contact")
    assert page.status_code == 200
    token = CSRF.search(page.text).group(1)
    before = stored_sessions(app)
    outage.after(1)  # the session row is read, then the database is gone (user loader, view)
    address = {"csrf_token": token, "line1": "3 rue Neuve", "line2": "", "postcode": "75011", "city": "Paris",
               "country": "FR"}
    assert_calm(client.post("/contact/address", data=address))
    assert len(warnings_only(caplog)) == 1
    outage.end()
    assert stored_sessions(app) == before
    assert client.post("/contact/address", data=address).status_code == 303  # the same form, accepted


def test_a_session_write_failing_after_the_view_keeps_its_answer(app, client, outage, caplog):
    outage.after(0)  # following a reminder link stores the token: the insert fails
    response = client.get("/l/some-token")
    assert response.status_code == 303 and "Set-Cookie" not in response.headers
    (line,) = warnings_only(caplog)
    assert line.startswith("database unavailable: GET /l/<path:token> kept its answer") and "some-token" not in line
    outage.end()
    assert stored_sessions(app) == []


def test_probes_and_files_answer_without_the_session(client, signed_in, outage):
    outage.after(0)
    assert client.get("/healthz").status_code == 200
    css = client.get("/static/portal.css")
    assert css.status_code == 200
    css.close()


def test_an_exhausted_pool_answers_503(client, signed_in, outage, caplog):
    outage.after(0, PoolTimeout("QueuePool limit of size 5 overflow 10 reached"))
    assert_calm(client.get("/cases"))
    assert len(warnings_only(caplog)) == 1


def test_other_database_errors_stay_500(app, client):
    assert not is_unavailable(IntegrityError("INSERT", {}, ValueError("duplicate")))
    assert is_unavailable(OperationalError("SELECT 1", {}, ConnectionError("refused")))


@pytest.mark.parametrize("args", [["ledger", "status"], ["ledger", "relay", "--once"], ["plans", "collect"],
                                  ["sessions", "purge"]])
def test_a_command_ends_with_one_line_when_the_database_is_gone(ctx, runner, outage, args):
    outage.after(0)
    result = runner.invoke(args=args)
    assert result.exit_code == 1, (result.output, result.exception)
    assert result.output.strip().splitlines() == [
        "Error: the database is unavailable (OperationalError/ConnectionError: server closed the connection "
        "unexpectedly); what was committed stays, run the command again once the database is back"]


def test_postgresql_connections_give_up_after_a_few_seconds(monkeypatch):
    from config import Config

    monkeypatch.setenv("DATABASE_CONNECT_TIMEOUT", "3")
    pg = Config({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://portal@db.invalid/portal"})
    assert pg.SQLALCHEMY_ENGINE_OPTIONS == {"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}}
    assert "connect_args" not in Config({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).SQLALCHEMY_ENGINE_OPTIONS


def test_a_connection_cut_after_the_page_was_made_keeps_the_page(app, client, signed_in, caplog):
    def cut(conn):
        """The restart terminates the connection just before the request's closing ROLLBACK."""
        if not cuts:
            cuts.append(conn)
            raise OperationalError("ROLLBACK", {}, ConnectionError("terminating connection"))

    cuts: list = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "rollback", cut)
    try:
        response = client.get("/cases")
    finally:
        event.remove(engine, "rollback", cut)
    assert cuts and response.status_code == 200
    (line,) = warnings_only(caplog)
    assert line.startswith("database unavailable: a connection was lost before its closing rollback")
    assert client.get("/cases").status_code == 200


def test_rate_limit_counters_out_of_reach_answer_503(client, outage, caplog):
    token = CSRF.search(client.get("/sign-in").text).group(1)
    outage.after(1)  # the session is read; the sign-in limiter's counter (in the database) is not
    assert_calm(client.post("/sign-in", data={"csrf_token": token, "reference": "AK-1", "dob_day": "1",
                                              "dob_month": "1", "dob_year": "1980", "postcode": ""}))
    assert len(warnings_only(caplog)) == 1
