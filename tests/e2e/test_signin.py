"""Signing in in a real browser, on phones and a desktop, with JavaScript on and off."""

from __future__ import annotations

import re

from tests.e2e import harness
from tests.e2e.checks import invalid_fields
from tests.e2e.journeys import fill_knowledge, open_case, sign_in_with_link, submit

pytestmark = harness.EVERY_DEVICE


def test_reminder_link_then_date_of_birth_shows_what_is_owed(page, check, debtor_case):
    """Link -> date of birth -> cases -> "what you owe" with the amount and its breakdown."""
    sign_in_with_link(page, debtor_case, check)
    open_case(page, debtor_case, check)
    assert page.locator("h1").inner_text() == f"What you owe to {debtor_case.creditor}"
    assert "€119.50" in page.locator(".total .amount").inner_text()
    assert page.get_by_role("link", name="Pay online").is_visible()


def test_without_a_link_a_code_arrives_by_email(page, check, debtor_case, live, now):
    """Reference + date of birth, then a one-time code read from the e-mail the portal wrote."""
    page.goto(live.url + "/")
    assert page.url.endswith("/sign-in"), page.url
    check(page, "sign-in")
    fill_knowledge(page, debtor_case.reference, debtor_case.birth_date)
    submit(page, "Continue")
    assert page.url.endswith("/sign-in/code"), page.url
    check(page, "code: choose where to send it")
    submit(page, "Send the code")
    check(page, "code: no channel chosen")
    assert invalid_fields(page) == {"FIELDSET": ["Choose where to send your code"]}
    page.get_by_label(re.compile("^E-mail to")).check()
    submit(page, "Send the code")
    check(page, "code: sent")
    assert page.get_by_role("status").inner_text().startswith("We have sent a code to")
    code = live.newest_code(debtor_case.email, after=now)
    page.fill("#code", "000000" if code != "000000" else "111111")
    submit(page, "Sign in")
    check(page, "code: wrong code")
    assert invalid_fields(page)["code"][0].startswith("This code is not right")
    page.fill("#code", code)
    submit(page, "Sign in")
    assert page.url.endswith("/cases"), page.url
    open_case(page, debtor_case, check)


def test_wrong_date_of_birth_is_refused_with_an_error_tied_to_the_form(page, check, debtor_case, live):
    """A wrong factor: the same calm message, focusable from the summary, nothing typed echoed back."""
    page.goto(debtor_case.link)
    fill_knowledge(page, debtor_case.reference, debtor_case.birth_date.replace(year=1981))
    submit(page, "Continue")
    check(page, "sign-in: wrong factor")
    summary = page.locator(".error-summary")
    assert summary.get_by_role("link").inner_text().startswith("We could not find a case with these details")
    assert page.locator("#reference").input_value() == ""
    # An empty form names each field that is missing, next to it.
    submit(page, "Continue")
    check(page, "sign-in: empty form")
    assert set(invalid_fields(page)) >= {"reference"}
    # The right answer still works afterwards, and the link still signs in.
    fill_knowledge(page, debtor_case.reference, debtor_case.birth_date)
    submit(page, "Continue")
    assert page.url.endswith("/cases"), page.url


def test_language_switch_translates_the_page_and_keeps_it(page, check, debtor_case, live):
    """Choosing Français turns the sign-in page and the pages after it into French."""
    page.goto(debtor_case.link)
    page.select_option("#lang-select", "fr")
    submit(page, "Change")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Connectez-vous pour voir ce que vous devez"
    check(page, "sign-in in French")
    fill_knowledge(page, debtor_case.reference, debtor_case.birth_date)
    submit(page, "Continuer")
    assert page.locator("html").get_attribute("lang") == "fr"
    open_case(page, debtor_case, check)
    assert "119,50" in page.locator(".total .amount").inner_text()
