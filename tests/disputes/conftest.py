"""Dispute tests reuse the plans' journey fixtures (emulator, signed-in debtor) and the agents' sign-in."""

from __future__ import annotations

import io
import re

import pytest

from tests.agent.conftest import make_staff, sign_in_staff  # noqa: F401  (fixture re-exported)
from tests.plans.conftest import (  # noqa: F401  (fixtures re-exported)
    _catalogues, compiled_catalogues, debtor, emulator, emulator_app, mailbox, plan_debtor, stripe_page,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def token(client, path: str) -> str:
    """The CSRF token of a page's first form."""
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def dispute(debtor, reason="already_paid", message="I paid this in June by bank transfer.", files=()):
    """Post the dispute form as a browser would (multipart); returns the response."""
    path = f"/cases/{debtor.reference}/dispute"
    data = {"csrf_token": token(debtor.client, path), "reason": reason, "message": message,
            "evidence": [(io.BytesIO(content), name) for name, content in files]}
    return debtor.client.post(path, data=data, content_type="multipart/form-data")


@pytest.fixture
def agent(app, make_staff):  # noqa: F811
    """A second browser, signed in as an agent (the debtor keeps the default client)."""
    client = app.test_client()
    sign_in_staff(client, make_staff("agent@agency.test"))
    return client
