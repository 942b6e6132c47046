"""Staff accounts: argon2id passwords, TOTP second factor, lockout after repeated failures.

Every password check does one argon2 verification, even for an unknown e-mail or a
locked account (against a dummy hash), so the answer and its timing do not tell
which of the three it was. Failed passwords and codes share one counter per account:
`MAX_FAILURES` of them lock it for `LOCK_MINUTES`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, select, update

from portal.agent.models import Staff, StaffRole
from portal.clock import utcnow
from portal.extensions import db

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12
#: Shown in authenticator apps next to the account.
TOTP_ISSUER = "Payment portal back office"
#: Codes of the previous and next 30-second step are accepted too (clock drift on phones).
TOTP_WINDOW = 1

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = hasher.hash("not a real password, only spends the same time")


class AccountError(ValueError):
    """A staff account cannot be created or changed as asked; the message says why."""


@dataclass(frozen=True)
class PasswordCheck:
    """The outcome of the first sign-in step; `staff` is set only on success."""

    staff: Staff | None
    #: For the audit log only (never shown): unknown, wrong, locked, disabled.
    reason: str | None = None


def normalise_email(raw: str) -> str:
    """Trimmed and lower case, as `staff.email` is stored."""
    return (raw or "").strip().lower()


def check_new_password(password: str, email: str) -> None:
    """Refuse a password that is too short or is the e-mail address."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    lowered = password.strip().lower()
    if lowered == normalise_email(email) or lowered == normalise_email(email).partition("@")[0]:
        raise AccountError("the password must not be the e-mail address")


def find(email: str) -> Staff | None:
    """The account with this e-mail (any spelling of its case), or None."""
    return db.session.scalar(select(Staff).where(Staff.email == normalise_email(email)))


def create(email: str, role: StaffRole, password: str, with_totp: bool = False) -> Staff:
    """A new account; supervisors always get a TOTP secret. Flushes only."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise AccountError(f"{email!r} is not an e-mail address")
    if find(email) is not None:
        raise AccountError(f"an account for {email} already exists")
    check_new_password(password, email)
    staff = Staff(email=email, role=role, password_hash=hasher.hash(password))
    if role == StaffRole.supervisor or with_totp:
        staff.totp_secret = pyotp.random_base32()
    db.session.add(staff)
    db.session.flush()
    return staff


def reset_totp(staff: Staff) -> str:
    """Give the account a new TOTP secret (the old phone stops working); returns the new secret."""
    staff.totp_secret = pyotp.random_base32()
    staff.totp_last_step = None
    db.session.flush()
    return staff.totp_secret


def provisioning_uri(staff: Staff) -> str:
    """The otpauth:// URI an authenticator app reads (shown once, at creation or reset)."""
    if staff.totp_secret is None:
        raise AccountError(f"{staff.email} has no second factor")
    return pyotp.TOTP(staff.totp_secret).provisioning_uri(name=staff.email, issuer_name=TOTP_ISSUER)


def is_locked(staff: Staff, now: datetime | None = None) -> bool:
    """Whether sign-in is refused for now because of repeated failures."""
    return staff.locked_until is not None and (now or utcnow()) < staff.locked_until


def check_password(email: str, password: str) -> PasswordCheck:
    """Step one of sign-in; counts a failure on a known account. Flushes only."""
    staff = find(email)
    now = utcnow()
    if staff is None:
        _verify(_DUMMY_HASH, password)
        return PasswordCheck(None, "unknown")
    matches = _verify(staff.password_hash, password)
    if not staff.active:
        return PasswordCheck(None, "disabled")
    if is_locked(staff, now):
        return PasswordCheck(None, "locked")
    if not matches:
        return PasswordCheck(None, "locked" if count_failure(staff, now) else "wrong")
    if hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = hasher.hash(password)
    return PasswordCheck(staff)


def check_totp(staff: Staff, code: str, now: datetime | None = None) -> bool:
    """Step two: a current code not used before; a wrong one counts as a failure. Flushes only."""
    now = now or utcnow()
    if staff.totp_secret is None or is_locked(staff, now) or not staff.active:
        return False
    totp = pyotp.TOTP(staff.totp_secret)
    step = totp.timecode(now)
    for offset in range(-TOTP_WINDOW, TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            if staff.totp_last_step is not None and step + offset <= staff.totp_last_step:
                break  # a replayed (or older) code counts as a failure
            staff.totp_last_step = step + offset
            return True
    count_failure(staff, now)
    return False


def count_failure(staff: Staff, now: datetime) -> bool:
    """Add a failure in one atomic statement; the MAX_FAILURES-th locks the account for
    LOCK_MINUTES and starts the count afresh. True if this failure locked it."""
    reached = Staff.failed_attempts + 1 >= MAX_FAILURES
    locked_until = db.session.execute(
        update(Staff).where(Staff.id == staff.id)
        .values(
            failed_attempts=case((reached, 0), else_=Staff.failed_attempts + 1),
            locked_until=case((reached, now + timedelta(minutes=LOCK_MINUTES)), else_=Staff.locked_until),
        )
        .returning(Staff.locked_until),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    db.session.refresh(staff)
    return locked_until is not None and locked_until > now


def signed_in(staff: Staff) -> None:
    """Reset the failure counter and note the time of a completed sign-in. Flushes only."""
    staff.failed_attempts = 0
    staff.locked_until = None
    staff.last_sign_in_at = utcnow()
    db.session.flush()


def _verify(password_hash: str, password: str) -> bool:
    """argon2 verification that answers False rather than raising."""
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
