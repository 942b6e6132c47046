"""Helpers for sign-in tests: real HTTP round trips through the forms, CSRF tokens included."""

from __future__ import annotations

import re
from datetime import date

import pytest

from portal.extensions import db
from tests import factories

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
#: The signed-in landing page (built by the debtor pages feature).
CASES_PATH = "/cases"


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def strip_csrf(body: bytes) -> bytes:
    """The page with every CSRF token blanked, to compare two responses byte for byte."""
    return re.sub(rb'(name="csrf_token"[^>]*value=")[^"]+', rb"\1", body)


def post_sign_in(
    client, reference: str, dob: date | None = None, postcode: str | None = None, ip: str = "192.0.2.1"
):
    """GET the form for a token, then POST the reference and the factor from `ip`."""
    env = {"REMOTE_ADDR": ip}
    token = csrf_from(client.get("/sign-in", environ_overrides=env).get_data(as_text=True))
    data = {"csrf_token": token, "reference": reference, "postcode": postcode or ""}
    if dob is not None:
        data.update(dob_day=str(dob.day), dob_month=str(dob.month), dob_year=str(dob.year))
    return client.post("/sign-in", data=data, environ_overrides=env)


def post_code_form(client, ip: str = "192.0.2.1", **data):
    """GET the code page for a token, then POST `data` to it."""
    env = {"REMOTE_ADDR": ip}
    page = client.get("/sign-in/code", environ_overrides=env)
    assert page.status_code == 200, page.status_code
    return client.post("/sign-in/code", data={"csrf_token": csrf_from(page.get_data(as_text=True)), **data},
                       environ_overrides=env)


def session_cookie(client, app) -> str | None:
    """The session id the browser holds."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return cookie.value if cookie else None


@pytest.fixture
def make_case(app):
    """Create committed cases inside an app context: make_case(reference=..., **factory_kw)."""

    def make(**kw):
        with app.app_context():
            case = factories.case(**kw)
            facts = {"id": case.id, "reference": case.reference, "debtor_id": case.debtor_id}
            db.session.remove()
        return type("CaseRef", (), facts)

    return make
