"""Every state-changing route refuses a request without a valid CSRF token of its own session.

Generic: it walks `app.url_map`, so routes added later are covered without editing
this file. The only routes allowed to skip the check are the machine API (bearer
keys) and the Stripe webhook (signed payloads); the test asserts the set of routes
that skip it is exactly those.
"""

from __future__ import annotations

import re
import uuid

import pytest
from werkzeug.routing import IntegerConverter, UUIDConverter

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGE = b"This form has expired"


def _allowed_exempt(rule) -> bool:
    """The API authenticates with bearer keys; the Stripe webhook with a signature."""
    return rule.endpoint.startswith("api.") or rule.rule.startswith("/stripe/webhook")


def _url(rule) -> str:
    """A URL for the rule, with harmless values for its arguments."""
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, UUIDConverter):
            values[name] = str(uuid.uuid4())
        elif isinstance(converter, IntegerConverter):
            values[name] = 1
        else:
            values[name] = "AK-TEST-000001"
    return rule.build(values)[1]


def _unsafe_rules(app) -> list[tuple[str, str]]:
    return sorted(
        (rule.endpoint, method, _url(rule), _allowed_exempt(rule))
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods & UNSAFE)
    )


def _token(client) -> str:
    html = client.get("/sign-in").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _rejected(response) -> bool:
    return response.status_code in (400, 403) and CSRF_MESSAGE in response.get_data()


def test_there_are_unsafe_routes_to_check(app):
    endpoints = {endpoint for endpoint, *_ in _unsafe_rules(app)}
    assert {"auth.sign_in", "auth.code", "auth.sign_out", "pages.set_language"} <= endpoints


def test_unsafe_methods_without_token_or_with_another_sessions_token_are_rejected(app):
    exempt = set()
    for endpoint, method, url, allowed in _unsafe_rules(app):
        client = app.test_client()
        client.get("/sign-in")  # this session has a CSRF secret of its own
        without = client.open(url, method=method, data={"reference": "AK-TEST-000001"})
        other_token = _token(app.test_client())
        with_other = client.open(url, method=method, data={"csrf_token": other_token})
        with_header = client.open(url, method=method, headers={"X-CSRFToken": other_token})
        if not _rejected(without):
            exempt.add(endpoint)
            continue
        assert _rejected(with_other), (endpoint, method, with_other.status_code)
        assert _rejected(with_header), (endpoint, method, with_header.status_code)
    expected = {endpoint for endpoint, _m, _u, allowed in _unsafe_rules(app) if allowed}
    assert exempt == expected


@pytest.mark.parametrize("path", ["/sign-in", "/sign-out", "/language"])
def test_own_token_is_accepted(client, path):
    response = client.post(path, data={"csrf_token": _token(client), "language": "fr", "reference": ""})
    assert not _rejected(response)
