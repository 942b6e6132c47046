"""`flask agents create|list|disable|reset-totp|reseal`."""

from urllib.parse import parse_qs, urlsplit

import pyotp

from portal.agent.models import Staff, StaffRole
from portal.extensions import db
from tests.agent.conftest import PASSWORD, audit_rows


def _staff(app, email):
    with app.app_context():
        staff = db.session.query(Staff).filter_by(email=email).one_or_none()
        db.session.expunge_all()
        return staff


def test_create_agent_prompts_twice_and_shows_no_totp(app, runner):
    result = runner.invoke(args=["agents", "create", "Anne@Agency.test", "--role", "agent"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "created agent anne@agency.test" in result.output and "otpauth" not in result.output
    staff = _staff(app, "anne@agency.test")
    assert staff.password_hash.startswith("$argon2id$") and staff.totp_secret is None
    assert [r["target"] for r in audit_rows(app, "staff.created")] == ["anne@agency.test"]


def test_mismatched_confirmation_is_asked_again(app, runner):
    result = runner.invoke(args=["agents", "create", "anne@agency.test", "--role", "agent"],
                           input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()


def test_create_supervisor_prints_the_otpauth_uri_of_its_secret(app, runner):
    result = runner.invoke(args=["agents", "create", "boss@agency.test", "--role", "supervisor", "--password-stdin"],
                           input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    uri = next(line for line in result.output.splitlines() if line.startswith("otpauth://totp/"))
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    assert secret == _staff(app, "boss@agency.test").totp_secret
    assert pyotp.parse_uri(uri).issuer == "Payment portal back office"


def test_agent_with_totp_flag_gets_one(app, runner):
    result = runner.invoke(args=["agents", "create", "a@agency.test", "--role", "agent", "--totp", "--password-stdin"],
                           input=f"{PASSWORD}\n")
    assert result.exit_code == 0 and "otpauth://" in result.output
    assert _staff(app, "a@agency.test").totp_secret


def test_weak_password_bad_role_and_duplicates_are_refused(app, runner):
    weak = runner.invoke(args=["agents", "create", "a@agency.test", "--role", "agent", "--password-stdin"], input="short\n")
    assert weak.exit_code == 1 and "at least 12 characters" in weak.output
    same = runner.invoke(args=["agents", "create", "a@agency.test", "--role", "agent", "--password-stdin"],
                         input="a@agency.test\n")
    assert same.exit_code == 1 and "must not be the e-mail" in same.output
    role = runner.invoke(args=["agents", "create", "a@agency.test", "--role", "boss", "--password-stdin"], input=f"{PASSWORD}\n")
    assert role.exit_code == 2 and "agent" in role.output and "supervisor" in role.output
    assert _staff(app, "a@agency.test") is None
    runner.invoke(args=["agents", "create", "a@agency.test", "--role", "agent", "--password-stdin"], input=f"{PASSWORD}\n")
    again = runner.invoke(args=["agents", "create", "A@agency.test", "--role", "agent", "--password-stdin"], input=f"{PASSWORD}\n")
    assert again.exit_code == 1 and "already exists" in again.output


def test_list_disable_and_reset_totp(app, runner, make_staff):
    from portal.agent.models import StaffRole

    boss = make_staff("boss@agency.test", StaffRole.supervisor)
    make_staff("anne@agency.test", StaffRole.agent)
    listed = runner.invoke(args=["agents", "list"])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].startswith("anne@agency.test\tagent\tno-totp\tactive\tlast sign-in never")
    assert lines[1].startswith("boss@agency.test\tsupervisor\ttotp\tactive")

    disabled = runner.invoke(args=["agents", "disable", "ANNE@agency.test"])
    assert disabled.exit_code == 0 and not _staff(app, "anne@agency.test").active
    assert "disabled" in runner.invoke(args=["agents", "list"]).output.splitlines()[0]
    assert runner.invoke(args=["agents", "disable", "anne@agency.test"]).exit_code == 1
    missing = runner.invoke(args=["agents", "disable", "nobody@agency.test"])
    assert missing.exit_code == 1 and "no account for nobody@agency.test" in missing.output

    reset = runner.invoke(args=["agents", "reset-totp", "boss@agency.test"])
    assert reset.exit_code == 0 and "otpauth://totp/" in reset.output
    assert _staff(app, "boss@agency.test").totp_secret != boss.secret
    actions = [(r["action"], r["target"]) for r in audit_rows(app) if r["action"].startswith("staff.")]
    assert ("staff.disabled", "anne@agency.test") in actions and ("staff.totp_reset", "boss@agency.test") in actions


def _stored_seed(app, email: str) -> str:
    """What the database itself holds in totp_secret, below the ORM."""
    from sqlalchemy import text
    with app.app_context():
        return db.session.execute(text("SELECT totp_secret FROM staff WHERE email = :e"), {"e": email}).scalar_one()


def test_the_database_holds_the_seed_sealed_and_reseal_moves_it_to_a_new_secret_key(app, runner, make_staff,
                                                                                   monkeypatch):
    ref = make_staff("boss@agency.test", StaffRole.supervisor)
    stored = _stored_seed(app, "boss@agency.test")
    assert ref.secret not in stored and len(stored) > 100  # a Fernet token, not the base32 seed
    old_key = app.config["SECRET_KEY"]
    monkeypatch.setitem(app.config, "SECRET_KEY", "the-rotated-secret-key-of-more-than-32-characters")
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    result = runner.invoke(args=["agents", "reseal"])
    assert result.exit_code == 0 and "resealed 1 second factors" in result.output, result.output
    assert _stored_seed(app, "boss@agency.test") != stored
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])  # the old key is gone: the seed still opens
    assert _staff(app, "boss@agency.test").totp_secret == ref.secret
