"""Server-side sessions: random ids stored hashed, rotation at sign-in, real sign-out, expiry."""

from __future__ import annotations

from datetime import date, timedelta

import time_machine
from sqlalchemy import func, select

from portal.auth.models import WebSession
from portal.auth.sessions import hash_id
from portal.clock import utcnow
from portal.extensions import db
from tests.auth.conftest import CASES_PATH, csrf_from, post_sign_in, session_cookie

DOB = date(1980, 4, 12)


def _rows(app) -> list[WebSession]:
    with app.app_context():
        rows = list(db.session.scalars(select(WebSession)))
        db.session.expunge_all()
        return rows


def _signed_in(client, make_case, reference="AK-SESS-000001"):
    """A debtor signed in on the knowledge step (no e-mail or phone, creditor allows it)."""
    make_case(reference=reference, email=None, phone=None, creditor_id="LOW-OK", allow_knowledge_only=True)
    response = post_sign_in(client, reference, dob=DOB)
    assert response.headers["Location"].endswith(CASES_PATH)


def test_requests_that_store_nothing_create_no_row_and_no_cookie(app, client):
    # (Every HTML page stores a CSRF secret for the footer's language form, so it needs a row.)
    for path in ("/static/portal.css", "/"):
        with client.get(path) as response:
            assert response.status_code in (200, 302) and "Set-Cookie" not in response.headers
    assert _rows(app) == []


def test_cookie_holds_a_256_bit_random_id_and_only_its_hash_is_stored(app, client):
    response = client.get("/sign-in")  # the form stores a CSRF secret
    sid = session_cookie(client, app)
    assert sid and len(sid) >= 43
    (row,) = _rows(app)
    assert row.id_hash == hash_id(sid) and sid not in row.id_hash
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Expires" not in header


def test_production_cookie_is_secure_with_host_prefix(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    monkeypatch.setitem(app.config, "SESSION_COOKIE_NAME", "__Host-portal")
    header = client.get("/sign-in", base_url="https://localhost").headers["Set-Cookie"]
    assert header.startswith("__Host-portal=")
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header and "Domain" not in header


def test_sign_in_issues_a_new_id_and_deletes_the_old_row(app, client, make_case):
    client.get("/sign-in")
    before = session_cookie(client, app)
    _signed_in(client, make_case)
    after = session_cookie(client, app)
    assert after and after != before
    assert [r.id_hash for r in _rows(app)] == [hash_id(after)]


def test_every_sign_in_gets_a_different_id(app, make_case):
    make_case(reference="AK-SESS-000009", email=None, phone=None, creditor_id="LOW-OK", allow_knowledge_only=True)
    seen = set()
    for _ in range(5):
        client = app.test_client()
        client.get("/sign-in")
        before = session_cookie(client, app)
        post_sign_in(client, "AK-SESS-000009", dob=DOB)
        after = session_cookie(client, app)
        assert after != before and after not in seen
        seen.add(after)


def test_sign_out_then_replaying_the_old_cookie_is_anonymous(app, client, make_case):
    _signed_in(client, make_case)
    old = session_cookie(client, app)
    page = client.get(CASES_PATH)
    assert page.status_code == 200
    client.post("/sign-out", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert hash_id(old) not in {r.id_hash for r in _rows(app)}
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], old)
    assert replay.get(CASES_PATH).status_code == 302


def test_idle_expiry(app, client, make_case):
    _signed_in(client, make_case)
    start = utcnow()
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert client.get(CASES_PATH).status_code == 200  # activity keeps it alive
    with time_machine.travel(start + timedelta(minutes=28), tick=False):
        assert client.get(CASES_PATH).status_code == 200
    with time_machine.travel(start + timedelta(minutes=43, seconds=1), tick=False):
        assert client.get(CASES_PATH).status_code == 302


def test_absolute_expiry_despite_activity(app, client, make_case):
    _signed_in(client, make_case)
    start = utcnow()
    for minutes in range(10, 8 * 60, 10):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(CASES_PATH).status_code == 200, minutes
    with time_machine.travel(start + timedelta(hours=8, seconds=1), tick=False):
        assert client.get(CASES_PATH).status_code == 302


def test_unchanged_session_is_written_at_most_once_a_minute(app, client, make_case):
    _signed_in(client, make_case)
    client.get(CASES_PATH)  # the first page stores a fresh CSRF secret: a real change
    (row,) = _rows(app)
    start = row.last_seen_at
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        client.get(CASES_PATH)
    assert _rows(app)[0].last_seen_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        client.get(CASES_PATH)
    assert _rows(app)[0].last_seen_at == start + timedelta(seconds=61)


def test_session_transaction_works_for_tests(app, client):
    with client.session_transaction() as session:
        session["locale"] = "fr"
        session["pair"] = (1, 2)
    with client.session_transaction() as session:
        assert session["locale"] == "fr" and session["pair"] == (1, 2)
    assert len(_rows(app)) == 1


def test_purge_deletes_expired_rows_only(app, client, runner):
    old = app.test_client()
    start = utcnow()
    with time_machine.travel(start - timedelta(minutes=16), tick=False):
        old.get("/sign-in")
    client.get("/sign-in")
    assert len(_rows(app)) == 2
    result = runner.invoke(args=["sessions", "purge"])
    assert result.exit_code == 0, result.output
    assert "purged 1 sessions" in result.output
    assert [r.id_hash for r in _rows(app)] == [hash_id(session_cookie(client, app))]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebSession)) == 1


def test_purge_keeps_codes_of_the_last_hour_for_the_resend_limit(app, runner, make_case):
    from portal.auth.models import OneTimeCode

    case = make_case(reference="AK-SESS-000020")
    now = utcnow()
    with app.app_context():
        for age in (timedelta(minutes=20), timedelta(minutes=61)):
            db.session.add(OneTimeCode(case_id=case.id, attempt_hash="a", channel="email", code_hash="h",
                                       created_at=now - age, expires_at=now - age + timedelta(minutes=10)))
        db.session.commit()
    result = runner.invoke(args=["sessions", "purge"])
    assert "1 one-time codes" in result.output
    with app.app_context():
        (kept,) = db.session.scalars(select(OneTimeCode)).all()
        assert now - kept.created_at < timedelta(minutes=30)
