"""Passwords are argon2id and checked without telling accounts apart; TOTP codes are single-use."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy.exc import IntegrityError

from portal.agent import accounts
from portal.agent.models import AuditEntry, Staff, StaffRole
from portal.extensions import db
from tests.agent.conftest import PASSWORD


def test_password_is_stored_as_argon2id_and_checked(ctx):
    staff = accounts.create("  Anne@Agency.TEST ", StaffRole.agent, PASSWORD)
    assert staff.email == "anne@agency.test"
    assert staff.password_hash.startswith("$argon2id$")
    assert PASSWORD not in staff.password_hash
    assert accounts.check_password("ANNE@agency.test", PASSWORD).staff is staff
    wrong = accounts.check_password("anne@agency.test", PASSWORD + "!")
    assert wrong.staff is None and wrong.reason == "wrong"
    assert accounts.check_password("nobody@agency.test", PASSWORD).reason == "unknown"


def test_hash_with_old_parameters_is_replaced_at_sign_in(ctx):
    staff = accounts.create("anne@agency.test", StaffRole.agent, PASSWORD)
    staff.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    db.session.flush()
    old = staff.password_hash
    assert accounts.check_password(staff.email, PASSWORD).staff is staff
    assert staff.password_hash != old and not accounts.hasher.check_needs_rehash(staff.password_hash)


@pytest.mark.parametrize(
    ("password", "message"),
    [("short pass", "at least 12"), ("anne@agency.test", "e-mail"), ("ANNE@AGENCY.TEST", "e-mail")],
)
def test_weak_passwords_are_refused(ctx, password, message):
    with pytest.raises(accounts.AccountError, match=message):
        accounts.create("anne@agency.test", StaffRole.agent, password)
    assert db.session.query(Staff).count() == 0


def test_duplicate_and_malformed_emails_are_refused(ctx):
    accounts.create("anne@agency.test", StaffRole.agent, PASSWORD)
    with pytest.raises(accounts.AccountError, match="already exists"):
        accounts.create("ANNE@agency.test", StaffRole.supervisor, PASSWORD)
    with pytest.raises(accounts.AccountError, match="not an e-mail"):
        accounts.create("anne", StaffRole.agent, PASSWORD)


def test_supervisors_always_get_a_second_factor_and_the_database_insists(ctx):
    boss = accounts.create("boss@agency.test", StaffRole.supervisor, PASSWORD)
    assert boss.totp_secret and accounts.provisioning_uri(boss).startswith("otpauth://totp/")
    assert accounts.create("anne@agency.test", StaffRole.agent, PASSWORD).totp_secret is None
    db.session.add(Staff(email="x@agency.test", role=StaffRole.supervisor, password_hash="x", totp_secret=None))
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_totp_accepts_neighbouring_steps_once_each(ctx):
    staff = accounts.create("boss@agency.test", StaffRole.supervisor, PASSWORD)
    now = datetime(2026, 11, 26, 10, 0, 10, tzinfo=UTC)
    totp = pyotp.TOTP(staff.totp_secret)
    assert accounts.check_totp(staff, totp.at(now, counter_offset=-1), now)  # phone 30 s late
    assert accounts.check_totp(staff, totp.at(now), now)
    assert not accounts.check_totp(staff, totp.at(now), now)  # replayed
    assert not accounts.check_totp(staff, totp.at(now, counter_offset=-1), now)  # older than the last one
    assert not accounts.check_totp(staff, totp.at(now + timedelta(minutes=5)), now)  # far future
    assert staff.failed_attempts == 3


def test_five_failures_lock_for_fifteen_minutes_whatever_the_password(ctx):
    staff = accounts.create("anne@agency.test", StaffRole.agent, PASSWORD)
    reasons = [accounts.check_password(staff.email, f"wrong {i}").reason for i in range(5)]
    assert reasons == ["wrong"] * 4 + ["locked"]
    assert accounts.check_password(staff.email, PASSWORD).reason == "locked"
    assert staff.locked_until is not None


def test_audit_log_is_append_only(ctx):
    entry = AuditEntry(action="case.view", target="AK-1", details={})
    db.session.add(entry)
    db.session.flush()
    entry.action = "something else"
    with pytest.raises(ValueError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.add(entry := AuditEntry(action="case.view", target="AK-1", details={}))
    db.session.flush()
    db.session.delete(entry)
    with pytest.raises(ValueError, match="append-only"):
        db.session.flush()


def test_every_outcome_spends_exactly_one_argon2_verification(ctx, monkeypatch):
    """Unknown, wrong, locked, disabled and right all cost the same work (no timing oracle)."""
    accounts.create("anne@agency.test", StaffRole.agent, PASSWORD)
    locked = accounts.create("locked@agency.test", StaffRole.agent, PASSWORD)
    locked.locked_until = datetime.now(UTC) + timedelta(minutes=5)
    disabled = accounts.create("gone@agency.test", StaffRole.agent, PASSWORD)
    disabled.active = False
    db.session.flush()
    calls = []

    class CountingHasher:
        """The real hasher, noting every verification."""

        def verify(self, password_hash, password):
            calls.append(password_hash)
            return real.verify(password_hash, password)

        def __getattr__(self, name):
            return getattr(real, name)

    real = accounts.hasher
    monkeypatch.setattr(accounts, "hasher", CountingHasher())
    for email, password in [("nobody@agency.test", PASSWORD), ("anne@agency.test", "wrong password"),
                            ("locked@agency.test", PASSWORD), ("gone@agency.test", PASSWORD),
                            ("anne@agency.test", PASSWORD)]:
        calls.clear()
        accounts.check_password(email, password)
        assert len(calls) == 1 and calls[0].startswith("$argon2id$"), email
