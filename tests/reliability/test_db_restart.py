"""`pg_ctl restart -m fast` under load: 503 (never 500, no traceback), back within 30 s, no event lost.

The test runs its own throw-away PostgreSQL 15 (`.ci/pg`), the portal under real gunicorn,
`flask ledger relay` against the fake ledger, and four signed-in debtors who read "what you
owe" and correct their address (each correction posts `debtor.contact_changed`) while the
database restarts. It never touches the shared development server.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import requests

from tests.ledger.fake_ledger import FakeLedger

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
FLASK = str(Path(sys.executable).with_name("flask"))
SECRET = "restart-ledger-secret"
BIRTH = date(1980, 4, 12)
DEBTORS = 4
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

pytestmark = [
    pytest.mark.pg_restart,
    pytest.mark.slow,
    pytest.mark.skipif(not (PG_BIN / "pg_ctl").exists(), reason=f"needs the PostgreSQL 15 binaries in {PG_BIN}"),
]


@dataclass
class Answer:
    """One request of the load and what came back."""

    debtor: int
    kind: str  # "owe" or "address"
    started: float
    status: int  # 0: no HTTP answer at all
    body: str
    retry_after: str | None
    line1: str | None = None


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(*cmd: str) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then (as .ci/pg does)."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)


def seed(url: str, var: Path):
    """Migrate the new database and give each debtor a case and a reminder link.

    Returns the app used (to count pending events later) and [(reference, token)]."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.links import services as links
    from tests import factories

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PORTAL_VAR_DIR": str(var)})
    with app.app_context():
        upgrade(revision="heads")
        people = []
        for n in range(DEBTORS):
            case = factories.case(f"RESTART-{n}", debtor_id=f"R{n}", email=f"r{n}@example.fr", language="en",
                                  birth_date=BIRTH, commit=False)
            token, _link = links.issue(case)
            people.append((case.reference, token))
        db.session.commit()
    return app, people


def pending_events(app) -> int:
    """Outbox events not yet delivered."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.ledger.models import EventState, LedgerEvent

    with app.app_context():
        return db.session.scalar(select(func.count()).where(LedgerEvent.state == EventState.pending))


def wait_for(base: str, proc: subprocess.Popen) -> None:
    """Until gunicorn answers."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, "gunicorn exited"
        try:
            requests.get(base + "/healthz", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not answer within 30 s")


def sign_in(base: str, reference: str, token: str) -> tuple[requests.Session, str]:
    """Follow the reminder link and pass the knowledge step; returns the session and an address-form token."""
    http = requests.Session()
    form = http.get(f"{base}/l/{token}", timeout=10)  # redirected to the sign-in form
    posted = http.post(f"{base}/sign-in", allow_redirects=False, timeout=10, data={
        "csrf_token": CSRF.search(form.text).group(1), "reference": reference, "dob_day": str(BIRTH.day),
        "dob_month": str(BIRTH.month), "dob_year": str(BIRTH.year), "postcode": ""})
    assert posted.status_code == 303 and posted.headers["Location"].endswith("/cases"), posted.status_code
    contact = http.get(f"{base}/contact", timeout=10)
    assert contact.status_code == 200
    return http, CSRF.search(contact.text).group(1)  # one token per session: any form's will do


def load(n: int, base: str, http: requests.Session, csrf: str, reference: str, stop: threading.Event,
         answers: list[Answer]) -> None:
    """One debtor: read what they owe, correct their address, again and again until stopped."""
    for i in range(100_000):
        if stop.is_set():
            return
        owe = i % 2 == 0
        line1 = None if owe else f"{i} rue du Débiteur {n}"
        started = time.monotonic()
        try:
            if owe:
                r = http.get(f"{base}/cases/{reference}", allow_redirects=False, timeout=10)
            else:
                r = http.post(f"{base}/contact/address", allow_redirects=False, timeout=10, data={
                    "csrf_token": csrf, "line1": line1, "line2": "", "postcode": "75011", "city": "Paris",
                    "country": "FR"})
            answers.append(Answer(n, "owe" if owe else "address", started, r.status_code, r.text,
                                  r.headers.get("Retry-After"), line1))
        except requests.RequestException as exc:
            answers.append(Answer(n, "owe" if owe else "address", started, 0, repr(exc), None, line1))
        time.sleep(0.01)


def stop_group(proc: subprocess.Popen | None) -> None:
    """SIGTERM a process group we started, SIGKILL if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_a_postgres_restart_under_load_answers_503_recovers_and_loses_no_event(tmp_path):
    # Under /tmp itself, not pytest's private tmp dir: the postgres user must reach it (.ci/pg chowns it).
    cluster = Path(tempfile.mkdtemp(prefix="portal-pg-restart-", dir="/tmp"))
    port = free_port()
    web = relay = None
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        url = subprocess.run([str(ROOT / ".ci/pg"), "start", str(cluster), str(port)], check=True,
                             capture_output=True, text=True, timeout=120).stdout.strip()
        var = tmp_path / "var"
        checker, people = seed(url, var)
        with FakeLedger(SECRET) as ledger:
            env = {**os.environ, "PORTAL_ENV": "development", "DATABASE_URL": url, "PORTAL_VAR_DIR": str(var),
                   "SECRET_KEY": "restart-" + "k" * 40, "LEDGER_URL": ledger.url, "LEDGER_SECRET": SECRET,
                   "LEDGER_POLL_SECONDS": "0.1", "LEDGER_BACKOFF_BASE_SECONDS": "0.1",
                   "LEDGER_BACKOFF_MAX_SECONDS": "1", "FLASK_APP": "wsgi", "PYTHONPATH": str(ROOT)}
            web_log, relay_log = tmp_path / "gunicorn.log", tmp_path / "relay.log"
            base = f"http://127.0.0.1:{free_port()}"
            with open(web_log, "w") as out:
                web = subprocess.Popen(
                    [GUNICORN, "--config", str(ROOT / "gunicorn.conf.py"), "--chdir", str(ROOT), "--workers", "4",
                     "--worker-class", "sync", "--graceful-timeout", "3", "--bind", base.split("//")[1],
                     "--log-level", "warning", "wsgi:app"],
                    env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            with open(relay_log, "w") as out:
                relay = subprocess.Popen([FLASK, "ledger", "relay"], env=env, cwd=ROOT, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
            wait_for(base, web)
            answers: list[Answer] = []
            for n, (reference, token) in enumerate(people):
                http, csrf = sign_in(base, reference, token)
                threads.append(threading.Thread(target=load, args=(n, base, http, csrf, reference, stop, answers),
                                                daemon=True))
            for thread in threads:
                thread.start()
            time.sleep(3)

            restart_began = time.monotonic()
            subprocess.run(as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(cluster), "-l", str(cluster / "server.log"),
                                       "-m", "fast", "-w", "restart"), check=True, capture_output=True, timeout=60)
            back = time.monotonic()  # PostgreSQL accepts connections again
            recovered = None
            while recovered is None and time.monotonic() - back < 30:
                time.sleep(0.1)
                ok = {a.debtor for a in list(answers) if a.started >= back and 200 <= a.status < 400}
                if len(ok) == DEBTORS:  # every debtor has been served again
                    recovered = time.monotonic()
            time.sleep(2)
            stop.set()
            for thread in threads:
                thread.join(timeout=15)

            deadline = time.monotonic() + 20
            while pending_events(checker) and time.monotonic() < deadline:
                time.sleep(0.2)
            left = pending_events(checker)
            relay_alive = relay.poll() is None
            with checker.app_context():
                from portal.extensions import db

                db.engine.dispose()
            stop_group(relay)
            stop_group(web)

            during = [a for a in answers if restart_began <= a.started < back]
            unavailable = [a for a in answers if a.status == 503]
            wrong = [(a.kind, a.status, a.body[:200]) for a in answers if a.status not in (200, 303, 503)]
            accepted = [a for a in answers if a.kind == "address" and a.status == 303]
            print(f"\nDB restart: {len(answers)} requests, {len(during)} during the restart "
                  f"({back - restart_began:.2f} s), {len(unavailable)} answered 503; "
                  f"recovery {None if recovered is None else round(recovered - back, 2)} s after PostgreSQL was back; "
                  f"{len(accepted)} corrections accepted, {len(ledger.events)} events applied, "
                  f"{ledger.duplicates} resends recognised by the ledger")

            assert not wrong, wrong[:5]
            assert unavailable, "the restart was not seen by any request: nothing was tested"
            for a in unavailable:
                assert a.retry_after and "Traceback" not in a.body and "psycopg" not in a.body, a.body[:300]
                assert "Something went wrong on our side" in a.body, a.body[:300]  # the calm page, not a bare one
            assert recovered is not None and recovered - back <= 30
            assert left == 0 and relay_alive, (left, relay_log.read_text()[-2000:])
            # Every correction the debtor saw accepted reached the ledger exactly once, in order per case.
            lines = [e["data"].get("address", {}).get("line1") for e in ledger.events.values()]
            for a in accepted:
                assert lines.count(a.line1) == 1, a.line1
            for reference, _token in people:
                applied = ledger.applied[reference]
                assert applied == list(range(1, len(applied) + 1)), reference
            log = web_log.read_text()
            assert "Traceback" not in log and "ERROR" not in log, log[-3000:]
            assert log.count("database unavailable:") >= len(unavailable), log[-3000:]
    finally:
        stop.set()
        stop_group(relay)
        stop_group(web)
        subprocess.run([str(ROOT / ".ci/pg"), "stop", str(cluster)], capture_output=True, timeout=60)
        shutil.rmtree(cluster, ignore_errors=True)
