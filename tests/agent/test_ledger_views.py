"""Supervisors see the ledger figures and the dead letters with the ledger's error, and requeue them."""

from __future__ import annotations

from portal.extensions import db
from portal.ledger.models import EventState, LedgerEvent
from tests.agent.conftest import audit_rows, make_dead_letter, page_token

URL = "/agent/ledger"


def _states(app) -> dict[str, str]:
    with app.app_context():
        states = {e.id: e.state.value for e in db.session.query(LedgerEvent)}
        db.session.remove()
    return states


def test_figures_and_dead_letters_with_the_error(app, supervisor_client, make_case):
    case = make_case(reference="AK-LEDG-000001")
    event_id = make_dead_letter(app, case.id, error="422 data.amount: must be positive")
    page = supervisor_client.get(URL).get_data(as_text=True)
    assert event_id in page and "AK-LEDG-000001" in page and "422 data.amount: must be positive" in page
    assert "Dead letters" in page and "never" in page  # no delivery yet
    home = supervisor_client.get("/agent/").get_data(as_text=True)
    assert 'href="/agent/ledger"' in home
    assert audit_rows(app, "ledger.view")[0]["details"] == {"dead_letters": 1}


def test_requeue_one_puts_it_back_in_the_queue_and_is_audited(app, supervisor_client, make_case):
    case = make_case(reference="AK-LEDG-000002")
    first = make_dead_letter(app, case.id, sequence=1)
    second = make_dead_letter(app, case.id, sequence=2)
    response = supervisor_client.post(f"{URL}/dead-letters/{first}/requeue", data={"csrf_token": page_token(supervisor_client, URL)})
    assert response.status_code == 303
    assert "1 event is back in the queue." in supervisor_client.get(URL).get_data(as_text=True)
    assert _states(app) == {first: EventState.pending.value, second: EventState.dead.value}
    requeued = audit_rows(app, "ledger.requeued")
    assert [(r["target"], r["details"]) for r in requeued] == [
        (first, {"before": {"state": "dead"}, "after": {"state": "pending"}})
    ]


def test_requeue_all(app, supervisor_client, make_case):
    case = make_case(reference="AK-LEDG-000003")
    ids = [make_dead_letter(app, case.id, sequence=n) for n in (1, 2, 3)]
    response = supervisor_client.post(f"{URL}/dead-letters/requeue", data={"csrf_token": page_token(supervisor_client, URL)})
    assert response.status_code == 303
    page = supervisor_client.get(URL).get_data(as_text=True)
    assert "3 events are back in the queue." in page and "No dead letters." in page
    assert set(_states(app).values()) == {"pending"}
    assert sorted(r["target"] for r in audit_rows(app, "ledger.requeued")) == sorted(ids)


def test_requeue_of_something_not_dead_changes_nothing(app, supervisor_client, make_case):
    case = make_case(reference="AK-LEDG-000004")
    event_id = make_dead_letter(app, case.id)
    token = page_token(supervisor_client, URL)
    supervisor_client.post(f"{URL}/dead-letters/{event_id}/requeue", data={"csrf_token": token})
    again = supervisor_client.post(f"{URL}/dead-letters/{event_id}/requeue", data={"csrf_token": token}, follow_redirects=True)
    assert "no longer a dead letter" in again.get_data(as_text=True)
    assert len(audit_rows(app, "ledger.requeued")) == 1
