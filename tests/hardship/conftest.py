"""Hardship tests reuse the plans' signed-in debtor and the disputes' second (agent) browser."""

from tests.disputes.conftest import agent, token  # noqa: F401  (fixtures re-exported)
from tests.plans.conftest import (  # noqa: F401  (fixtures re-exported)
    _catalogues, compiled_catalogues, debtor, emulator, emulator_app, mailbox, make_staff, plan_debtor, stripe_page,
)
