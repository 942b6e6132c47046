"""Reminder links: issue a random token bound to a case, resolve it, spend it once.

The token (256 bits, URL-safe) exists only in the URL given to the debtor; the
database keeps its SHA-256. Resolving hashes the presented token and looks the hash
up, so no comparison ever runs over the secret itself.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from portal.cases.models import Case, CaseExport, CaseStatus
from portal.cases.references import normalise_reference
from portal.clock import utcnow
from portal.extensions import db
from portal.links.models import ReminderLink

#: Bytes of randomness in a token: 256 bits, 43 URL-safe characters.
TOKEN_BYTES = 32
#: Longest token we bother hashing; anything longer cannot be one of ours.
MAX_TOKEN_LENGTH = 128



class CaseNotFound(LookupError):
    """No case has this reference."""


class CaseNotOpen(ValueError):
    """The case exists but is not open, so no link is issued for it."""

    def __init__(self, reference: str, status: str) -> None:
        super().__init__(reference, status)
        self.reference, self.status = reference, status


def new_token() -> str:
    """A fresh random token for a URL."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> bytes:
    """The SHA-256 (32 bytes) stored in place of the token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def url_for_token(token: str) -> str:
    """The absolute link printed in letters, e-mails and SMS."""
    return f"{current_app.config['PORTAL_BASE_URL']}/l/{token}"


def expiry(issued_at: datetime, ttl_days: int) -> datetime:
    """When a link issued at `issued_at` stops working: `ttl_days` later, to the second."""
    return issued_at.replace(microsecond=0) + timedelta(days=ttl_days)


def find_open_case(reference: str) -> Case:
    """The case with this reference, if it is open; raises CaseNotFound or CaseNotOpen."""
    reference = normalise_reference(reference)
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        raise CaseNotFound(reference)
    status = db.session.scalar(select(CaseExport.status).where(CaseExport.id == case.current_export_id))
    if status != CaseStatus.open:
        raise CaseNotOpen(reference, str(status) if status else "no export")
    return case


def issue(case: Case) -> tuple[str, ReminderLink]:
    """Create a link for `case` (flushed, not committed) and return the raw token with it."""
    token = new_token()
    now = utcnow().replace(microsecond=0)
    link = ReminderLink(
        token_hash=hash_token(token), case_id=case.id, created_at=now,
        expires_at=expiry(now, case.creditor.link_ttl_days),
    )
    db.session.add(link)
    db.session.flush()
    return token, link


def resolve(token: str | None) -> ReminderLink | None:
    """The link for this token if it exists, has not expired and was never used."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    link = db.session.scalar(select(ReminderLink).where(ReminderLink.token_hash == hash_token(token)))
    if link is None or link.used_at is not None or utcnow() >= link.expires_at:
        return None
    return link


def mark_used(link: ReminderLink) -> bool:
    """Spend the link so it cannot sign anyone in again; False if another request spent it first."""
    now = utcnow()
    # One conditional UPDATE, so two concurrent sign-ins cannot both spend the same link.
    result = db.session.execute(
        update(ReminderLink)
        .where(ReminderLink.id == link.id, ReminderLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(link, "used_at", now)
    return True
