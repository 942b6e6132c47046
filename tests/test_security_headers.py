"""Every page of the portal carries the strict headers, whatever answers it: walks `app.url_map`.

Reference row 6 (skimming script on the pay page): the CSP of every route is parsed; no
`unsafe-inline` or `unsafe-eval`, `object-src 'none'`, `base-uri 'none'`, and no script from
another host; the portal's pages load no script at all (an inventory of zero), so a
`<script>` tag appearing anywhere is a change to review. Row 7: HSTS of at least a year.
"""

from __future__ import annotations

import re

from tests import factories
from tests.helpers import sign_in
from tests.test_csrf import _url

#: Routes that answer with something else than the portal's pages (files, JSON, the emulator).
NOT_PAGES = ("static", "api.", "stripe_emulator.")


def _directives(csp: str) -> dict[str, list[str]]:
    """A CSP header as {directive: [sources]}."""
    parsed = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def _get_rules(app) -> list[str]:
    return sorted({_url(rule) for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.endpoint.startswith(NOT_PAGES)})


def _check_all(app, client) -> int:
    """Check every GET route's answer; returns how many answered 200."""
    ok = 0
    for path in _get_rules(app):
        response = client.get(path)
        ok += response.status_code == 200
        csp = _directives(response.headers.get("Content-Security-Policy", ""))
        assert csp, path
        assert csp["script-src"] == ["'self'"], path
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"], path
        assert csp["frame-ancestors"] == ["'none'"], path
        assert not any("unsafe" in source for sources in csp.values() for source in sources), path
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        if response.mimetype == "text/html":
            assert not re.search(r"<script\b", response.get_data(as_text=True), re.I), path
    return ok


def test_every_page_has_a_strict_csp_and_no_script(app, client):
    assert len(_get_rules(app)) > 30  # the walk really covers the portal
    assert _check_all(app, client) >= 4  # public pages answer; the others send to sign-in, also checked


def test_every_page_of_a_signed_in_debtor_too(app, client):
    with app.app_context():
        case = factories.case("AK-TEST-000001")  # the reference the walk puts in every URL
        sign_in(client, case)
    assert _check_all(app, client) >= 10  # cases, what you owe, pay, plan, messages, documents, ...


def test_hsts_for_a_year_when_cookies_are_secure(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    hsts = client.get("/sign-in").headers["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 31536000
