"""Benchmark the ledger relay against a local ledger that only verifies signatures and answers 200.

    .venv/bin/python bench/ledger_relay.py --events 100000 [--postgres postgresql://portal@127.0.0.1:54329/db]

Baseline: the same ledger fed pre-signed batches of 500 by a tight loop (no database).
Prints both rates and their ratio. The database given is wiped (DROP SCHEMA public).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SECRET = "bench-secret"
PER_CASE = 20


def ledger_server() -> ThreadingHTTPServer:
    """A ledger that checks the signature and counts events, nothing else."""
    key = SECRET.encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            parts = dict(p.split("=", 1) for p in self.headers.get("Ledger-Signature", "").split(","))
            mac = hmac.new(key, parts.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(mac, parts.get("v1", "")) and abs(time.time() - int(parts["t"])) <= 300
            n = len(json.loads(body)["events"]) if ok else 0
            data = json.dumps({"accepted": n, "duplicates": 0} if ok else {"error": "bad_signature"}).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def seed(n_events: int) -> list[str]:
    """Cases and pending events inserted in bulk, as record_event would leave them."""
    from sqlalchemy import insert, select

    from portal.cases.models import Case, Debtor
    from portal.creditors.models import Creditor
    from portal.extensions import db
    from portal.ledger.models import EventState, LedgerEvent, LedgerStream
    from portal.ledger.outbox import envelope_json

    now = datetime.now(UTC)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    creditor = Creditor(external_id="BENCH", name="Bench")
    debtor = Debtor(key="case:bench", type="person", name="Bench", country="FR", exported_at=now)
    db.session.add_all([creditor, debtor])
    db.session.flush()
    n_cases = max(1, n_events // PER_CASE)
    refs = [f"BENCH-{i:07d}" for i in range(n_cases)]
    db.session.execute(insert(Case), [
        {"reference": r, "lookup_key": r.replace("-", ""), "creditor_id": creditor.id, "debtor_id": debtor.id,
         "last_sequence": PER_CASE, "created_at": now, "updated_at": now} for r in refs
    ])
    ids = dict(db.session.execute(select(Case.reference, Case.id)).all())
    db.session.execute(insert(LedgerStream), [
        {"case_id": ids[r], "lease_until": epoch, "retry_at": epoch} for r in refs
    ])
    rows = []
    for r in refs:
        for seq in range(1, PER_CASE + 1):
            eid = str(uuid.uuid4())
            data = {"payment_id": f"p{seq}", "amount_minor": 1234, "currency": "EUR", "method": "card",
                    "provider": "stripe", "provider_reference": f"pi_{eid[:12]}", "plan_id": None,
                    "instalment_number": None}
            rows.append({"id": eid, "case_id": ids[r], "sequence": seq, "type": "payment.succeeded",
                         "occurred_at": now, "recorded_at": now, "state": EventState.pending, "attempts": 0,
                         "payload": envelope_json(eid, "payment.succeeded", now, r, "BENCH", seq, data)})
        if len(rows) >= 5000:
            db.session.execute(insert(LedgerEvent), rows)
            rows = []
    if rows:
        db.session.execute(insert(LedgerEvent), rows)
    db.session.commit()
    return [p for (p,) in db.session.execute(
        select(LedgerEvent.payload).order_by(LedgerEvent.case_id, LedgerEvent.sequence))]


def baseline(url: str, payloads: list[str]) -> float:
    """Events/s of a tight loop posting pre-signed batches of 500."""
    import requests

    bodies = []
    for i in range(0, len(payloads), 500):
        body = ('{"events":[' + ",".join(payloads[i:i + 500]) + "]}").encode()
        t = int(time.time())
        mac = hmac.new(SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        bodies.append((body, f"t={t},v1={mac}"))
    session = requests.Session()
    start = time.perf_counter()
    for body, sig in bodies:
        r = session.post(url + "/v1/events", data=body, timeout=10,
                         headers={"Content-Type": "application/json", "Ledger-Signature": sig})
        assert r.status_code == 200, r.text
    return len(payloads) / (time.perf_counter() - start)


def main() -> None:
    """Seed, measure the baseline, then the relay; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--postgres", help="PostgreSQL URL of a database to wipe and use (default: SQLite)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="ledger-bench-")
    server = ledger_server()
    url = f"http://127.0.0.1:{server.server_port}"
    os.environ["PORTAL_ENV"] = "test"
    from flask_migrate import upgrade
    from sqlalchemy import text

    from portal import create_app
    from portal.extensions import db
    from portal.ledger.relay import Relay

    db_url = args.postgres or f"sqlite:///{tmp}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url.replace("postgresql://", "postgresql+psycopg://", 1),
                      "PORTAL_VAR_DIR": tmp, "LEDGER_URL": url, "LEDGER_SECRET": SECRET})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
        payloads = seed(args.events)
        base = baseline(url, payloads)
        relay = Relay()
        relay.register()
        start = time.perf_counter()
        while relay.step():
            pass
        elapsed = time.perf_counter() - start
        relay.shutdown()
        rate = relay.sent / elapsed
        assert relay.sent == len(payloads), (relay.sent, len(payloads))
        dialect = db.engine.dialect.name
    print(f"database:  {dialect}")
    print(f"events:    {len(payloads)}")
    print(f"relay:     {rate:,.0f} events/s ({elapsed:.1f} s)")
    print(f"baseline:  {base:,.0f} events/s")
    print(f"ratio:     {rate / base:.0%}")


if __name__ == "__main__":
    main()
