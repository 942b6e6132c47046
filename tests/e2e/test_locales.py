"""Every offered language on the narrowest phone: long words wrap inside their boxes, nothing spills sideways.

German and Finnish compounds are the usual culprits. Each debtor page is opened at 360 px in each
language, checked (no script, no sideways scroll, errors tied to fields), searched for any element
whose text spills out of its box or off the screen, and saved as a screenshot for review under
artifacts/screenshots/360/<language>/.
"""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.i18n import catalogues
from portal.plans import services as plans
from tests import factories
from tests.e2e import harness
from tests.e2e.conftest import make_case
from tests.e2e.journeys import fill_knowledge
from tests.e2e.test_plans import POLICY

#: How pages look, whatever the database: .ci/run runs these on SQLite only.
pytestmark = pytest.mark.layout

#: Every language with a catalogue (the offered ones are a subset, checked by tests/i18n).
LANGUAGES = sorted(catalogues.catalogue_paths())

#: Elements whose own box may be narrower than their content: form controls draw their own,
#: and the skip link waits off-screen until it is focused.
_SPILLS = """() => {
  const width = document.documentElement.clientWidth;
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className ? '.' + String(el.className).split(' ').join('.') : '') +
    ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.matches('select, option, input, textarea, .skip, .skip *')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > width + 1 || box.left < -1) found.push(describe(el) + ' goes off the screen');
    const style = getComputedStyle(el);
    if (style.display !== 'inline' && style.overflowX === 'visible' && el.clientWidth > 0
        && el.scrollWidth > el.clientWidth + 1) found.push(describe(el) + ' spills out of its box');
  }
  return found.slice(0, 10);
}"""


@pytest.fixture
def device() -> str:
    """The narrowest phone the portal is built for."""
    return "phone-360"


@pytest.fixture
def js() -> bool:
    """Without JavaScript: the layout is the same (no page has a script), and axe, which needs it,
    already runs on every page of the journeys and of the screenshot test in three languages."""
    return False


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_debtor_page_fits_a_360px_phone(app, live, new_page, check, language):
    """Sign-in (with its errors), the case's pages, messages, contact details and "is this genuine?"."""
    with app.app_context():
        plans.save_policy(factories.creditor("ACME-FR"), POLICY, None)
        db.session.commit()
        db.session.remove()
    case = make_case(app, live, language=language)
    page = new_page(**{**harness.DEVICES["phone-360"], "device_scale_factor": 1}, locale=language)
    out = harness.SCREENSHOTS / "360" / language
    out.mkdir(parents=True, exist_ok=True)
    seen = []

    def look(name: str) -> None:
        """Check the page as it is, look for spilling text, and keep a screenshot."""
        assert page.locator("html").get_attribute("lang") == language, page.url
        check(page, f"{name} ({language})")
        spills = page.evaluate(_SPILLS)
        assert not spills, f"{name} ({language}) at 360 px, {page.url}:\n" + "\n".join(spills)
        page.screenshot(path=str(out / f"{len(seen) + 1:02d}-{name}.png"), full_page=True)
        seen.append(name)

    page.goto(case.link)
    look("sign-in")
    page.locator("form[action$='/sign-in'] button[type=submit]").click()
    page.wait_for_load_state()
    look("sign-in-errors")
    fill_knowledge(page, case.reference, case.birth_date)
    with page.expect_navigation():
        page.locator("form[action$='/sign-in'] button[type=submit]").click()
    assert page.url.endswith("/cases"), page.url
    look("cases")
    for name, path in [("what-you-owe", ""), ("pay", "/pay"), ("plan", "/plan"), ("propose", "/plan/propose"),
                       ("hardship", "/hardship"), ("documents", "/documents"), ("dispute", "/dispute")]:
        page.goto(f"{live.url}/cases/{case.reference}{path}")
        look(name)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()  # the dispute form sent empty
    look("dispute-errors")
    for name, path in [("messages", "/messages"), ("contact", "/contact"), ("genuine", "/genuine")]:
        page.goto(live.url + path)
        look(name)
    assert len(seen) == 14
