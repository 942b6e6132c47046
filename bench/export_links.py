"""Benchmark `flask links export` against the floor of writing random tokens to a CSV.

    .venv/bin/python bench/export_links.py --cases 1000000
    .venv/bin/python bench/export_links.py --cases 1000000 --postgres postgresql+psycopg://portal@127.0.0.1:54329/portal_h3

It builds a fresh migrated database (a temporary SQLite file, or the given PostgreSQL
database, whose public schema is DROPPED first), fills it with N open cases of one
creditor using bulk SQL (not the importer), then times:

* baseline: N x (`secrets.token_urlsafe(32)` + `csv.writer.writerow`), nothing else
  (run before and after the export, averaged);
* export:   `flask links export --creditor BENCH OUT.csv` (tokens, hashes, inserts, commits, CSV).

and prints both rates and export/baseline (the target is >= 30%).
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PORTAL_ENV", "development")

from sqlalchemy import func, select, text  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.links.models import ReminderLink  # noqa: E402

BASE_URL = "https://portal.example"


def build_app(url: str, var_dir: Path):
    """An app on a freshly migrated database at `url`."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PORTAL_VAR_DIR": str(var_dir), "PORTAL_BASE_URL": BASE_URL,
                      "MAIL_URL": f"file://{var_dir / 'mail'}", "SMS_URL": f"file://{var_dir / 'sms'}"})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")  # features built in parallel may each add a head
    return app


def populate(n: int) -> None:
    """N open cases of creditor BENCH, one export snapshot each, in a handful of bulk statements."""
    pg = db.engine.dialect.name == "postgresql"
    stamp = "'2026-11-20T08:00:00Z'" if pg else "'2026-11-20 08:00:00.000000'"
    with db.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO creditors (id, external_id, name, link_ttl_days, allow_knowledge_only, "
                          f"created_at) VALUES (1, 'BENCH', 'Bench SA', 30, false, {stamp})"))
        conn.execute(text(f"INSERT INTO debtors (id, key, type, name, country, exported_at) "
                          f"VALUES (1, 'id:BENCH', 'person', 'Bench Debtor', 'FR', {stamp})"))
        if pg:
            series = "generate_series(1, :n) AS s(g)"
            ref = "'BN-' || lpad(g::text, 8, '0')"
            key = "'BN' || lpad(g::text, 8, '0')"
            prefix = ""
        else:
            series = "s"
            ref = "printf('BN-%08d', g)"
            key = "printf('BN%08d', g)"
            prefix = "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) "
        # cases and case_exports point at each other. A PostgreSQL superuser can switch the
        # foreign-key triggers off for this transaction and insert both sides complete;
        # otherwise (and on SQLite, which checks no foreign keys here) cases get their
        # export pointer in a second pass.
        direct = pg and conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        if direct:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        pointer = "g" if direct or not pg else "NULL"
        conn.execute(text(
            f"{prefix}INSERT INTO cases (id, reference, lookup_key, creditor_id, debtor_id, current_export_id, "
            f"last_sequence, created_at, updated_at) SELECT g, {ref}, {key}, 1, 1, {pointer}, 0, {stamp}, {stamp} "
            f"FROM {series}"), {"n": n})
        conn.execute(text(
            f"{prefix}INSERT INTO case_exports (id, case_id, exported_at, status, currency, principal_minor, "
            f"interest_minor, fees_minor, costs_minor, events_applied_through, record_hash, imported_at) "
            f"SELECT g, g, {stamp}, 'open', 'EUR', 10000, 0, 0, 0, 0, 'bench', {stamp} FROM {series}"), {"n": n})
        if pointer == "NULL":
            conn.execute(text("UPDATE cases SET current_export_id = id"))
        if pg:
            for table in ("creditors", "debtors", "cases", "case_exports"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    if pg:  # a live database is vacuumed and analysed; VACUUM cannot run inside a transaction
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def baseline(n: int, out: Path, references: list[str]) -> float:
    """Seconds to write N rows of reference + random-token URL with csv.writer."""
    started = time.perf_counter()
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("case_reference", "url"))
        prefix = BASE_URL + "/l/"
        for reference in references:
            writer.writerow((reference, prefix + secrets.token_urlsafe(32)))
    return time.perf_counter() - started


def run_export(app, out: Path, chunk_size: int | None) -> float:
    """Seconds `flask links export` takes, checked for a complete result."""
    args = ["links", "export", "--creditor", "BENCH", str(out)]
    if chunk_size:
        args[2:2] = ["--chunk-size", str(chunk_size)]
    runner = app.test_cli_runner()
    started = time.perf_counter()
    result = runner.invoke(args=args)
    elapsed = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(f"export failed: {result.output}\n{result.exception!r}")
    return elapsed


def main() -> None:
    """Parse arguments, build, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database to DROP and rebuild")
    parser.add_argument("--chunk-size", type=int, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-links-") as tmp:
        tmp_dir = Path(tmp)
        url = args.postgres or f"sqlite:///{tmp_dir / 'bench.db'}"
        app = build_app(url, tmp_dir)
        with app.app_context():
            started = time.perf_counter()
            populate(args.cases)
            print(f"database:  {db.engine.dialect.name}, {args.cases:,} open cases "
                  f"populated in {time.perf_counter() - started:.1f} s")
            db.session.remove()

        references = [f"BN-{i:08d}" for i in range(1, args.cases + 1)]
        # The baseline runs before and after the export and the two are averaged, so that a
        # change of load on a shared machine during the run does not favour either side.
        before_s = baseline(args.cases, tmp_dir / "baseline.csv", references)
        export_s = run_export(app, tmp_dir / "links.csv", args.chunk_size)
        after_s = baseline(args.cases, tmp_dir / "baseline.csv", references)
        base_s = (before_s + after_s) / 2

        with app.app_context():
            stored = db.session.scalar(select(func.count()).select_from(ReminderLink))
        with (tmp_dir / "links.csv").open(encoding="utf-8") as fh:
            written = sum(1 for _ in fh) - 1
        if stored != args.cases or written != args.cases:
            raise SystemExit(f"incomplete export: {written} rows written, {stored} links stored")

        base_rate, export_rate = args.cases / base_s, args.cases / export_s
        print(f"baseline:  {base_rate:12,.0f} rows/s  ({base_s:.2f} s, runs of {before_s:.2f} and {after_s:.2f} s)"
              "  token_urlsafe + csv.writer")
        print(f"export:    {export_rate:12,.0f} rows/s  ({export_s:.2f} s)  flask links export")
        print(f"ratio:     {export_rate / base_rate:.0%} of baseline (target >= 30%)")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
