"""Staff sign-in: password, then TOTP; lockout; identical failures; sessions like the debtor's."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.agent.models import StaffRole
from tests.agent.conftest import PASSWORD, audit_rows, post_code, post_password, sign_in_staff
from tests.auth.conftest import strip_csrf
from tests.helpers import choose_language, compiled_catalogues  # noqa: F401  (fixture)

FAILURE = b"The e-mail address or password is not right"
T0 = datetime(2026, 11, 26, 9, 0, 5, tzinfo=UTC)


def test_agent_without_totp_signs_in_with_the_password(app, client, make_staff):
    staff = make_staff("anne@agency.test")
    response = post_password(client, "ANNE@agency.test ")
    assert response.status_code == 303 and response.headers["Location"].endswith("/agent/")
    assert b"anne@agency.test" in client.get("/agent/").get_data()
    success = audit_rows(app, "signin.success")
    assert [(r["staff_id"], r["details"]["method"], r["ip"]) for r in success] == [(staff.id, "password", "192.0.2.10")]


def test_supervisor_needs_the_code_after_the_password(app, client, make_staff):
    boss = make_staff("boss@agency.test", StaffRole.supervisor)
    with time_machine.travel(T0, tick=False):
        response = post_password(client, boss.email)
        assert response.headers["Location"].endswith("/agent/sign-in/code")
        assert client.get("/agent/").status_code == 302  # the password alone signs nobody in
        wrong = post_code(client, "000000" if boss.code(T0) != "000000" else "111111")
        assert wrong.status_code == 200 and b"This code is not right" in wrong.get_data()
        assert b'aria-invalid="true"' in wrong.get_data()
        assert post_code(client, boss.code(T0)).headers["Location"].endswith("/agent/")
    assert [r["details"]["step"] for r in audit_rows(app, "signin.failure")] == ["totp"]
    assert audit_rows(app, "signin.success")[0]["details"]["method"] == "totp"


def test_code_step_without_a_password_first_goes_back_to_the_start(client):
    response = client.get("/agent/sign-in/code")
    assert response.status_code == 303 and response.headers["Location"].endswith("/agent/sign-in")


def test_a_code_cannot_be_used_twice(app, client, make_staff):
    boss = make_staff("boss@agency.test", StaffRole.supervisor)
    with time_machine.travel(T0, tick=False):
        sign_in_staff(client, boss)
        other = app.test_client()
        post_password(other, boss.email)
        assert b"This code is not right" in post_code(other, boss.code(T0)).get_data()


def test_unknown_email_wrong_password_and_locked_account_look_the_same(app, client, make_staff):
    make_staff("anne@agency.test")
    for i in range(5):
        post_password(client, "anne@agency.test", f"wrong password {i}")
    locked = post_password(client, "anne@agency.test", PASSWORD)
    unknown = post_password(client, "nobody@agency.test", PASSWORD)
    make_staff("other@agency.test")
    wrong = post_password(client, "other@agency.test", "wrong password")
    assert FAILURE in locked.get_data()
    assert locked.status_code == unknown.status_code == wrong.status_code == 200
    assert strip_csrf(locked.get_data()) == strip_csrf(unknown.get_data()) == strip_csrf(wrong.get_data())
    reasons = [r["details"]["reason"] for r in audit_rows(app, "signin.failure")]
    assert reasons == ["wrong"] * 4 + ["locked", "locked", "unknown", "wrong"]
    assert audit_rows(app, "signin.failure")[6]["staff_id"] is None


def test_lockout_after_five_failures_is_released_after_fifteen_minutes(app, client, make_staff):
    make_staff("anne@agency.test")
    with time_machine.travel(T0, tick=False):
        for i in range(5):
            assert FAILURE in post_password(client, "anne@agency.test", f"wrong {i}").get_data()
        assert FAILURE in post_password(client, "anne@agency.test").get_data()
    with time_machine.travel(T0 + timedelta(minutes=14, seconds=59), tick=False):
        assert FAILURE in post_password(client, "anne@agency.test").get_data()
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False):
        assert post_password(client, "anne@agency.test").status_code == 303


def test_wrong_codes_count_towards_the_same_lockout(app, client, make_staff):
    boss = make_staff("boss@agency.test", StaffRole.supervisor)
    with time_machine.travel(T0, tick=False):
        for i in range(3):
            post_password(client, boss.email, f"wrong {i}")
        post_password(client, boss.email)
        wrong = "000000" if boss.code(T0) != "000000" else "111111"
        assert b"This code is not right" in post_code(client, wrong).get_data()
        locked = post_code(client, wrong)
        assert FAILURE in locked.get_data()  # locked now: back to the generic sign-in page
        assert client.get("/agent/sign-in/code").status_code == 303
        assert FAILURE in post_password(client, boss.email).get_data()


def test_disabled_account_cannot_sign_in_and_its_session_ends(app, client, runner, make_staff):
    sign_in_staff(client, make_staff("anne@agency.test"))
    assert client.get("/agent/").status_code == 200
    runner.invoke(args=["agents", "disable", "anne@agency.test"])
    assert client.get("/agent/").status_code == 302
    assert FAILURE in post_password(app.test_client(), "anne@agency.test").get_data()


def test_sign_in_gives_a_new_session_id_and_sign_out_ends_it(app, client, make_staff):
    client.get("/agent/sign-in")
    before = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    sign_in_staff(client, make_staff("anne@agency.test"))
    after = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert before is None or before.value != after
    page = client.get("/agent/").get_data(as_text=True)
    assert 'action="/agent/sign-out"' in page
    from tests.agent.conftest import page_token

    response = client.post("/agent/sign-out", data={"csrf_token": page_token(client, "/agent/")})
    assert response.headers["Location"].endswith("/agent/sign-in")
    stolen = app.test_client()
    stolen.set_cookie(app.config["SESSION_COOKIE_NAME"], after)
    assert stolen.get("/agent/").status_code == 302
    assert [r["action"] for r in audit_rows(app)][-1] == "signout"


def test_staff_session_expires_when_idle_and_after_eight_hours(app, client, make_staff):
    make_staff("anne@agency.test")
    with time_machine.travel(T0, tick=True) as traveller:
        sign_in_staff(client, _ref(app))
        traveller.shift(timedelta(minutes=14))
        assert client.get("/agent/").status_code == 200
        traveller.shift(timedelta(minutes=15, seconds=1))
        assert client.get("/agent/").status_code == 302
    with time_machine.travel(T0 + timedelta(days=1), tick=True) as traveller:
        sign_in_staff(client, _ref(app))
        for _ in range(8 * 4):  # busy every 14 min 59 s: never idle, for 7 h 59 min
            traveller.shift(timedelta(minutes=14, seconds=59))
            assert client.get("/agent/").status_code == 200
        traveller.shift(timedelta(minutes=1))
        assert client.get("/agent/").status_code == 302


def _ref(app):
    """The one account of the test, without the TOTP secret (agents have none)."""
    from tests.agent.conftest import StaffRef

    return StaffRef(1, "anne@agency.test", None)


def test_signin_post_is_rate_limited_per_ip(app, client, make_staff):
    app.config["SIGNIN_IP_LIMIT"] = "3 per minute"
    try:
        codes = [post_password(client, "x@agency.test", "wrong", ip="198.51.100.7").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert post_password(client, "x@agency.test", "wrong", ip="198.51.100.8").status_code == 200
    finally:
        app.config["SIGNIN_IP_LIMIT"] = "50 per 5 minutes"


@pytest.mark.postgres
def test_parallel_wrong_passwords_all_count_and_lock(app, make_staff):
    """Concurrent guesses cannot slip past the counter: one atomic UPDATE per failure."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    make_staff("anne@agency.test")
    workers = 4
    barrier = threading.Barrier(workers)
    errors = []

    def guess(n: int) -> None:
        try:
            client = app.test_client()
            barrier.wait()
            assert FAILURE in post_password(client, "anne@agency.test", f"wrong {n}", ip=f"203.0.113.{n}").get_data()
        except Exception as exc:  # reported below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    post_password(app.test_client(), "anne@agency.test", "wrong again")  # the fifth failure
    assert FAILURE in post_password(app.test_client(), "anne@agency.test").get_data()
    reasons = [r["details"]["reason"] for r in audit_rows(app, "signin.failure")]
    assert sorted(reasons) == ["locked", "locked", "wrong", "wrong", "wrong", "wrong"]


def test_back_office_pages_are_translated(app, client, make_staff, compiled_catalogues):  # noqa: F811
    choose_language(client, "fr")
    assert "Connexion à l’espace agents" in client.get("/agent/sign-in").get_data(as_text=True)
    sign_in_staff(client, make_staff("anne@agency.test"))
    choose_language(client, "fr")
    page = client.get("/agent/").get_data(as_text=True)
    assert "Trouver un dossier" in page and "Find a case" not in page
