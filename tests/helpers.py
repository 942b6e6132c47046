"""Helpers for HTTP tests that need a signed-in debtor, independent of the sign-in pages."""

from __future__ import annotations

import pytest

from portal.cases.models import Case
from portal.i18n import catalogues


def sign_in(client, case: Case, assurance: str = "full") -> None:
    """Sign the debtor of `case` in, as Flask-Login would after a completed sign-in."""
    with client.session_transaction() as session:
        session["_user_id"] = f"{case.debtor_id}:{assurance}"
        session["_fresh"] = True


def choose_language(client, code: str) -> None:
    """Remember a language as the switcher does."""
    with client.session_transaction() as session:
        session["locale"] = code


@pytest.fixture(scope="session")
def compiled_catalogues(app):
    """Compile the .mo files (build output) and drop any translations Flask-Babel cached before."""
    catalogues.compile_all()
    with app.app_context():
        app.extensions["babel"].instance.domain_instance.cache.clear()
