"""Debtor pages under gunicorn with production settings, loaded by wrk, against a bare Flask app.

    .venv/bin/python bench/pages.py [--database URL] [--seconds 10] [--rounds 2] [--json OUT]

Both servers run the same gunicorn settings (sync workers, 2 x cores, this
repository's gunicorn.conf.py); wrk runs on the same machine. Figures:

* "what you owe": GET /cases/<ref> with a session made by a real sign-in through a
  reminder link (20 history lines), against GET /page of the bare app, sized alike;
* sign-in POST: the knowledge step (reference + date of birth) succeeding and
  redirecting to the code step (303), each connection on its own session and case,
  against a bare route that parses the same form and answers 303.

Requests carry X-Forwarded-Proto: https as a TLS-terminating proxy would send, so the
app sees https as in production. SIGNIN_IP_LIMIT is raised for the run: every
request comes from 127.0.0.1, and the production limit (50 per 5 minutes per IP)
would otherwise turn the load into 429s. Any unexpected status fails the run.
The database given is wiped (DROP SCHEMA public); by default a SQLite file is used.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
WORKERS = 2 * (os.cpu_count() or 1)
BIRTH_DATE = date(1980, 4, 12)
PROXY = {"X-Forwarded-Proto": "https"}
#: Sign-in sessions (and cases) for the POST load: more than wrk's connections, so
#: no two concurrent requests write the same session row.
SIGNIN_SESSIONS = 64


def production_env(db_url: str, var_dir: Path) -> dict:
    """PORTAL_ENV=production with valid-looking values (nothing is sent anywhere during the run)."""
    return {
        **os.environ,
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": db_url,
        "PORTAL_VAR_DIR": str(var_dir),
        "PORTAL_BASE_URL": "https://portal.bench.invalid",
        "MAIL_URL": "smtp://127.0.0.1:2525",
        "SMS_URL": "https://bench-token@sms.bench.invalid/send",
        "LEDGER_URL": "https://ledger.bench.invalid",
        "LEDGER_SECRET": secrets.token_urlsafe(24),
        "STRIPE_API_BASE": "https://api.stripe.com",
        "STRIPE_SECRET_KEY": "sk_test_" + secrets.token_hex(12),
        "STRIPE_WEBHOOK_SECRET": "whsec_" + secrets.token_hex(12),
        "SIGNIN_IP_LIMIT": "1000000 per minute",
        "PYTHONPATH": str(ROOT),
    }


def prepare_database(db_url: str, var_dir: Path) -> dict:
    """Migrate a clean database and seed the bench cases; returns what the load needs."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from portal import create_app
    from portal.cases.models import Case, CaseEntry, CaseExport, CaseStatus, Debtor, DebtorType, EntryKind
    from portal.creditors.models import Creditor
    from portal.extensions import db
    from portal.links import services as links

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "PORTAL_VAR_DIR": str(var_dir), "PORTAL_ENV": "development"})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
        creditor = Creditor(external_id="BENCH", name="Bench Énergie SA")
        db.session.add(creditor)
        db.session.flush()
        stamp = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

        def new_case(n: int, debtor: Debtor) -> Case:
            case = Case(reference=f"BENCH-{n:06d}", lookup_key=f"BENCH{n:06d}", creditor_id=creditor.id,
                        debtor_id=debtor.id)
            db.session.add(case)
            db.session.flush()
            export = CaseExport(case_id=case.id, exported_at=stamp, status=CaseStatus.open, currency="EUR",
                                principal_minor=48000, interest_minor=1250, fees_minor=1500, costs_minor=4000,
                                events_applied_through=0, invoice_number=f"INV-{n:06d}",
                                invoice_date=date(2026, 6, 1), due_date=date(2026, 7, 1), record_hash=f"b{n}")
            db.session.add(export)
            db.session.flush()
            case.current_export_id = export.id
            return case

        def new_debtor(n: int) -> Debtor:
            debtor = Debtor(key=f"id:BD{n}", external_id=f"BD{n}", type=DebtorType.person, name="Marie Dupont",
                            email=f"marie{n}@example.fr", phone="+33612345678", birth_date=BIRTH_DATE,
                            country="FR", language="en", exported_at=stamp)
            db.session.add(debtor)
            db.session.flush()
            return debtor

        # The page debtor: three cases, the first with ten earlier statements and ten payments.
        main_debtor = new_debtor(0)
        cases = [new_case(n, main_debtor) for n in range(3)]
        page_case = cases[0]
        for n in range(10):
            db.session.add(CaseExport(case_id=page_case.id, exported_at=datetime(2026, 1 + n, 5, tzinfo=UTC),
                                      status=CaseStatus.open, currency="EUR", principal_minor=48000,
                                      interest_minor=100 * n, fees_minor=1500, costs_minor=4000,
                                      events_applied_through=0, record_hash=f"old{n}"))
            db.session.add(CaseEntry(case_id=page_case.id, kind=EntryKind.payment, amount_minor=1500,
                                     currency="EUR", sequence=n + 1, description="Card",
                                     occurred_at=datetime(2026, 11, 21 + n % 5, 12, n, tzinfo=UTC)))
        page_case.last_sequence = 10
        signin_refs = [new_case(100 + n, new_debtor(100 + n)).reference for n in range(SIGNIN_SESSIONS)]
        token, _link = links.issue(page_case)
        db.session.commit()
        result = {"page_reference": page_case.reference, "token": token, "signin_refs": signin_refs,
                  "dialect": db.engine.dialect.name}
        db.engine.dispose()
    return result


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app_spec: str, env: dict, chdir: Path) -> tuple[subprocess.Popen, str]:
    """Gunicorn serving `app_spec` with the bench's settings; returns it once it answers."""
    port = free_port()
    cmd = [GUNICORN, "--config", str(ROOT / "gunicorn.conf.py"), "--chdir", str(chdir), "--workers", str(WORKERS),
           "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app_spec]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn {app_spec} exited with {proc.returncode}")
        try:
            requests.get(base + "/", timeout=1)
            return proc, base
        except requests.RequestException:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"gunicorn {app_spec} did not answer within 60 s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a gunicorn master and its workers (its own process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def csrf_token(html: str) -> str:
    """The hidden csrf_token of a page's form."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def session_cookie(response: requests.Response) -> tuple[str, str]:
    """(name, value) of the session cookie a response set (Secure cookies are read by hand over http)."""
    for cookie in response.cookies:
        if "portal" in cookie.name:
            return cookie.name, cookie.value
    raise SystemExit(f"no session cookie in the answer to {response.url}")


def sign_in_with_link(base: str, token: str, reference: str) -> str:
    """Follow the reminder link and complete the form, as a debtor does; returns the Cookie header."""
    http = requests.Session()
    first = http.get(f"{base}/l/{token}", headers=PROXY, allow_redirects=False)
    name, value = session_cookie(first)
    cookie = f"{name}={value}"
    form = http.get(f"{base}/sign-in", headers={**PROXY, "Cookie": cookie})
    posted = http.post(f"{base}/sign-in", allow_redirects=False, headers={
        **PROXY, "Cookie": cookie, "Referer": f"https://{base.split('//')[1]}/sign-in"}, data={
        "csrf_token": csrf_token(form.text), "reference": reference, "dob_day": str(BIRTH_DATE.day),
        "dob_month": str(BIRTH_DATE.month), "dob_year": str(BIRTH_DATE.year), "postcode": ""})
    if posted.status_code != 303 or not posted.headers["Location"].endswith("/cases"):
        raise SystemExit(f"sign-in with the reminder link failed: {posted.status_code}")
    name, value = session_cookie(posted)
    return f"{name}={value}"


def signin_requests(base: str, references: list[str]) -> list[tuple[str, str]]:
    """One fresh session per reference, each with the CSRF token of its own form: (Cookie, body)."""
    pairs = []
    for reference in references:
        form = requests.get(f"{base}/sign-in", headers=PROXY)
        name, value = session_cookie(form)
        body = (f"csrf_token={csrf_token(form.text)}&reference={reference}&dob_day={BIRTH_DATE.day}"
                f"&dob_month={BIRTH_DATE.month}&dob_year={BIRTH_DATE.year}&postcode=")
        pairs.append((f"{name}={value}", body))
    return pairs


LUA = """
local threads = {}
local counter = 1
local reqs = %(requests)s
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  unexpected = 0
  local mine, n = {}, #reqs
  for i = 1, n do
    if (i - 1) %% %(threads)d == id - 1 then
      local r = reqs[i]
      table.insert(mine, wrk.format(r[1], r[2], r[3], r[4]))
    end
  end
  if #mine == 0 then mine = {wrk.format(reqs[1][1], reqs[1][2], reqs[1][3], reqs[1][4])} end
  pending, next_i = mine, 1
end
function request()
  local r = pending[next_i]
  next_i = next_i %% #pending + 1
  return r
end
function response(status, headers, body)
  if status ~= %(expected)d then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + t:get("unexpected") end
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,' ..
    '"unexpected":%%d,"socket_errors":%%d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), bad, e.connect + e.read + e.write + e.timeout))
end
"""


def lua_string(text: str) -> str:
    """A Lua string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk(base: str, reqs: list[tuple[str, str, dict, str | None]], expected: int, seconds: int,
        connections: int = 16, threads: int = 2) -> dict:
    """Run wrk with these requests in rotation; rate, latencies; fails on any unexpected status."""
    items = []
    for method, path, headers, body in reqs:
        hdrs = "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}"
        items.append(f"{{{lua_string(method)}, {lua_string(path)}, {hdrs}, {lua_string(body) if body else 'nil'}}}")
    script = LUA % {"requests": "{" + ",\n".join(items) + "}", "threads": threads, "expected": expected}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    try:
        done = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
                               "--timeout", "10s", "-s", fh.name, base], capture_output=True, text=True, check=True)
    finally:
        os.unlink(fh.name)
    line = next(line for line in done.stdout.splitlines() if line.startswith("WRKJSON "))
    figures = json.loads(line[len("WRKJSON "):])
    if figures["unexpected"] or figures["socket_errors"]:
        raise SystemExit(f"wrk saw {figures['unexpected']} unexpected statuses (wanted {expected}) and "
                         f"{figures['socket_errors']} socket errors on {reqs[0][1]}:\n{done.stdout}")
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["p99_ms"] = figures["p99_us"] / 1000
    figures["p50_ms"] = figures["p50_us"] / 1000
    return figures


def best(runs: list[dict]) -> dict:
    """The round with the highest rate (the one least disturbed by anything else on the machine)."""
    return max(runs, key=lambda figures: figures["rps"])


def ensure_wrk() -> None:
    """wrk from Debian; installed when missing and we are root, else a clear error."""
    if subprocess.run(["which", "wrk"], capture_output=True).returncode == 0:
        return
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
        return
    raise SystemExit("wrk is missing: install it with `sudo apt-get install wrk` (Debian/Ubuntu)")


def run(db_url: str | None, seconds: int, rounds: int) -> dict:
    """Both figures against their baselines on one database; returns the figures.

    Both servers stay up and the four loads are interleaved for `rounds` rounds, each
    figure keeping its best round, so a burst of other work on the machine does not
    land on one side of a ratio only.
    """
    ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        var_dir = Path(tmp)
        url = db_url or f"sqlite:///{var_dir / 'portal.db'}"
        url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
        seeded = prepare_database(url, var_dir)
        env = production_env(url, var_dir)
        portal, base = start_gunicorn("wsgi:app", env, ROOT)
        bare = None
        try:
            cookie = sign_in_with_link(base, seeded["token"], seeded["page_reference"])
            page_path = f"/cases/{seeded['page_reference']}"
            page = requests.get(base + page_path, headers={**PROXY, "Cookie": cookie})
            if page.status_code != 200 or "What you owe" not in page.text:
                raise SystemExit(f"the signed-in page did not render: {page.status_code}")
            page_bytes = len(page.content)
            host = base.split("//")[1]
            posts = [("POST", "/sign-in", {**PROXY, "Cookie": c, "Referer": f"https://{host}/sign-in",
                                           "Content-Type": "application/x-www-form-urlencoded"}, body)
                     for c, body in signin_requests(base, seeded["signin_refs"])]
            bare, bare_base = start_gunicorn("baseline_app:app", {**env, "BASELINE_PAGE_BYTES": str(page_bytes)},
                                             ROOT / "bench")
            bare_page = requests.get(bare_base + "/page")
            form_headers = {**PROXY, "Content-Type": "application/x-www-form-urlencoded"}
            loads = {
                "what_you_owe": (base, [("GET", page_path, {**PROXY, "Cookie": cookie}, None)], 200),
                "what_you_owe_baseline": (bare_base, [("GET", "/page", dict(PROXY), None)], 200),
                "signin_post": (base, posts, 303),
                "signin_post_baseline": (bare_base, [("POST", "/form", form_headers, posts[0][3])], 303),
            }
            for target, reqs, expected in loads.values():  # warm-up: templates compiled, pools filled
                wrk(target, reqs, expected, 2)
            runs: dict[str, list[dict]] = {name: [] for name in loads}
            for _ in range(rounds):
                for name, (target, reqs, expected) in loads.items():
                    runs[name].append(wrk(target, reqs, expected, seconds))
        finally:
            stop(portal)
            if bare is not None:
                stop(bare)
    figures = {name: best(found) for name, found in runs.items()}
    return {"database": seeded["dialect"], "workers": WORKERS, "worker_class": "sync", "seconds": seconds,
            "rounds": rounds, "page_bytes": page_bytes, "baseline_page_bytes": len(bare_page.content),
            **figures, "all_rounds": runs}


def main() -> None:
    """Parse arguments, run, print (and write JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="PostgreSQL URL of a database to wipe (default: a SQLite file)")
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; each figure keeps its best")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = run(args.database, args.seconds, args.rounds)
    print(f"database: {figures['database']}, gunicorn {figures['workers']} sync workers, "
          f"page {figures['page_bytes']:,} B (baseline {figures['baseline_page_bytes']:,} B)")
    for name in ("what_you_owe", "signin_post"):
        p, b = figures[name], figures[name + "_baseline"]
        print(f"{name:14} {p['rps']:8,.0f} req/s p99 {p['p99_ms']:6.1f} ms | baseline {b['rps']:8,.0f} req/s "
              f"p99 {b['p99_ms']:6.1f} ms | {p['rps'] / b['rps']:.0%} of the rate, p99 x{p['p99_ms'] / b['p99_ms']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
