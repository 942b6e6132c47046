"""Messages wait on the database session and leave only after it commits.

Each queued message remembers the (possibly nested) transaction it was queued in.
A rollback drops what that transaction and its savepoints queued; the outermost
commit sends the rest. A failure to send is logged with the recipient's domain
only (bodies hold one-time codes and links) and never reaches the caller.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.orm import SessionTransaction

from portal.extensions import db
from portal.notifications.messages import Sms, build_email, build_sms, domain_of, masked_phone

log = logging.getLogger("portal.notifications")
_KEY = "portal_outbox"


@dataclass
class _Pending:
    """One message waiting for its transaction to commit."""

    message: EmailMessage | Sms
    transaction: SessionTransaction | None


def queue_email(to: str, subject: str, text: str, html: str | None = None,
                attachments: list[tuple[str, str, bytes]] = ()) -> None:
    """Send an e-mail once the current database transaction commits (never if it rolls back).

    `attachments`: (filename, MIME type such as "text/calendar", content) each.
    """
    message = build_email(current_app.config["MAIL_FROM"], to, subject, text, html)
    for filename, mime, content in attachments:
        maintype, _slash, subtype = mime.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    _queue(message)


def queue_sms(to: str, text: str) -> None:
    """Send an SMS once the current database transaction commits (never if it rolls back)."""
    _queue(build_sms(to, text))


def pending_count() -> int:
    """How many messages wait on the current session (for tests and diagnostics)."""
    return len(db.session.info.get(_KEY, []))


def _queue(message: EmailMessage | Sms) -> None:
    """Attach the message to the innermost transaction of the current session."""
    session = db.session()
    # Begin now if nothing has yet (no SQL is emitted), so a rollback has something to undo.
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_KEY, []).append(_Pending(message, transaction))


def _after_commit(session: Session) -> None:
    """The outermost transaction committed: send everything it queued."""
    pending = session.info.pop(_KEY, None)
    if not pending:
        return
    try:
        _deliver([p.message for p in pending])
    except Exception as exc:  # the data is committed: the caller must not see an error now
        log.error("%d notification(s) not delivered: %s", len(pending), _describe(exc))


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    """Drop the messages queued in the transaction that was rolled back (or its savepoints)."""
    pending = session.info.get(_KEY)
    if not pending:
        return
    if not previous.nested:
        session.info.pop(_KEY, None)
        return
    session.info[_KEY] = [p for p in pending if not _inside(p.transaction, previous)]


def _inside(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    """Whether `transaction` is `ancestor` or one of its nested transactions."""
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _deliver(messages: list[EmailMessage | Sms]) -> None:
    """Hand the messages to the configured senders; log failures without their content."""
    senders = current_app.extensions["portal_senders"]
    emails = [m for m in messages if isinstance(m, EmailMessage)]
    if emails:
        try:
            senders.mail.send(emails)
        except Exception as exc:  # a mail outage must not break the request that committed
            domains = sorted({domain_of(str(m["To"])) for m in emails})
            log.warning("e-mail not sent to %s: %s", ", ".join(domains), _describe(exc))
    for sms in (m for m in messages if isinstance(m, Sms)):
        try:
            senders.sms.send(sms)
        except Exception as exc:
            log.warning("SMS not sent to %s: %s", masked_phone(sms.to), _describe(exc))


def _describe(exc: Exception) -> str:
    """The kind of failure, without server replies that might echo an address or the body."""
    code = getattr(exc, "smtp_code", None) or getattr(exc, "code", None)
    return f"{type(exc).__name__}" + (f" {code}" if isinstance(code, int) else "")


def install_session_hooks() -> None:
    """Listen on Flask-SQLAlchemy's session class once per process."""
    for name, fn in (("after_commit", _after_commit), ("after_soft_rollback", _after_soft_rollback)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)
