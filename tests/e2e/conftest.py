"""End-to-end fixtures: the portal and the Stripe emulator served on 127.0.0.1, and Debian's Chromium.

Every test here is skipped, with the reason in pytest's summary, where Chromium or
Playwright is missing. Modules marked `harness.EVERY_DEVICE` run each test on two phones
and a desktop, with JavaScript on and off; the others run on a desktop with JavaScript.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import pytest

from portal.extensions import db
from tests import factories
from tests.e2e import harness
from tests.e2e.checks import PageChecker
from tests.helpers import compiled_catalogues  # noqa: F401

WEBHOOK_SECRET = "whsec_e2e_emulator_secret"
STRIPE_KEY = "sk_test_e2e_0000000000000000"
BIRTH_DATE = date(1980, 4, 12)


def pytest_collection_modifyitems(config, items):
    """Mark every test here `e2e`, and skip them all with one clear reason when the browser is missing."""
    reason = harness.unavailable()
    for item in items:
        if harness.HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's axe.min.js (installed by `npm ci` from tests/e2e/package-lock.json if missing)."""
    return harness.ensure_axe()


@pytest.fixture(scope="session")
def live(app, var_dir, compiled_catalogues):  # noqa: F811
    """The portal and the Stripe emulator, each on its own port, sharing the test database."""
    from portal import create_app
    from portal.stripe_emulator import create_app as create_emulator

    portal_server, stripe_server = harness.LiveServer(), harness.LiveServer()
    base = var_dir / "e2e"
    portal_app = create_app({
        "TESTING": True,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_VAR_DIR": str(base),
        "MAIL_URL": f"file://{base / 'mail'}",
        "SMS_URL": f"file://{base / 'sms'}",
        "LEDGER_URL": f"file://{base / 'ledger-events.jsonl'}",
        "PORTAL_BASE_URL": portal_server.url,
        "STRIPE_API_BASE": stripe_server.url,
        "STRIPE_SECRET_KEY": STRIPE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
    })
    emulator_app = create_emulator({
        "PUBLIC_URL": stripe_server.url, "WEBHOOK_MODE": "thread",
        "WEBHOOK_URL": portal_server.url + "/stripe/webhook", "WEBHOOK_SECRET": WEBHOOK_SECRET,
    })
    portal_server.start(portal_app)
    stripe_server.start(emulator_app)
    yield harness.Portal(portal_server.url, stripe_server.url, portal_app, base / "mail",
                         emulator_app.extensions["stripe_emulator"])
    emulator_app.extensions["stripe_emulator"].webhooks.stop()
    stripe_server.stop()
    portal_server.stop()
    with portal_app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_emulator(request):
    """Forget Stripe's objects and undelivered webhooks after each test, before its rows are deleted:
    a late webhook must not land on the next test's rows (SQLite reuses their ids)."""
    yield
    if "live" in request.fixturenames:
        request.getfixturevalue("live").emulator.reset()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run (each test gets its own context)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = harness.launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def device() -> str:
    """The desktop, for tests that are not parametrized over devices."""
    return "desktop"


@pytest.fixture
def js() -> bool:
    """JavaScript on, for tests that are not parametrized over it."""
    return True


@pytest.fixture
def context_options(device, js) -> dict:
    """Browser context options of this test: device, JavaScript, English."""
    return {**harness.DEVICES[device], "java_script_enabled": js, "locale": "en-GB"}


@pytest.fixture
def new_page(browser, context_options, live):
    """Open pages in fresh browser contexts (a second person, another browser); fails on any console
    error of a portal page, which is where CSP violations (an inline style, a stray script) show."""
    contexts, errors, documents = [], [], set()

    def open_page(**overrides):
        """A page in a new context with this test's options (and `overrides`)."""
        context = browser.new_context(**{**context_options, **overrides})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda msg: errors.append((msg.text, msg.location.get("url", "")))
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append((str(exc), live.url + "/")))
        page.on("response", lambda r: documents.add(r.url) if r.request.resource_type == "document" else None)
        return page

    yield open_page
    for context in contexts:
        context.close()
    problems = [f"{text} ({url})" for text, url in errors if _is_problem(text, url, live.url, documents)]
    assert not problems, "browser console errors:\n" + "\n".join(problems)


def _is_problem(text: str, url: str, portal_url: str, documents: set[str]) -> bool:
    """Whether a console error counts: on a portal page, and not the status of a page a test asked for
    on purpose (a 404 page); Stripe's page answers a declined card with a 402, which is its business."""
    if not url.startswith(portal_url + "/"):
        return False
    return not (text.startswith("Failed to load resource") and url in documents)


@pytest.fixture
def page(new_page):
    """The debtor's browser tab."""
    return new_page()


@pytest.fixture
def check(axe_source, context_options) -> PageChecker:
    """`check(page, "state name")`: no script, axe WCAG 2.2 AA, no sideways scroll, errors tied to fields."""
    return PageChecker(axe_source, context_options)


@dataclass
class DebtorCase:
    """A debtor's case as their reminder letter describes it."""

    reference: str
    email: str
    birth_date: date
    link: str
    creditor: str


@pytest.fixture
def debtor_case(app, live):
    """An open case of 119.50 € for an English-speaking debtor, with a fresh reminder link."""
    return make_case(app, live)


def make_case(app, live, **kw) -> DebtorCase:
    """Create a case through the factories and issue its reminder link."""
    from portal.links import services as links

    kw.setdefault("language", "en")
    kw.setdefault("email", "marie@example.fr")
    kw.setdefault("birth_date", BIRTH_DATE)
    with app.app_context():
        case = factories.case(**kw)
        token, _link = links.issue(case)
        db.session.commit()
        made = DebtorCase(case.reference, kw["email"], kw["birth_date"], f"{live.url}/l/{token}", case.creditor.name)
        db.session.remove()
    return made


@pytest.fixture
def now() -> float:
    """Wall-clock time at the start of the test, to find files written after it."""
    return time.time() - 1
