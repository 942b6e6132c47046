"""Writing to and reading a debtor's message thread, and announcing each new message.

Services flush only; the view commits once. The announcement e-mails carry no content
(a link instead) and are queued on the session, so they leave only after that commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import aliased, selectinload
from werkzeug.datastructures import FileStorage

from portal.agent.models import Staff
from portal.cases.models import Debtor
from portal.extensions import db
from portal.i18n import best_match
from portal.messages.models import Author, Message, MessageAttachment
from portal.notifications import queue_email, queue_sms
from portal.uploads import save_uploads

#: Longest message accepted, in characters.
BODY_MAX = 5000
#: A form's submission id: what `secrets.token_urlsafe(16)` gives (22 characters), or up to 43.
SUBMISSION = re.compile(r"[A-Za-z0-9_-]{16,43}")


class MessageError(ValueError):
    """A message cannot be sent as written; `message` is translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Unanswered:
    """A debtor waiting for an answer: since when, and how many messages."""

    debtor_id: int
    name: str
    waiting_since: datetime
    count: int


def thread(debtor_id: int) -> list[Message]:
    """The debtor's whole thread, oldest first, with the attachments loaded."""
    return list(db.session.scalars(
        select(Message).where(Message.debtor_id == debtor_id)
        .options(selectinload(Message.attachments)).order_by(Message.id)
    ))


def _clean(body: str | None) -> str:
    """The message without surrounding blanks; MessageError if empty or too long."""
    body = (body or "").strip()
    if not body:
        raise MessageError(_("Please write your message."))
    if len(body) > BODY_MAX:
        raise MessageError(_("Please keep your message to %(max)d characters.", max=BODY_MAX))
    return body


def submission_id(value: str | None) -> str | None:
    """A form's submission id as sent, or None when absent or not one of ours (then nothing is deduplicated)."""
    return value if value and SUBMISSION.fullmatch(value) else None


def sent_already(debtor: Debtor, submission: str | None) -> Message | None:
    """The message this same form already made, if it was sent before."""
    if submission is None:
        return None
    return db.session.scalar(select(Message).where(Message.debtor_id == debtor.id, Message.submission == submission))


def write_as_debtor(debtor: Debtor, body: str | None, files: list[FileStorage], submission: str | None = None) -> Message:
    """Add the debtor's message with its attachments and tell the agents; flushes only.

    The same form sent again returns the message it made, adding nothing (nor its files).
    Raises MessageError for the words, UploadError for a refused file (nothing is kept then)."""
    submission = submission_id(submission)
    earlier = sent_already(debtor, submission)
    if earlier is not None:
        return earlier
    message = Message(debtor_id=debtor.id, author=Author.debtor, body=_clean(body), submission=submission)
    db.session.add(message)
    db.session.flush()
    for upload in save_uploads(files, debtor.id):
        db.session.add(MessageAttachment(message_id=message.id, upload_id=upload.id))
    db.session.flush()
    _tell_agents(debtor)
    return message


def write_as_agent(staff: Staff, debtor: Debtor, body: str | None, submission: str | None = None) -> Message:
    """Add an agent's answer and tell the debtor (without the content); flushes only. Sent again: nothing new."""
    submission = submission_id(submission)
    earlier = sent_already(debtor, submission)
    if earlier is not None:
        return earlier
    message = Message(debtor_id=debtor.id, author=Author.agent, staff_id=staff.id, body=_clean(body),
                      submission=submission)
    db.session.add(message)
    db.session.flush()
    _tell_debtor(debtor)
    return message


def _tell_agents(debtor: Debtor) -> None:
    """Queue a content-free e-mail to AGENT_INBOX, when one is configured."""
    inbox = current_app.config.get("AGENT_INBOX")
    if not inbox:
        return
    url = f"{current_app.config['PORTAL_BASE_URL']}/agent/debtors/{debtor.id}/messages"
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("New message from a debtor")
        text = render_template("mail/message_for_agents.txt", url=url)
    queue_email(inbox, subject, text)


def _tell_debtor(debtor: Debtor) -> None:
    """Queue a content-free notice in the debtor's language: by e-mail, else by SMS, else none."""
    url = f"{current_app.config['PORTAL_BASE_URL']}/messages"
    locale = best_match(debtor.language) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        if debtor.email:
            subject = _("You have a new message in your payment portal")
            queue_email(debtor.email, subject, render_template("mail/message_for_debtor.txt", url=url))
        elif debtor.phone:
            queue_sms(debtor.phone, _("You have a new message in your payment portal: %(url)s", url=url))


def unanswered(limit: int = 50) -> list[Unanswered]:
    """Debtors whose latest messages have no agent answer yet, longest waiting first."""
    answer = aliased(Message)
    waiting = (
        select(Message.debtor_id, func.min(Message.created_at).label("since"), func.count().label("n"))
        .where(Message.author == Author.debtor,
               ~exists().where(and_(answer.debtor_id == Message.debtor_id, answer.author == Author.agent,
                                    answer.id > Message.id)))
        .group_by(Message.debtor_id).subquery()
    )
    rows = db.session.execute(
        select(waiting.c.debtor_id, Debtor.name, waiting.c.since, waiting.c.n)
        .join(Debtor, Debtor.id == waiting.c.debtor_id)
        .order_by(waiting.c.since, waiting.c.debtor_id).limit(limit)
    )
    return [Unanswered(debtor_id, name, since, n) for debtor_id, name, since, n in rows]
