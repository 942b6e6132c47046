"""The knowledge step closes after VERIFICATION_MAX_FAILURES wrong answers, whatever the IP,
and opens again only with a valid reminder link for that case or an operator's unlock."""

import threading
from datetime import date, timedelta

import pytest
import time_machine

from portal.auth.models import VerificationThrottle
from portal.clock import utcnow
from portal.extensions import db
from portal.links import services as links
from portal.links.models import ReminderLink
from tests.auth.conftest import CASES_PATH, post_sign_in

DOB = date(1980, 4, 12)
FAILURE = b"We could not find a case with these details"


def _fail(client, reference: str, times: int) -> None:
    """Wrong dates of birth, each from a different IP address."""
    for i in range(times):
        response = post_sign_in(client, reference, dob=date(1970, 1, 1) + timedelta(days=i), ip=f"203.0.113.{i + 1}")
        assert FAILURE in response.get_data()


def _issue_link(app, case_id: int, **kw) -> str:
    with app.app_context():
        from portal.cases.models import Case

        token, _link = links.issue(db.session.get(Case, case_id))
        for name, value in kw.items():
            setattr(_link, name, value)
        db.session.commit()
    return token


def _follow(client, token: str) -> None:
    assert client.get(f"/l/{token}").status_code == 303


def _throttle(app, key: str) -> VerificationThrottle | None:
    with app.app_context():
        row = db.session.get(VerificationThrottle, key)
        db.session.expunge_all()
        return row


def test_locked_after_max_failures_from_rotating_ips_even_with_the_right_date(app, client, make_case):
    make_case(reference="AK-LOCK-000001", email="m@example.fr")
    _fail(client, "AK-LOCK-000001", app.config["VERIFICATION_MAX_FAILURES"] - 1)
    assert _throttle(app, "AKLOCK000001").locked_at is None
    _fail(client, "ak lock 000001", 1)  # another spelling counts on the same counter
    assert _throttle(app, "AKLOCK000001").locked_at is not None
    response = post_sign_in(client, "AK-LOCK-000001", dob=DOB, ip="198.18.0.1")
    assert FAILURE in response.get_data()
    with client.session_transaction() as session:
        assert "signin" not in session and "_user_id" not in session


def test_failures_below_the_limit_do_not_block_the_right_answer(app, client, make_case):
    make_case(reference="AK-LOCK-000002", email="m@example.fr")
    _fail(client, "AK-LOCK-000002", app.config["VERIFICATION_MAX_FAILURES"] - 1)
    assert post_sign_in(client, "AK-LOCK-000002", dob=DOB).status_code == 303
    assert _throttle(app, "AKLOCK000002") is None  # success resets the counter


def test_unknown_references_are_counted_too(app, client):
    _fail(client, "ZZ-NOPE-000001", 3)
    assert _throttle(app, "ZZNOPE000001").failures == 3


def test_valid_link_unlocks_and_signs_in_once(app, client, make_case):
    case = make_case(reference="AK-LOCK-000003", email="m@example.fr")
    _fail(client, "AK-LOCK-000003", app.config["VERIFICATION_MAX_FAILURES"])
    token = _issue_link(app, case.id)
    _follow(client, token)
    response = post_sign_in(client, "AK-LOCK-000003", dob=DOB)
    assert response.status_code == 303 and response.headers["Location"].endswith(CASES_PATH)
    assert _throttle(app, "AKLOCK000003") is None
    with app.app_context():
        assert db.session.query(ReminderLink).one().used_at is not None
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{case.debtor_id}:full"
        assert "link_token" not in session


def test_link_with_wrong_factor_does_not_sign_in(app, client, make_case):
    case = make_case(reference="AK-LINK-000001", email="m@example.fr")
    _follow(client, _issue_link(app, case.id))
    assert FAILURE in post_sign_in(client, "AK-LINK-000001", dob=date(1999, 9, 9)).get_data()


def test_replayed_link_does_not_sign_in_again(app, client, make_case):
    case = make_case(reference="AK-LINK-000002", email=None, phone=None)
    token = _issue_link(app, case.id)
    _follow(client, token)
    assert post_sign_in(client, "AK-LINK-000002", dob=DOB).headers["Location"].endswith(CASES_PATH)
    other = app.test_client()
    _follow(other, token)
    response = post_sign_in(other, "AK-LINK-000002", dob=DOB)
    # No e-mail or phone and no knowledge-only sign-in: without a live link, only the help page.
    assert response.status_code == 200 and b"open the link in the reminder" in response.get_data()
    with other.session_transaction() as session:
        assert "_user_id" not in session


def test_expired_link_does_not_sign_in(app, client, make_case):
    case = make_case(reference="AK-LINK-000003", email=None, phone=None)
    # Issued 30 days (the creditor's TTL) and one second ago: expired a second ago.
    with time_machine.travel(utcnow() - timedelta(days=30, seconds=1), tick=False):
        token = _issue_link(app, case.id)
    _follow(client, token)
    response = post_sign_in(client, "AK-LINK-000003", dob=DOB)
    assert b"open the link in the reminder" in response.get_data()


def test_link_of_case_a_does_nothing_for_case_b(app, client, make_case):
    case_a = make_case(reference="AK-LINK-00000A", email="a@example.fr")
    make_case(reference="AK-LINK-00000B", email="b@example.fr")
    _fail(client, "AK-LINK-00000B", app.config["VERIFICATION_MAX_FAILURES"])
    _follow(client, _issue_link(app, case_a.id))
    assert FAILURE in post_sign_in(client, "AK-LINK-00000B", dob=DOB).get_data()
    with app.app_context():
        assert db.session.query(ReminderLink).one().used_at is None
    # Unlocked case B: A's link is ignored and B goes on to the code step, not signed in.
    with app.app_context():
        db.session.query(VerificationThrottle).delete()
        db.session.commit()
    response = post_sign_in(client, "AK-LINK-00000B", dob=DOB)
    assert response.headers["Location"].endswith("/sign-in/code")
    with app.app_context():
        assert db.session.query(ReminderLink).one().used_at is None


def test_cli_unlock(app, client, runner, make_case):
    make_case(reference="AK-LOCK-000004", email="m@example.fr")
    _fail(client, "AK-LOCK-000004", app.config["VERIFICATION_MAX_FAILURES"])
    result = runner.invoke(args=["cases", "unlock", "ak-lock-000004"])
    assert result.exit_code == 0, result.output
    assert "unlocked AK-LOCK-000004" in result.output
    assert post_sign_in(client, "AK-LOCK-000004", dob=DOB).status_code == 303


def test_cli_unlock_of_a_reference_that_is_not_locked_says_so(runner):
    result = runner.invoke(args=["cases", "unlock", "AK-LOCK-000005"])
    assert result.exit_code != 0 and "is not locked" in result.output
    result = runner.invoke(args=["cases", "unlock", "bad!"])
    assert result.exit_code != 0 and "is not a case reference" in result.output


@pytest.mark.postgres
def test_parallel_guesses_are_all_counted(app, make_case):
    """Concurrent wrong answers cannot slip past the counter (row lock + atomic upsert)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    make_case(reference="AK-LOCK-000010", email="m@example.fr")
    workers, rounds = 4, 5
    barrier = threading.Barrier(workers)
    errors = []

    def guess(n: int) -> None:
        try:
            client = app.test_client()
            barrier.wait()
            for i in range(rounds):
                response = post_sign_in(client, "AK-LOCK-000010", dob=date(1960, 1, 1) + timedelta(days=n * 100 + i),
                                        ip=f"203.0.113.{n * 10 + i}")
                assert FAILURE in response.get_data()
        except Exception as exc:  # reported below, in the test's own thread
            errors.append(exc)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    row = _throttle(app, "AKLOCK000010")
    assert row.failures == workers * rounds and row.locked_at is not None
    assert FAILURE in post_sign_in(app.test_client(), "AK-LOCK-000010", dob=DOB).get_data()
