"""Webhook delivery: Stripe's signature, retries with backoff, and switches to misbehave on purpose.

Modes: "thread" (a background thread delivers as soon as events are due, the
default for the local server), "sync" (after each request or page action) and
"manual" (only when `deliver()` or POST /_emulator/deliver is called; for tests).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Callable

from portal.stripe_emulator.store import Store

#: Seconds to wait before retry n (Stripe retries for up to three days; this is compressed).
DEFAULT_RETRY_DELAYS = (5, 30, 120, 600, 1800, 3600)

Transport = Callable[[str, bytes, dict], int]


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header: t=<unix>,v1=<hex HMAC-SHA256 of "t.payload" keyed by the whole whsec_ secret>."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def urllib_transport(url: str, body: bytes, headers: dict) -> int:
    """POST over HTTP; any network failure counts as a failed attempt (status 0)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - configured endpoint
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return 0


@dataclass
class Delivery:
    """One event on its way to one endpoint."""

    event_id: str
    url: str
    secret: str
    next_at: float
    attempts: int = 0
    state: str = "pending"  # pending -> delivered | failed
    sending: bool = False  # an attempt is in flight (thread and manual flush may overlap)
    statuses: list[int] = field(default_factory=list)


class Webhooks:
    """The queue of deliveries and the switches that bend it."""

    def __init__(self, store: Store, endpoints: list[dict], mode: str = "thread",
                 retry_delays=DEFAULT_RETRY_DELAYS, transport: Transport | None = None) -> None:
        if mode not in {"thread", "sync", "manual"}:
            raise ValueError(f"webhook mode must be thread, sync or manual, not {mode!r}")
        self.store = store
        self.endpoints = [dict(e) for e in endpoints]
        self.mode = mode
        self.retry_delays = tuple(retry_delays)
        self.transport = transport or urllib_transport
        self.switches = {"duplicate": False, "reorder": False, "delay": 0.0}
        self.deliveries: list[Delivery] = []
        self._wake = threading.Condition(store.lock)
        self._thread: threading.Thread | None = None
        self._stopping = False

    def enqueue(self, event: dict) -> int:
        """Queue an event for every endpoint that wants it; returns how many deliveries."""
        count = 0
        for endpoint in self.endpoints:
            wanted = endpoint.get("enabled_events") or ["*"]
            if "*" not in wanted and event["type"] not in wanted:
                continue
            copies = 2 if self.switches["duplicate"] else 1
            for _ in range(copies):
                self.deliveries.append(Delivery(event["id"], endpoint["url"], endpoint["secret"],
                                                self.store.clock() + float(self.switches["delay"])))
                count += 1
        if count and self.mode == "thread":
            self._wake.notify_all()
        return count

    def pending(self) -> list[Delivery]:
        """Deliveries not yet delivered nor given up."""
        return [d for d in self.deliveries if d.state == "pending"]

    def deliver(self, force: bool = True) -> list[Delivery]:
        """Attempt every pending delivery (only those due unless `force`); returns the ones attempted."""
        with self.store.lock:
            now = self.store.clock()
            due = [d for d in self.pending() if not d.sending and (force or d.next_at <= now)]
            for d in due:
                d.sending = True
            if self.switches["reorder"]:
                due.reverse()  # newest first: handlers must not rely on order
            batch = [(d, json.dumps(self.store.public(self.store.objects[d.event_id]), indent=2).encode()) for d in due]
        for delivery, body in batch:
            self._attempt(delivery, body)
        return due

    def _attempt(self, delivery: Delivery, body: bytes) -> None:
        """Send once without holding the lock (the endpoint may call the emulator back), then record."""
        timestamp = self.store.now()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": sign(body, delivery.secret, timestamp),
        }
        try:
            status = int(self.transport(delivery.url, body, headers))
        except Exception:  # a crashing endpoint is a failed attempt, as on Stripe
            status = 0
        with self.store.lock:
            delivery.sending = False
            delivery.attempts += 1
            delivery.statuses.append(status)
            if 200 <= status < 300:
                delivery.state = "delivered"
            elif delivery.attempts > len(self.retry_delays):
                delivery.state = "failed"
            else:
                delivery.next_at = self.store.clock() + self.retry_delays[delivery.attempts - 1]
            event = self.store.objects.get(delivery.event_id)
            if event is not None:
                event["pending_webhooks"] = sum(
                    1 for d in self.deliveries if d.event_id == delivery.event_id and d.state == "pending"
                )

    def start(self) -> None:
        """Run deliveries on a background thread (mode "thread")."""
        if self.mode != "thread" or self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="stripe-emulator-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread and wait for it."""
        with self.store.lock:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        """Sleep until the next delivery is due (or new events arrive), then deliver."""
        while True:
            with self.store.lock:
                if self._stopping:
                    return
                pending = self.pending()
                wait = min((d.next_at for d in pending), default=None)
                timeout = None if wait is None else max(0.0, wait - self.store.clock())
                if timeout is None or timeout > 0:
                    self._wake.wait(timeout=timeout if timeout is not None else 60)
                    continue
            self.deliver(force=False)
