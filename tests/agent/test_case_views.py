"""Case search and view, notes, unlocking debtor sign-in; every action lands in the audit log."""

from __future__ import annotations

import re
from datetime import date

from portal.agent.models import StaffRole
from portal.cases.models import CaseEntry, EntryKind
from portal.extensions import db
from tests.agent.conftest import audit_rows, page_token, sign_in_staff
from tests.auth.conftest import post_sign_in

DOB = date(1980, 4, 12)


def _lock(app, reference: str) -> None:
    """Close the debtor's knowledge step with wrong dates of birth from many addresses."""
    client = app.test_client()
    for i in range(app.config["VERIFICATION_MAX_FAILURES"]):
        post_sign_in(client, reference, dob=date(1970, 1, 1 + i), ip=f"203.0.113.{i + 1}")


def test_search_by_reference_any_spelling_opens_the_case(app, agent_client, make_case):
    make_case(reference="AK-2026-000123")
    response = agent_client.get("/agent/cases?q=ak 2026000123")
    assert response.status_code == 303 and response.headers["Location"].endswith("/agent/cases/AK-2026-000123")
    assert audit_rows(app, "case.search")[0]["details"] == {"query": "ak 2026000123", "results": 1}


def test_search_by_name_or_email_prefix_lists_matches_only(app, agent_client, make_case):
    make_case(reference="AK-2026-000001", name="Marie Dupont", email="marie@example.fr")
    make_case(reference="AK-2026-000002", name="Jean Durand", email="jd@example.fr")
    make_case(reference="AK-2026-000003", name="Marc 100%_Sure", email=None)
    by_surname = agent_client.get("/agent/cases?q=dup").get_data(as_text=True)
    assert "AK-2026-000001" in by_surname and "AK-2026-000002" not in by_surname
    assert "marie@example.fr" in by_surname
    by_email = agent_client.get("/agent/cases?q=JD@").get_data(as_text=True)
    assert "AK-2026-000002" in by_email and "AK-2026-000001" not in by_email
    wildcard = agent_client.get("/agent/cases?q=%25_").get_data(as_text=True)  # "%_" taken literally
    assert "No case matches" in wildcard
    literal = agent_client.get("/agent/cases?q=100%25_").get_data(as_text=True)
    assert "AK-2026-000003" in literal and "AK-2026-000001" not in literal


def test_search_form_errors_name_the_field(agent_client):
    page = agent_client.get("/agent/cases?q=x").get_data(as_text=True)
    assert "Enter between 2 and 100 characters" in page and 'aria-invalid="true"' in page
    assert "Results" not in agent_client.get("/agent/cases").get_data(as_text=True)


def test_case_view_shows_the_file_and_is_audited(app, agent_client, make_case):
    case = make_case(reference="AK-2026-000009", name="Marie Dupont", email="marie@example.fr", phone="+33612345678")
    with app.app_context():
        db.session.add(CaseEntry(case_id=case.id, kind=EntryKind.payment, amount_minor=2000, currency="EUR", sequence=1))
        db.session.commit()
    page = agent_client.get("/agent/cases/AK-2026-000009").get_data(as_text=True)
    for text in ("Acme SARL", "Marie Dupont", "marie@example.fr", "+33612345678", "Payment", "Open."):
        assert text in page, text
    assert "119.50" in page or "119,50" in page  # 119.50 total due: 119.50 = 10000+250+500+1200-2000 minor
    views = audit_rows(app, "case.view")
    assert [(v["target"], v["details"]["debtor_id"]) for v in views] == [("AK-2026-000009", case.debtor_id)]
    assert "Opened the case" in page  # the contact log shows the view itself


def test_case_view_redirects_other_spellings_and_404s_unknown(agent_client, make_case):
    make_case(reference="AK-2026-000010")
    response = agent_client.get("/agent/cases/ak2026000010")
    assert response.status_code == 301 and response.headers["Location"].endswith("/agent/cases/AK-2026-000010")
    assert agent_client.get("/agent/cases/ZZ-0000-000000").status_code == 404


def test_notes_are_added_newest_first_and_audited(app, agent_client, make_case):
    make_case(reference="AK-2026-000011")
    url = "/agent/cases/AK-2026-000011"
    for body in ("Called, no answer.", "  Debtor asked for a plan <b>soon</b>.  "):
        response = agent_client.post(f"{url}/notes", data={"csrf_token": page_token(agent_client, url), "body": body})
        assert response.status_code == 303
    page = agent_client.get(url).get_data(as_text=True)
    assert page.index("Debtor asked for a plan &lt;b&gt;soon&lt;/b&gt;.") < page.index("Called, no answer.")
    added = audit_rows(app, "case.note_added")
    assert [a["details"]["after"]["note"] for a in added] == ["Called, no answer.", "Debtor asked for a plan <b>soon</b>."]


def test_empty_or_too_long_note_is_refused_at_the_field(app, agent_client, make_case):
    make_case(reference="AK-2026-000012")
    url = "/agent/cases/AK-2026-000012"
    empty = agent_client.post(f"{url}/notes", data={"csrf_token": page_token(agent_client, url), "body": "   "})
    assert empty.status_code == 400 and "Write the note before saving it" in empty.get_data(as_text=True)
    long = agent_client.post(f"{url}/notes", data={"csrf_token": page_token(agent_client, url), "body": "x" * 4001})
    body = long.get_data(as_text=True)
    assert long.status_code == 400 and "at most 4000 characters" in body and 'aria-invalid="true"' in body
    assert "x" * 4001 in body  # what was typed is kept
    assert audit_rows(app, "case.note_added") == []


def test_supervisor_unlocks_debtor_sign_in_and_it_is_audited(app, client, make_case, make_staff):
    make_case(reference="AK-2026-000013", email="m@example.fr")
    _lock(app, "AK-2026-000013")
    sign_in_staff(client, make_staff("boss@agency.test", StaffRole.supervisor))
    url = "/agent/cases/AK-2026-000013"
    page = client.get(url).get_data(as_text=True)
    assert "Sign-in is locked after 10 wrong answers" in page and "Unlock sign-in" in page
    response = client.post(f"{url}/unlock", data={"csrf_token": page_token(client, url)})
    assert response.status_code == 303
    assert "Sign-in is open again" in client.get(url).get_data(as_text=True)
    assert post_sign_in(app.test_client(), "AK-2026-000013", dob=DOB).status_code == 303  # the debtor gets in
    unlocked = audit_rows(app, "case.signin_unlocked")
    assert [(u["target"], u["details"]) for u in unlocked] == [
        ("AK-2026-000013", {"before": {"locked": True, "failures": 10}, "after": {"locked": False, "failures": 0}})
    ]
    again = client.post(f"{url}/unlock", data={"csrf_token": page_token(client, url)})
    assert again.status_code == 303 and len(audit_rows(app, "case.signin_unlocked")) == 1


def test_agents_see_the_lock_but_no_unlock_button(app, agent_client, make_case):
    make_case(reference="AK-2026-000014", email="m@example.fr")
    _lock(app, "AK-2026-000014")
    page = agent_client.get("/agent/cases/AK-2026-000014").get_data(as_text=True)
    assert "Sign-in is locked" in page and "Unlock sign-in" not in page and "/unlock" not in page


def test_home_links_only_to_what_exists_for_the_role(app, agent_client, make_case):
    make_case(reference="AK-2026-000015")
    page = agent_client.get("/agent/").get_data(as_text=True)
    assert 'href="/agent/cases"' in page and "/agent/ledger" not in page
    links = [h for h in re.findall(r'href="(/[^"]*)"', page) if not h.startswith("/static/")]
    assert "/agent/" in links
    for href in links:  # no dead links
        assert agent_client.get(href).status_code in (200, 302), href
