"""A collection ledger on 127.0.0.1 that enforces the contract and misbehaves on demand.

Enforced: the signature and its 300 s window, 1-500 events per batch, per-case
sequence (409 sequence_gap), all-or-nothing batches, duplicate ids counted, a sequence
reused with another id (422). Chaos, each with its own probability: 500/502/503/429 with
Retry-After (nothing applied), answers slower than the relay's timeout (applied, the
answer never arrives in time), connections dropped before or after applying; and
`reject_ids` answered 422 as if the ledger did not know the case.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLedger:
    """Start with `with FakeLedger(secret) as ledger:`; `ledger.url` is its LEDGER_URL."""

    def __init__(self, secret: str, *, chaos: float = 0.0, slow: float = 0.0, drop: float = 0.0,
                 slow_seconds: float = 1.0, latency: float = 0.0, reject_ids=(), seed: int = 7,
                 retry_after: str = "0") -> None:
        self.secret = secret.encode()
        self.chaos, self.slow, self.drop = chaos, slow, drop
        self.slow_seconds, self.latency = slow_seconds, latency
        self.reject_ids = set(reject_ids)
        self.retry_after = retry_after
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.events: dict[str, dict] = {}  # id -> event, as applied
        self.applied: dict[str, list[int]] = defaultdict(list)  # case_reference -> sequences, in order
        self.duplicates = 0
        self.requests = 0
        self.statuses: list[int] = []
        self.batch_sizes: list[int] = []
        self.inflight: dict[str, int] = defaultdict(int)
        self.concurrent_sends = 0  # a case in two requests at once: must stay 0
        self.force: list[tuple[int, dict, dict]] = []  # scripted answers, used first
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # hung-up clients are part of the test
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> FakeLedger:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def effect_count(self, event_id: str) -> int:
        """How many times an event took effect (0 or 1)."""
        return 1 if event_id in self.events else 0

    # -- the contract ---------------------------------------------------------------

    def verify(self, header: str, body: bytes) -> bool:
        """Check `t=<unix>,v1=<hex>` within 300 s, in constant time."""
        try:
            parts = dict(item.split("=", 1) for item in header.split(","))
            t = int(parts["t"])
        except (KeyError, ValueError):
            return False
        if abs(time.time() - t) > 300:
            return False
        expected = hmac.new(self.secret, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts.get("v1", ""))

    def apply(self, events: list[dict]) -> tuple[int, dict]:
        """All or nothing: check the whole batch, then record it."""
        with self.lock:
            nxt: dict[str, int] = {}
            dups = 0
            fresh = []
            for e in events:
                ref, seq, eid = e["case_reference"], e["sequence"], e["id"]
                if eid in self.events:
                    if (self.events[eid]["case_reference"], self.events[eid]["sequence"]) != (ref, seq):
                        return 422, {"error": "id_reused", "event_id": eid}
                    dups += 1
                    continue
                if eid in self.reject_ids:
                    return 422, {"error": "unknown_case", "event_id": eid}
                if type(seq) is not int or type(e.get("data", {}).get("amount_minor", 0)) is not int:
                    return 422, {"error": "malformed", "event_id": eid}
                expected = nxt.get(ref, len(self.applied[ref]) + 1)
                if seq < expected:
                    return 422, {"error": "sequence_reused", "event_id": eid}
                if seq > expected:
                    return 409, {"error": "sequence_gap", "case_reference": ref, "expected": expected}
                nxt[ref] = seq + 1
                fresh.append(e)
            for e in fresh:
                self.events[e["id"]] = e
                self.applied[e["case_reference"]].append(e["sequence"])
            self.duplicates += dups
            return 200, {"accepted": len(fresh), "duplicates": dups}

    def _handler(self):
        ledger = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with ledger.lock:
                    ledger.requests += 1
                    roll = ledger.rng.random()
                    forced = ledger.force.pop(0) if ledger.force else None
                if self.path != "/v1/events":
                    return self.answer(404, {"error": "not_found"})
                if not ledger.verify(self.headers.get("Ledger-Signature", ""), body):
                    return self.answer(401, {"error": "bad_signature"})
                events = json.loads(body).get("events")
                if not isinstance(events, list) or not 1 <= len(events) <= 500:
                    return self.answer(400, {"error": "batch_size"})
                if forced:
                    return self.answer(*forced)
                refs = {e["case_reference"] for e in events}
                with ledger.lock:
                    ledger.batch_sizes.append(len(events))
                    if any(ledger.inflight[r] for r in refs):
                        ledger.concurrent_sends += 1
                    for r in refs:
                        ledger.inflight[r] += 1
                try:
                    if ledger.latency:
                        time.sleep(ledger.rng.random() * ledger.latency)
                    if roll < ledger.chaos:
                        status = ledger.rng.choice([500, 502, 503, 429])
                        return self.answer(status, {"error": "unavailable"}, {"Retry-After": ledger.retry_after})
                    roll -= ledger.chaos
                    if roll < ledger.drop / 2:  # dropped before applying
                        return self.drop_connection()
                    status, answer = ledger.apply(events)
                    roll -= ledger.drop / 2
                    if roll < ledger.drop / 2:  # applied, then dropped: the relay must resend
                        return self.drop_connection()
                    roll -= ledger.drop / 2
                    if roll < ledger.slow:
                        time.sleep(ledger.slow_seconds)  # applied; the relay gave up waiting
                    return self.answer(status, answer)
                finally:
                    with ledger.lock:
                        for r in refs:
                            ledger.inflight[r] -= 1

            def answer(self, status: int, body: dict, headers: dict | None = None):
                data = json.dumps(body).encode()
                with ledger.lock:
                    ledger.statuses.append(status)
                try:
                    self.send_response(status)
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True  # the relay hung up (timeout)

            def drop_connection(self):
                self.close_connection = True
                self.connection.close()

        return Handler
