"""The knowledge step of sign-in: case reference plus date of birth or postcode.

Every attempt does the same database work whatever the outcome, so nobody can tell
an unknown reference, a wrong answer, a closed case or a locked case apart by the
response or its timing: one lookup of the case, one locked read of the failure
counter, then (on failure) one upsert of that counter. Counters are keyed by the
reference as typed, reduced to letters and digits, so unknown references are counted
too and every spelling of one reference shares one counter.

This is knowledge-based authentication, a documented deviation from ASVS 5.0 6.4.2:
on its own it opens at most a low-assurance session (masked details), and only when
the creditor allows it; otherwise a reminder link or a one-time code must follow.
The hard cap of VERIFICATION_MAX_FAILURES (10) per reference, not per IP, keeps the
chance of guessing a date of birth near 0.05%.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import case as sql_case, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from portal.auth.models import VerificationThrottle
from portal.cases.models import Case, CaseExport, CaseStatus, Debtor
from portal.cases.references import normalise_reference
from portal.clock import utcnow
from portal.creditors.models import Creditor
from portal.extensions import db
from portal.links.models import ReminderLink

audit = logging.getLogger("portal.audit")

#: What a well-formed reference looks like once upper-cased and without spaces.
REFERENCE_FORMAT = re.compile(r"[A-Z0-9-]{6,32}")
throttles = VerificationThrottle.__table__


@dataclass(frozen=True)
class CaseFacts:
    """What sign-in needs to know about the matched case (plain values, no ORM objects)."""

    case_id: int
    reference: str
    debtor_id: int
    email: str | None
    phone: str | None
    language: str | None
    allow_knowledge_only: bool


@dataclass(frozen=True)
class KnowledgeResult:
    """The outcome of one knowledge-step attempt; `case` is set only on success."""

    case: CaseFacts | None
    #: Why it failed, for the audit log only (never shown): unknown, wrong, closed, locked.
    reason: str | None = None
    #: This failure reached the limit and closed the knowledge step for the reference.
    locked_now: bool = False


def throttle_key(reference: str) -> str:
    """The failure-counter key: the normalised reference without dashes (like `lookup_key`)."""
    return reference.replace("-", "")


def normalise_postcode(raw: str | None) -> str:
    """Upper case without spaces, so "sw1a 1aa" matches "SW1A 1AA"."""
    return re.sub(r"\s+", "", raw or "").upper()


def _digest(value: str) -> bytes:
    """A fixed-length digest, so the comparison below takes the same time for any input."""
    return hashlib.sha256(value.encode("utf-8")).digest()


def _factor_matches(expected: str, given: str) -> bool:
    """Constant-time comparison of a known factor with the given one."""
    return hmac.compare_digest(_digest(expected), _digest(given))


def check_knowledge(
    reference: str, birth_date: date | None, postcode: str | None, link: ReminderLink | None
) -> KnowledgeResult:
    """Check one attempt and record it: a failure is counted, a success resets the counter.

    `reference` must be normalised and well formed. `link` is the valid reminder link
    held in the session, if any: when it belongs to the matched case it opens a
    locked knowledge step. Only flushes; the caller commits.
    """
    key = throttle_key(reference)
    rows = db.session.execute(
        select(
            Case.id, Case.reference, Case.debtor_id, Debtor.birth_date, Debtor.postcode, Debtor.email,
            Debtor.phone, Debtor.language, CaseExport.status, Creditor.allow_knowledge_only,
        )
        .join(Debtor, Debtor.id == Case.debtor_id)
        .join(Creditor, Creditor.id == Case.creditor_id)
        .join(CaseExport, CaseExport.id == Case.current_export_id)
        .where(or_(Case.reference == reference, Case.lookup_key == key))
    ).all()
    exact = [r for r in rows if r.reference == reference]
    # An exact match wins; a dash-free spelling counts only when it names one case.
    row = exact[0] if exact else (rows[0] if len(rows) == 1 else None)
    throttle = db.session.execute(
        select(throttles.c.failures, throttles.c.locked_at).where(throttles.c.reference == key).with_for_update()
    ).one_or_none()

    # The same comparison runs for an unknown reference, against a value nobody can type.
    expected = "\x00unknown"
    given = ""
    if row is not None:
        if row.birth_date is not None:
            expected, given = row.birth_date.isoformat(), birth_date.isoformat() if birth_date else ""
        elif row.postcode:
            expected, given = normalise_postcode(row.postcode), normalise_postcode(postcode)
    matches = _factor_matches(expected, given)

    locked = throttle is not None and throttle.locked_at is not None
    link_opens = row is not None and link is not None and link.case_id == row.id
    if row is None:
        reason = "unknown"
    elif row.status == CaseStatus.closed:
        reason = "closed"
    elif not matches:
        reason = "wrong"
    elif locked and not link_opens:
        reason = "locked"
    else:
        reason = None

    if reason is not None:
        return KnowledgeResult(None, reason, locked_now=_count_failure(key))
    if throttle is not None:  # a success resets the failure counter (most have none to reset)
        db.session.execute(delete(VerificationThrottle).where(VerificationThrottle.reference == key))
    return KnowledgeResult(
        CaseFacts(row.id, row.reference, row.debtor_id, row.email, row.phone, row.language, row.allow_knowledge_only)
    )


def _count_failure(key: str) -> bool:
    """Add one failure to the counter of `key`, closing the step at the limit; True if this one closed it."""
    now = utcnow()
    limit = current_app.config["VERIFICATION_MAX_FAILURES"]
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(throttles).values(
        reference=key, failures=1, last_failure_at=now, locked_at=now if limit <= 1 else None
    )
    failures = throttles.c.failures + 1
    stmt = stmt.on_conflict_do_update(
        index_elements=[throttles.c.reference],
        set_={
            "failures": failures,
            "last_failure_at": now,
            # Keep the first lock time; set it when this failure reaches the limit.
            "locked_at": sql_case(
                (throttles.c.locked_at.is_not(None), throttles.c.locked_at),
                (failures >= limit, now),
                else_=None,
            ),
        },
    )
    failures = db.session.execute(stmt.returning(throttles.c.failures)).scalar_one()
    return failures == limit


def is_locked(reference: str) -> bool:
    """Whether the knowledge step is closed for this (normalised) reference."""
    locked_at = db.session.scalar(
        select(throttles.c.locked_at).where(throttles.c.reference == throttle_key(reference))
    )
    return locked_at is not None


def unlock(reference: str) -> bool:
    """Reopen the knowledge step for a reference (operator action); False if it was not locked."""
    key = throttle_key(normalise_reference(reference))
    result = db.session.execute(
        delete(VerificationThrottle).where(
            VerificationThrottle.reference == key, VerificationThrottle.locked_at.is_not(None)
        )
    )
    return result.rowcount > 0


def log_event(event: str, reference: str, ip: str | None, **fields: str) -> None:
    """One audit line: the event, the case reference and the IP; never a factor, code or token."""
    extra = "".join(f" {name}={_clean(value)}" for name, value in sorted(fields.items()))
    audit.info("%s reference=%s ip=%s%s", event, _clean(reference), _clean(ip or "-"), extra)


def _clean(value: str) -> str:
    """Printable ASCII only, so a crafted value cannot forge a log line."""
    return re.sub(r"[^\x21-\x7e]", "?", str(value))[:64]
