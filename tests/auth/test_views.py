"""Step one of sign-in through the pages: spellings of the reference, factors, failures."""

from datetime import date

import pytest

from portal.cases.models import CaseStatus, DebtorType
from portal.agent.models import StaffRole
from tests.agent.conftest import make_staff, sign_in_staff  # noqa: F401  (fixture)
from tests.auth.conftest import CASES_PATH, csrf_from, post_sign_in, strip_csrf

DOB = date(1980, 4, 12)
FAILURE = "We could not find a case with these details"


def test_sign_in_form_asks_for_reference_and_date_of_birth_with_postcode_alternative(client):
    page = client.get("/sign-in")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'for="reference"' in html and 'id="reference"' in html
    assert 'autocomplete="bday-day"' in html and 'autocomplete="postal-code"' in html
    assert "Companies, and people whose letter asks for it" in html
    assert "/genuine" in html


@pytest.mark.parametrize("typed", ["ak-test-100001", " AK TEST 100001 ", "AKTEST100001", "ak test-100001"])
def test_reference_in_any_case_with_or_without_spaces_and_dashes(client, make_case, typed):
    make_case(reference="AK-TEST-100001", email="m@example.fr", phone=None)
    response = post_sign_in(client, typed, dob=DOB)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/sign-in/code")


def test_dash_free_spelling_that_matches_two_cases_is_not_guessed(client, make_case):
    make_case(reference="AB-12345")
    make_case(reference="AB1-2345")
    response = post_sign_in(client, "AB12345", dob=DOB)
    assert response.status_code == 200 and FAILURE in response.get_data(as_text=True)
    # The exact spelling still works.
    assert post_sign_in(client, "ab1-2345", dob=DOB).status_code == 303


def test_business_signs_in_with_postcode_compared_without_spaces(client, make_case):
    make_case(reference="BIZ-000001", debtor_type=DebtorType.business, birth_date=None, postcode="SW1A 1AA")
    assert post_sign_in(client, "BIZ-000001", postcode="sw1a1aa").status_code == 303


def test_person_with_a_birth_date_cannot_use_the_postcode_instead(client, make_case):
    make_case(reference="AK-TEST-100002", postcode="75011")
    response = post_sign_in(client, "AK-TEST-100002", postcode="75011")
    assert FAILURE in response.get_data(as_text=True)


def test_field_errors_name_the_field_and_are_tied_to_it(client):
    response = post_sign_in(client, "x!", dob=None)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter the case reference as it is printed" in html
    assert "Enter your date of birth, or your postcode" in html
    assert 'aria-describedby="reference-hint reference-error" aria-invalid="true"' in html
    assert 'href="#reference"' in html and 'href="#dob_day"' in html


@pytest.mark.parametrize("day,month,year", [("31", "2", "1980"), ("12", "4", "80"), ("aa", "4", "1980"), ("1", "1", "2999")])
def test_impossible_date_of_birth_is_refused_with_a_clear_message(client, day, month, year):
    token_page = client.get("/sign-in").get_data(as_text=True)
    response = client.post("/sign-in", data={
        "csrf_token": csrf_from(token_page), "reference": "AK-TEST-1", "dob_day": day, "dob_month": month, "dob_year": year,
    })
    assert "Enter your date of birth as numbers" in response.get_data(as_text=True)


def test_unknown_wrong_closed_and_locked_get_the_same_bytes(app, client, make_case):
    make_case(reference="AK-TEST-200001")
    make_case(reference="AK-TEST-200002", status=CaseStatus.closed)
    make_case(reference="AK-TEST-200003")
    for i in range(app.config["VERIFICATION_MAX_FAILURES"]):
        post_sign_in(client, "AK-TEST-200003", dob=date(1990, 1, 1), ip=f"198.51.100.{i}")
    bodies = {
        "unknown": post_sign_in(client, "AK-TEST-999999", dob=DOB),
        "wrong": post_sign_in(client, "AK-TEST-200001", dob=date(1980, 4, 13)),
        "closed": post_sign_in(client, "AK-TEST-200002", dob=DOB),
        "locked_with_right_dob": post_sign_in(client, "AK-TEST-200003", dob=DOB),
    }
    statuses = {name: r.status_code for name, r in bodies.items()}
    assert set(statuses.values()) == {200}
    first = strip_csrf(bodies["unknown"].get_data())
    assert FAILURE.encode() in first
    for name, response in bodies.items():
        assert strip_csrf(response.get_data()) == first, name
        assert response.headers.get("Set-Cookie") is None, name


def test_no_channel_and_creditor_allows_knowledge_only_signs_in_low(client, make_case):
    make_case(reference="AK-TEST-300001", email=None, phone=None, creditor_id="LOW-OK", allow_knowledge_only=True)
    response = post_sign_in(client, "AK-TEST-300001", dob=DOB)
    assert response.status_code == 303 and response.headers["Location"].endswith(CASES_PATH)
    with client.session_transaction() as session:
        assert session["_user_id"].endswith(":low")


def test_no_channel_and_no_knowledge_only_shows_how_to_get_a_link(client, make_case):
    make_case(reference="AK-TEST-300002", email=None, phone=None)
    response = post_sign_in(client, "AK-TEST-300002", dob=DOB)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "open the link in the reminder" in html
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_protected_page_redirects_to_sign_in(client):
    response = client.get(CASES_PATH)
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")


def test_sign_out_needs_post_and_ends_the_session(client, make_case):
    make_case(reference="AK-TEST-300003", email=None, phone=None, creditor_id="LOW-OK", allow_knowledge_only=True)
    post_sign_in(client, "AK-TEST-300003", dob=DOB)
    assert client.get(CASES_PATH).status_code == 200
    assert client.get("/sign-out").status_code == 405
    page = client.get(CASES_PATH).get_data(as_text=True)
    response = client.post("/sign-out", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert client.get(CASES_PATH).status_code == 302


def test_code_page_without_a_first_step_goes_back_to_sign_in(client):
    response = client.get("/sign-in/code")
    assert response.status_code == 303 and response.headers["Location"].endswith("/sign-in")


def test_signed_in_debtor_sees_own_cases_and_never_another_debtors(client, make_case):
    make_case(reference="AK-MINE-000001", email=None, phone=None, creditor_id="LOW-OK", allow_knowledge_only=True)
    make_case(reference="AK-THEIRS-00001", name="Jean Martin", birth_date=date(1975, 1, 2))
    post_sign_in(client, "AK-MINE-000001", dob=DOB)
    assert client.get("/sign-in").headers["Location"].endswith(CASES_PATH)
    mine = client.get("/cases/AK-MINE-000001")
    assert mine.status_code == 200
    theirs = client.get("/cases/AK-THEIRS-00001")
    assert theirs.status_code == 404 and b"Jean Martin" not in theirs.get_data()
    assert b"AK-THEIRS-00001" not in client.get(CASES_PATH).get_data()


def test_signed_in_staff_opening_the_debtor_sign_in_go_to_the_back_office(client, make_staff):
    sign_in_staff(client, make_staff("agent@agency.test", StaffRole.agent))
    for path in ("/sign-in", "/"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/agent/"), path
    assert client.get("/agent/").status_code == 200
