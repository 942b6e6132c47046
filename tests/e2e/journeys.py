"""Steps of the debtor's journeys, as a person does them in the browser (shared by several tests)."""

from __future__ import annotations

import re

from tests.e2e.checks import PageChecker


def fill_knowledge(page, reference: str, birth_date) -> None:
    """Type the case reference and the date of birth on the sign-in page."""
    page.fill("#reference", reference)
    page.fill("#dob_day", str(birth_date.day))
    page.fill("#dob_month", str(birth_date.month))
    page.fill("#dob_year", str(birth_date.year))


def submit(page, name: str) -> None:
    """Press the button of that name and wait for the next page."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def sign_in_with_link(page, case, check: PageChecker) -> None:
    """Reminder link, then the date of birth: signed in on the cases list."""
    page.goto(case.link)
    assert re.search(r"/sign-in$", page.url), page.url  # the token never stays in the address bar
    check(page, "sign-in (from a link)")
    fill_knowledge(page, case.reference, case.birth_date)
    submit(page, "Continue")
    assert page.url.endswith("/cases"), page.url


def open_case(page, case, check: PageChecker) -> None:
    """From the cases list to the case's "what you owe" page."""
    check(page, "cases list")
    with page.expect_navigation():
        page.get_by_role("link", name=case.creditor, exact=True).click()
    assert page.url.endswith(f"/cases/{case.reference}"), page.url
    check(page, "what you owe")
