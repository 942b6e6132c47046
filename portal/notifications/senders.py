"""Senders behind two small interfaces, chosen by `MAIL_URL` and `SMS_URL`.

E-mail (`MAIL_URL`):
  smtp://[user:pass@]host:port[?starttls=1]   plain SMTP, optionally upgraded with STARTTLS
  smtps://[user:pass@]host:port               SMTP over implicit TLS
  file:///dir                                 one RFC 5322 `.eml` file per message (development)

SMS (`SMS_URL`):
  file:///dir                   one `.json` file per message (development)
  https://TOKEN@host/path       JSON POST to a provider gateway (http:// only to a loopback host)

The gateway payload, one request per message::

    POST /path  Authorization: Bearer TOKEN  Content-Type: application/json
    Idempotency-Key: <id>
    {"id": "<unique message id>", "to": "+33612345678", "text": "..."}

Any 2xx answer means accepted; anything else, or no answer within the timeout, is a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from portal.clock import utcnow
from portal.notifications.messages import Sms

#: Seconds to wait for a mail server or SMS gateway before giving up.
TIMEOUT = 10
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_counter = itertools.count()


class DeliveryError(RuntimeError):
    """A provider refused a message; `code` is its status code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class Mailer(Protocol):
    def send(self, messages: list[EmailMessage]) -> None:
        """Deliver the messages, raising on the first failure."""


class SmsSender(Protocol):
    def send(self, message: Sms) -> None:
        """Deliver one SMS, raising on failure."""


@dataclass
class Senders:
    """What `init_app` stores in `app.extensions["portal_senders"]`."""

    mail: Mailer
    sms: SmsSender


def _sortable_name(suffix: str) -> str:
    """A file name that sorts by creation time, unique within and across processes."""
    return f"{utcnow():%Y%m%dT%H%M%S%fZ}-{os.getpid()}-{next(_counter):06d}{suffix}"


def _write_atomically(directory: Path, name: str, data: bytes) -> Path:
    """Write to a temporary name, then rename, so readers never see half a message."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{name}.tmp"
    tmp.write_bytes(data)
    return tmp.replace(directory / name)


class FileMailer:
    """Development: each message becomes an `.eml` file you can open in a mail client."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def send(self, messages: list[EmailMessage]) -> None:
        """Write one file per message."""
        for msg in messages:
            _write_atomically(self.directory, _sortable_name(".eml"), msg.as_bytes(policy=policy.SMTP))


class SmtpMailer:
    """SMTP with optional STARTTLS or implicit TLS, one connection per batch."""

    def __init__(self, host: str, port: int, *, implicit_tls: bool, starttls: bool,
                 username: str | None, password: str | None) -> None:
        self.host, self.port = host, port
        self.implicit_tls, self.starttls = implicit_tls, starttls
        self.username, self.password = username, password

    def send(self, messages: list[EmailMessage]) -> None:
        """Open one connection, send every message, close."""
        context = ssl.create_default_context()
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
        with smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password or "")
            for msg in messages:
                smtp.send_message(msg)


class FileSms:
    """Development: each SMS becomes a `.json` file."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def send(self, message: Sms) -> None:
        """Write one file."""
        body = {"id": message.message_id, "to": message.to, "text": message.text,
                "created_at": utcnow().isoformat()}
        data = json.dumps(body, ensure_ascii=False, indent=2).encode()
        _write_atomically(self.directory, _sortable_name(".json"), data)


class HttpSms:
    """A provider gateway taking the JSON payload documented at the top of this module."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    def send(self, message: Sms) -> None:
        """POST the message; raise unless the gateway answers 2xx."""
        payload = json.dumps({"id": message.message_id, "to": message.to, "text": message.text}).encode()
        request = urllib.request.Request(self.url, data=payload, method="POST", headers={
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": message.message_id,
        })
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            exc.close()  # holds the socket; the gateway's reply text may echo the message, so drop it
            raise DeliveryError(f"SMS gateway answered {exc.code}", exc.code) from None


def _file_dir(parts) -> str:
    """The directory of a file:///dir URL."""
    if parts.netloc not in ("", "localhost") or not parts.path:
        raise ValueError("file URLs look like file:///absolute/directory")
    return unquote(parts.path)


def build_mailer(url: str) -> Mailer:
    """The mailer a `MAIL_URL` describes; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileMailer(_file_dir(parts))
    if parts.scheme in ("smtp", "smtps"):
        if not parts.hostname:
            raise ValueError(f"MAIL_URL: no host in {parts.scheme}:// URL")
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["0"])[-1].lower() in ("1", "true", "yes")
        return SmtpMailer(
            parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25),
            implicit_tls=parts.scheme == "smtps", starttls=starttls and parts.scheme == "smtp",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )
    raise ValueError(f"MAIL_URL: unsupported scheme {parts.scheme!r} (use smtp, smtps or file)")


def build_sms_sender(url: str) -> SmsSender:
    """The SMS sender an `SMS_URL` describes; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileSms(_file_dir(parts))
    if parts.scheme in ("https", "http"):
        if not parts.hostname or not parts.username:
            raise ValueError("SMS_URL: use https://TOKEN@host/path")
        if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
            raise ValueError("SMS_URL: plain http is only allowed to a loopback host; use https")
        netloc = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        if ":" in parts.hostname:
            netloc = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port else "")
        target = f"{parts.scheme}://{netloc}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
        return HttpSms(target, unquote(parts.username))
    raise ValueError(f"SMS_URL: unsupported scheme {parts.scheme!r} (use https or file)")
