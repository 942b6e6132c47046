"""How a batch reaches the ledger: HTTPS in production, an append-only JSON Lines file locally.

A transport takes the raw body and returns an `Answer` (status, parsed JSON, Retry-After),
or raises `TransportError` for timeouts, refused and dropped connections. The relay
decides what each answer means; transports know nothing about the outbox.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

from portal.clock import utcnow


class TransportError(Exception):
    """The request may or may not have reached the ledger: retry it (the event ids dedupe)."""


@dataclass(frozen=True)
class Answer:
    """What the ledger said."""

    status: int
    body: dict = field(default_factory=dict)
    #: Seconds the ledger asked us to wait (Retry-After), if it said.
    retry_after: float | None = None


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The `Ledger-Signature` header value: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds (it may be a number of seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, (when - (now or utcnow())).total_seconds())


class HttpTransport:
    """POST {LEDGER_URL}/v1/events over a kept-alive `requests` session."""

    def __init__(self, url: str, secret: str, timeout: float) -> None:
        self.endpoint = url.rstrip("/") + "/v1/events"
        self.secret = secret
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, body: bytes) -> Answer:
        """Sign and post one batch; connection problems raise `TransportError`."""
        headers = {
            "Content-Type": "application/json",
            "Ledger-Signature": signature(self.secret, body, int(utcnow().timestamp())),
        }
        try:
            response = self.session.post(self.endpoint, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise TransportError(f"{type(exc).__name__}: {exc}") from exc
        try:
            parsed = response.json()
        except ValueError:
            parsed = {}
        if not isinstance(parsed, dict):
            parsed = {}
        return Answer(response.status_code, parsed, parse_retry_after(response.headers.get("Retry-After")))

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()


class FileTransport:
    """Append each event as one JSON line to a local file, fsynced, for development runs.

    Like the ledger it is idempotent in effect only: a batch resent after a crash is
    appended again, so whoever reads the file must keep the first line of each event `id`.
    """

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def send(self, body: bytes) -> Answer:
        """Append the batch's events; answers 200 like the ledger."""
        events = json.loads(body)["events"]
        lines = b"".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False).encode() + b"\n" for e in events)
        try:
            with open(self.path, "ab") as fh:
                fcntl.flock(fh, fcntl.LOCK_EX)  # several local relays append whole batches
                fh.write(lines)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise TransportError(f"cannot write {self.path}: {exc}") from exc
        return Answer(200, {"accepted": len(events), "duplicates": 0})

    def close(self) -> None:
        """Nothing to close."""


def transport_for(url: str, secret: str, timeout: float) -> HttpTransport | FileTransport:
    """Pick the transport from LEDGER_URL's scheme."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileTransport(unquote(parts.path))
    if parts.scheme in ("http", "https"):
        return HttpTransport(url, secret, timeout)
    raise ValueError(f"LEDGER_URL must be https://... or file:///path, not {url!r}")
