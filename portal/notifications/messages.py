"""Building the messages: an RFC 5322 e-mail and a plain SMS, checked before they are queued.

Bad input (a second recipient smuggled in, a header with a line break, a phone number
that is not E.164) raises `ValueError` naming the field, in the request that asked for
the message, rather than failing silently after commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from portal.clock import utcnow

#: E.164: a plus, a country code not starting with 0, at most 15 digits in all.
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
#: Longest SMS text we hand to a provider (ten concatenated GSM segments).
MAX_SMS_LENGTH = 1530


@dataclass(frozen=True)
class Sms:
    """A text message to one phone number."""

    to: str
    text: str
    #: Unique id, also sent to providers as an idempotency key.
    message_id: str


def _single_address(value: str, field: str) -> str:
    """The bare address in `value`, which must name exactly one mailbox."""
    if not isinstance(value, str) or "\r" in value or "\n" in value or "," in value or ";" in value:
        raise ValueError(f"{field}: must be exactly one e-mail address")
    _name, address = parseaddr(value)
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain or " " in address:
        raise ValueError(f"{field}: {value!r} is not an e-mail address")
    return address


def domain_of(address: str) -> str:
    """The part after the @, the only piece of a recipient we ever log."""
    return address.rpartition("@")[2].lower() or "?"


def build_email(sender: str, to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """A UTF-8 plain-text e-mail, with an HTML alternative when given, ready for SMTP."""
    from_address = _single_address(sender, "MAIL_FROM")
    _single_address(to, "to")
    if not subject or "\r" in subject or "\n" in subject:
        raise ValueError("subject: must be one non-empty line")
    if not text:
        raise ValueError("text: must not be empty")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=Address(addr_spec=from_address).domain)
    msg["MIME-Version"] = "1.0"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to us
    msg.set_content(text, charset="utf-8")
    if html:
        msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def build_sms(to: str, text: str) -> Sms:
    """An SMS to an E.164 number."""
    if not isinstance(to, str) or not E164.fullmatch(to):
        raise ValueError(f"to: {to!r} is not an E.164 phone number such as +33612345678")
    if not text or not text.strip():
        raise ValueError("text: must not be empty")
    if len(text) > MAX_SMS_LENGTH:
        raise ValueError(f"text: at most {MAX_SMS_LENGTH} characters, got {len(text)}")
    return Sms(to=to, text=text, message_id=make_msgid(domain="sms.portal").strip("<>"))


def masked_phone(number: str) -> str:
    """The country-code end of a number, the only piece of an SMS recipient we ever log."""
    return number[:3] + "…"
