"""The back-office audit log: every agent action, written in the action's own transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import select

from portal.agent.models import AuditEntry, Staff
from portal.extensions import db

#: Longest target kept (an e-mail typed at sign-in can be anything).
TARGET_MAX = 320


def audit(staff: Staff | None, action: str, target: str | None = None, **details: Any) -> AuditEntry:
    """Record that `staff` did `action` on `target`; `details` say what changed. Flushes only.

    Call it before the commit that makes the action happen, so both land or neither does.
    """
    entry = AuditEntry(
        staff_id=staff.id if staff is not None else None,
        action=action,
        target=target[:TARGET_MAX] if target else None,
        details=details,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def entries_about(target: str, limit: int = 100) -> list[AuditEntry]:
    """What staff did about one target (e.g. a case reference), newest first."""
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.target == target)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        )
    )
