"""Staff and debtor sessions never cross: every /agent page refuses anonymous visitors and
debtors, debtor pages refuse staff, and agents cannot do what only supervisors may."""

from __future__ import annotations

import uuid

import pytest

from portal.agent.models import StaffRole
from tests.agent.conftest import page_token, sign_in_staff
from tests.helpers import sign_in as sign_in_debtor

#: Reachable by anyone: the sign-in steps themselves and sign-out.
PUBLIC = {"agent.sign_in", "agent.sign_in_code", "agent.sign_out"}
SUPERVISOR_ONLY = {"agent.unlock", "agent.ledger_page", "agent.requeue_one", "agent.requeue_all"}


def _agent_routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every back-office route, with harmless argument values."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("agent.") and rule.endpoint not in PUBLIC:
            values = {name: _value(rule, name) for name in rule.arguments}
            url = rule.build(values)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((rule.endpoint, method, url))
    return routes


def _value(rule, name: str) -> str:
    """A well-formed value for a URL argument: the test case's reference, a number, or a random id."""
    if name == "reference":
        return "AK-TEST-000001"
    if name == "external_id":
        return "ACME-FR"  # the creditor of the test case (tests/factories.py)
    if type(rule._converters[name]).__name__ == "IntegerConverter":
        return "1"
    return str(uuid.uuid4())


def _open(client, method: str, url: str):
    """The request with a valid CSRF token of the client's own session, so only access decides."""
    token = page_token(client, "/genuine")  # the footer form of any page has one
    return client.open(url, method=method, data={"csrf_token": token, "body": "a note"})


def _supervisor_only(app) -> set[str]:
    """Endpoints whose view demands the supervisor role, read from the views themselves."""
    return {
        endpoint for endpoint, view in app.view_functions.items()
        if endpoint.startswith("agent.") and getattr(view, "required_role", None) == StaffRole.supervisor
    }


def _needs_object(app, endpoint: str) -> bool:
    """Whether the route names a database object by number (a made-up one is a 404)."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    return any(type(c).__name__ == "IntegerConverter" for c in rule._converters.values())


def test_the_walk_covers_the_back_office(app):
    endpoints = {endpoint for endpoint, *_ in _agent_routes(app)}
    assert {"agent.home", "agent.search", "agent.case", "agent.add_note"} | SUPERVISOR_ONLY <= endpoints
    assert SUPERVISOR_ONLY <= _supervisor_only(app)  # these must never lose the supervisor check


def test_anonymous_visitors_are_sent_to_the_staff_sign_in(app, make_case):
    make_case(reference="AK-TEST-000001")
    for endpoint, method, url in _agent_routes(app):
        response = _open(app.test_client(), method, url)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert response.headers["Location"].endswith("/agent/sign-in"), endpoint


def test_debtors_get_403_on_every_back_office_route(app, make_case):
    case = make_case(reference="AK-TEST-000001")
    for endpoint, method, url in _agent_routes(app):
        client = app.test_client()
        sign_in_debtor(client, case)
        assert client.get("/cases").status_code == 200  # really signed in as the debtor
        assert _open(client, method, url).status_code == 403, (endpoint, method)


def test_agents_get_403_on_supervisor_routes(app, client, make_case, make_staff):
    make_case(reference="AK-TEST-000001")
    sign_in_staff(client, make_staff("anne@agency.test", StaffRole.agent))
    supervisor_only = _supervisor_only(app)
    for endpoint, method, url in _agent_routes(app):
        status = _open(client, method, url).status_code
        if endpoint in supervisor_only:
            assert status == 403, (endpoint, method, status)
        elif _needs_object(app, endpoint):
            assert status in (200, 303, 404), (endpoint, method, status)  # no such object, but allowed in
        else:
            assert status in (200, 303), (endpoint, method, status)


@pytest.mark.parametrize("path", ["/cases", "/cases/AK-TEST-000001"])
def test_staff_cannot_open_debtor_pages(app, client, make_case, make_staff, path):
    make_case(reference="AK-TEST-000001")
    sign_in_staff(client, make_staff("boss@agency.test", StaffRole.supervisor))
    assert client.get(path).status_code == 403
    assert client.get("/agent/").status_code == 200  # and the staff session is intact


def test_header_of_a_staff_page_signs_out_of_the_back_office(app, client, make_staff):
    sign_in_staff(client, make_staff("anne@agency.test"))
    page = client.get("/agent/").get_data(as_text=True)
    assert 'action="/agent/sign-out"' in page and 'href="/agent/"' in page
    assert 'action="/sign-out"' not in page


def test_every_back_office_action_writes_the_audit_log(app, client, make_case, make_staff):
    from tests.agent.conftest import audit_rows, make_dead_letter

    case = make_case(reference="AK-TEST-000001")
    sign_in_staff(client, make_staff("boss@agency.test", StaffRole.supervisor))
    # Pages that show no debtor's data and change nothing: the home figures and the empty search form.
    # Queues list what waits for a decision (opening one item is what gets audited); the policy
    # form shows no debtor's data, and the walk's POST carries no policy, so nothing is saved.
    quiet = {"agent.home", "agent.search", "agent.plan_queue", "agent.disputes", "agent.policy_edit"}
    for endpoint, method, url in _agent_routes(app):
        if _needs_object(app, endpoint):
            continue  # covered by each feature's own tests, which create the object first
        if endpoint == "agent.requeue_one":
            url = url.rsplit("/", 2)[0] + f"/{make_dead_letter(app, case.id)}/requeue"
        elif endpoint == "agent.requeue_all":
            make_dead_letter(app, case.id, sequence=2)
        elif endpoint == "agent.unlock":
            _lock_sign_in(app, "AKTEST000001")
        before = len(audit_rows(app))
        status = _open(client, method, url).status_code
        refused_form = endpoint == "agent.policy_edit" and method == "POST" and status == 400
        assert status in (200, 303) or refused_form, (endpoint, status)
        written = audit_rows(app)[before:]
        if endpoint in quiet:
            assert written == [], endpoint
        else:
            assert written and all(w["staff_id"] is not None for w in written), endpoint


def _lock_sign_in(app, key: str) -> None:
    """A debtor sign-in counter at its limit, as ten wrong answers leave it."""
    from portal.auth.models import VerificationThrottle
    from portal.clock import utcnow
    from portal.extensions import db

    with app.app_context():
        db.session.add(VerificationThrottle(reference=key, failures=10, locked_at=utcnow(), last_failure_at=utcnow()))
        db.session.commit()
        db.session.remove()
