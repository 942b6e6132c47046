"""Plan tests reuse the payments' emulator wiring (SDK in, signed webhooks out) and the agents' sign-in."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.plans import services
from tests import factories
from portal.agent.models import StaffRole
from tests.agent.conftest import make_staff, sign_in_staff  # noqa: F401
from tests.helpers import compiled_catalogues  # noqa: F401
from tests.payments.conftest import (  # noqa: F401
    VISA, _catalogues, debtor, emulator, emulator_app, mailbox, stripe_page,
)

#: The policy the tests' creditor has unless a test says otherwise.
POLICY = {"bands": [{"up_to_minor": 100000, "max_instalments": 6}, {"up_to_minor": None, "max_instalments": 12}],
          "min_instalment_minor": 1000, "frequencies": ["monthly", "biweekly"], "first_payment_within_days": 14,
          "missed_tolerated": 1, "retry_days": [3], "date_moves_allowed": 1, "near_percent": 25}


def give_policy(app, creditor_id: str = "ACME-FR", **changes) -> None:
    """Store a policy version for the creditor (created if needed)."""
    with app.app_context():
        services.save_policy(factories.creditor(creditor_id), {**POLICY, **changes}, None)
        db.session.commit()


@pytest.fixture
def plan_debtor(app, debtor):
    """A signed-in debtor owing 119.50 EUR to a creditor with the standard policy."""
    debtor.has_case(email="marie@example.fr")
    give_policy(app)
    return debtor


@pytest.fixture
def agent_browser(app, make_staff):  # noqa: F811
    """An agent signed in on a browser of their own (the debtor keeps `client`)."""
    browser = app.test_client()
    sign_in_staff(browser, make_staff("agent@agency.test", StaffRole.agent))
    return browser
