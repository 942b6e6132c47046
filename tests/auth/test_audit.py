"""Sign-in events are logged with reference and IP, never a date of birth, postcode, code or token."""

import logging
import re
from datetime import date

from portal.extensions import db
from portal.links import services as links
from tests.auth.conftest import post_code_form, post_sign_in

DOB = date(1980, 4, 12)


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "portal.audit"]


def test_every_sign_in_event_is_logged_without_secrets(app, client, make_case, caplog):
    caplog.set_level(logging.INFO, logger="portal.audit")
    case = make_case(reference="AK-AUDIT-00001", email="marie@example.fr", postcode="75011")
    post_sign_in(client, "AK-AUDIT-00001", dob=date(1981, 5, 6), ip="192.0.2.7")
    post_sign_in(client, "AK-AUDIT-00001", dob=DOB, ip="192.0.2.7")
    post_code_form(client, ip="192.0.2.7", action="send", channel="email")
    post_code_form(client, ip="192.0.2.7", action="verify", code="000000")
    with app.app_context():
        from portal.cases.models import Case

        token, _ = links.issue(db.session.get(Case, case.id))
        db.session.commit()
    other = app.test_client()
    other.get(f"/l/{token}")
    post_sign_in(other, "AK-AUDIT-00001", dob=DOB, ip="192.0.2.8")
    lines = _lines(caplog)
    events = [line.split()[0] for line in lines]
    assert events == [
        "signin.failure", "signin.knowledge_ok", "signin.code_sent", "signin.code_failure", "signin.success",
    ], lines
    assert all("reference=AK-AUDIT-00001" in line for line in lines)
    assert "ip=192.0.2.7" in lines[0] and "ip=192.0.2.8" in lines[-1]
    assert "method=link" in lines[-1] and "assurance=full" in lines[-1]
    text = "\n".join(r.getMessage() for r in caplog.records)  # every logger, not only the audit one
    for secret in ("1980-04-12", "1981-05-06", "12/04/1980", "75011", "marie@example.fr", token):
        assert secret not in text
    assert not re.search(r"\b\d{6}\b", " ".join(lines).replace("00001", ""))


def test_lockout_is_logged_once(app, client, caplog):
    caplog.set_level(logging.INFO, logger="portal.audit")
    for i in range(app.config["VERIFICATION_MAX_FAILURES"] + 2):
        post_sign_in(client, "ZZ-AUDIT-00002", dob=DOB, ip=f"198.51.100.{i}")
    assert [line.split()[0] for line in _lines(caplog)].count("signin.locked") == 1


def test_crlf_in_logged_values_cannot_forge_lines(client, caplog):
    caplog.set_level(logging.INFO, logger="portal.audit")
    post_sign_in(client, "ZZ-AUDIT-00003", dob=DOB, ip="1.2.3.4\r\nsignin.success reference=X")
    (line,) = _lines(caplog)
    assert "\n" not in line and "\r" not in line


def test_sign_out_is_logged(client, make_case, caplog):
    from tests.auth.conftest import csrf_from

    caplog.set_level(logging.INFO, logger="portal.audit")
    case = make_case(reference="AK-AUDIT-00004", email=None, phone=None, creditor_id="LOW-OK", allow_knowledge_only=True)
    post_sign_in(client, "AK-AUDIT-00004", dob=DOB, ip="192.0.2.9")
    page = client.get("/cases").get_data(as_text=True)
    client.post("/sign-out", data={"csrf_token": csrf_from(page)}, environ_overrides={"REMOTE_ADDR": "192.0.2.9"})
    assert _lines(caplog)[-1] == f"signout reference=- ip=192.0.2.9 debtor={case.debtor_id}"
