"""One-time codes: the second sign-in step when the debtor did not arrive by a reminder link.

A six-digit code goes to the e-mail address or phone number on file, chosen by the
debtor. Only an HMAC of the code (keyed with the app secret) is stored; a code lasts
ten minutes and allows five tries. Sending is throttled per case (one a minute, five
an hour) so nobody can flood a debtor's phone. Messages leave only after commit.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from portal.auth.models import OneTimeCode
from portal.clock import utcnow
from portal.extensions import db
from portal.i18n import best_match, current_locale
from portal.notifications import queue_email, queue_sms

CODE_MINUTES = 10
CODE_TTL = timedelta(minutes=CODE_MINUTES)
MAX_TRIES = 5
#: At most one code per case this often...
RESEND_GAP = timedelta(seconds=60)
#: ...and at most this many per case per hour.
MAX_PER_HOUR = 5
CHANNELS = ("email", "sms")


class SendRefused(Exception):
    """Too many codes asked for this case; `wait_seconds` says when the next one may go."""

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(wait_seconds)
        self.wait_seconds = wait_seconds


class Verdict(enum.Enum):
    """The outcome of entering a code."""

    ok = "ok"
    wrong = "wrong"
    #: No live code: it expired, was replaced, or none was sent.
    expired = "expired"
    #: Five wrong tries: a new code is needed.
    exhausted = "exhausted"


@dataclass(frozen=True)
class CodeCheck:
    """A verdict and, after a wrong code, how many tries are left."""

    verdict: Verdict
    tries_left: int = 0


def attempt_hash(attempt: str) -> str:
    """The stored form of the random sign-in attempt id kept in the session."""
    return hashlib.sha256(attempt.encode()).hexdigest()


def code_hash(code: str) -> str:
    """HMAC-SHA256 of a code under the app secret: a stolen table reveals no code."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"one-time-code:" + code.encode(), hashlib.sha256).hexdigest()


def mask_email(address: str) -> str:
    """m•••@example.fr: enough to recognise one's own address, not to learn someone else's."""
    local, _at, domain = address.rpartition("@")
    return f"{local[:1]}•••@{domain}"


def mask_phone(number: str) -> str:
    """+33 •• •• •• 78: the first two digits after the plus and the last two."""
    digits = number.lstrip("+")
    return f"+{digits[:2]} •• •• •• {digits[-2:]}"


def send_code(
    case_id: int, attempt: str, channel: str, email: str | None, phone: str | None, language: str | None,
    purpose: str = "sign_in",
) -> None:
    """Create a code for this attempt and queue it on `channel`; raises SendRefused when throttled.

    Earlier codes of the attempt stop working. Only flushes: the message goes out
    when the caller commits."""
    if channel not in CHANNELS or (channel == "email" and not email) or (channel == "sms" and not phone):
        raise ValueError(f"channel: {channel!r} is not available for this case")
    now = utcnow()
    recent = db.session.execute(
        select(func.count(OneTimeCode.id), func.max(OneTimeCode.created_at)).where(
            OneTimeCode.case_id == case_id, OneTimeCode.created_at > now - timedelta(hours=1)
        )
    ).one()
    count, latest = recent
    if latest is not None and now - latest < RESEND_GAP:
        raise SendRefused(int((latest + RESEND_GAP - now).total_seconds()) + 1)
    if count >= MAX_PER_HOUR:
        oldest = db.session.scalar(
            select(func.min(OneTimeCode.created_at)).where(
                OneTimeCode.case_id == case_id, OneTimeCode.created_at > now - timedelta(hours=1)
            )
        )
        raise SendRefused(int((oldest + timedelta(hours=1) - now).total_seconds()) + 1)
    db.session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.attempt_hash == attempt_hash(attempt), OneTimeCode.used_at.is_(None))
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    db.session.add(
        OneTimeCode(
            case_id=case_id, attempt_hash=attempt_hash(attempt), channel=channel, code_hash=code_hash(code),
            created_at=now, expires_at=now + CODE_TTL,
        )
    )
    db.session.flush()
    minutes = CODE_MINUTES
    with force_locale(best_match(language) or current_locale()):
        # "contact": confirming a new e-mail or phone (portal.contact), same code rules, own wording.
        if channel == "email":
            subject = (_("Your sign-in code for the payment portal") if purpose == "sign_in"
                       else _("Your code to confirm your new contact details"))
            text = render_template(f"mail/{purpose}_code.txt", code=code, minutes=minutes)
            queue_email(email, subject, text)
        else:
            queue_sms(phone, render_template(f"mail/{purpose}_code_sms.txt", code=code, minutes=minutes).strip())


def check_code(case_id: int, attempt: str, given: str) -> CodeCheck:
    """Check a code typed for this attempt; a right one is spent, a wrong one costs a try."""
    now = utcnow()
    code = db.session.scalar(
        select(OneTimeCode)
        .where(OneTimeCode.case_id == case_id, OneTimeCode.attempt_hash == attempt_hash(attempt))
        .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if code is None or code.used_at is not None or code.expires_at <= now:
        return CodeCheck(Verdict.expired)
    if code.tries >= MAX_TRIES:
        return CodeCheck(Verdict.exhausted)
    if hmac.compare_digest(code_hash(given), code.code_hash):
        code.used_at = now
        db.session.flush()
        return CodeCheck(Verdict.ok)
    code.tries += 1
    db.session.flush()
    if code.tries >= MAX_TRIES:
        return CodeCheck(Verdict.exhausted)
    return CodeCheck(Verdict.wrong, MAX_TRIES - code.tries)


def has_live_code(case_id: int, attempt: str) -> bool:
    """Whether a code was sent for this attempt and can still be entered."""
    found = db.session.scalar(
        select(OneTimeCode.id).where(
            OneTimeCode.case_id == case_id,
            OneTimeCode.attempt_hash == attempt_hash(attempt),
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > utcnow(),
        ).limit(1)
    )
    return found is not None
