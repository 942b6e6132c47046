"""Screenshots of every debtor page on a 390 px phone, in each language, kept as artifacts of the run."""

from __future__ import annotations

import pytest

from tests.e2e import harness
from tests.e2e.conftest import make_case
from tests.e2e.journeys import fill_knowledge, submit

#: How pages look, whatever the database: .ci/run runs these on SQLite only.
pytestmark = pytest.mark.layout

#: Three languages for review: the source, a Romance and a Germanic one with long compounds
#: (every language is also shot at 360 px by test_locales.py).
LANGUAGES = ["en", "fr", "de"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_screenshots_of_each_debtor_page(app, live, new_page, check, language):
    """Sign-in (empty, with errors), code, cases, what you owe, pay, receipt, genuine, not found."""
    case = make_case(app, live, language=language)
    page = new_page(**harness.DEVICES["phone-390"], locale=language)
    out = harness.SCREENSHOTS / language
    out.mkdir(parents=True, exist_ok=True)
    shots = []

    def shoot(name: str) -> None:
        """Check the page and save it whole."""
        assert page.locator("html").get_attribute("lang") == language, page.url
        check(page, f"{name} ({language})")
        path = out / f"{len(shots) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)

    page.goto(live.url + "/sign-in")
    page.select_option("#lang-select", language)
    page.locator("#lang-select ~ button").click()
    page.wait_for_load_state()
    shoot("sign-in")
    page.locator("form[action$='/sign-in'] button[type=submit]").click()
    page.wait_for_load_state()
    shoot("sign-in-errors")
    fill_knowledge(page, case.reference, case.birth_date)
    with page.expect_navigation():
        page.locator("form[action$='/sign-in'] button[type=submit]").click()
    shoot("code")
    page.goto(case.link)
    fill_knowledge(page, case.reference, case.birth_date)
    with page.expect_navigation():
        page.locator("form[action$='/sign-in'] button[type=submit]").click()
    shoot("cases")
    page.goto(f"{live.url}/cases/{case.reference}")
    shoot("what-you-owe")
    page.goto(f"{live.url}/cases/{case.reference}/pay")
    shoot("pay")
    with page.expect_navigation():
        page.locator("form input[value=full] ~ button").click()
    page.fill("#card_number", "4242424242424242")
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    shoot("receipt")
    page.goto(f"{live.url}/genuine")
    shoot("genuine")
    page.goto(f"{live.url}/cases/NO-SUCH-CASE")
    shoot("not-found")
    assert all(p.stat().st_size > 10_000 for p in shots)
