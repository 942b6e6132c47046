"""Benchmark: `flask cases import` against bare bulk loads of the same file.

    .venv/bin/python bench/import_cases.py --rows 1000000 [--postgres URL]

Generates the export file once (cached in --workdir), then:

* SQLite: the portal import into a fresh database built by `flask db upgrade`,
  against `executemany` of the same CSV rows into a bare table (no keys, no checks);
* PostgreSQL (with --postgres): the portal import into that database (its public
  schema is DROPPED and rebuilt: give it a database of its own), against
  `COPY ... FROM STDIN (FORMAT csv)` of the same file into an unindexed table.

The portal import runs as `flask cases import` in a child process; its rate uses
the import's own elapsed time (printed by the command, interpreter start-up
excluded) and its peak memory is the child's max RSS (`getrusage(RUSAGE_CHILDREN)`,
which also covers the smaller `flask db upgrade` children, so it is an upper bound).
A second import of the same file (every record unchanged) is timed as well.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.intake.generate import generate_records, write  # noqa: E402
from portal.intake.records import FIELDS  # noqa: E402

FLASK = str(Path(sys.executable).with_name("flask"))
BARE_COLUMNS = ", ".join(f"{name} TEXT" for name in FIELDS)


def main() -> None:
    """Parse arguments, run each benchmark, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", help="postgresql://... of a database the benchmark may wipe")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    path = export_file(args.workdir, args.rows, args.seed)
    results = []
    if not args.skip_sqlite:
        db_path = args.workdir / "portal-bench.db"
        portal = portal_import(f"sqlite:///{db_path}", path, args.workdir, fresh_sqlite=db_path)
        baseline = sqlite_executemany(args.workdir / "bare-bench.db", path)
        results.append(("SQLite", "executemany", portal, baseline, args.rows))
    if args.postgres:
        url = args.postgres
        reset_postgres(url)
        portal = portal_import(url, path, args.workdir)
        baseline = postgres_copy(url, path)
        results.append(("PostgreSQL", "COPY", portal, baseline, args.rows))
    for name, base_name, portal, baseline, rows in results:
        seconds, again, rss_mb = portal
        print(f"\n{name}, {rows:,} cases")
        print(f"  portal import      {seconds:8.1f} s  {rows / seconds:10,.0f} cases/s")
        print(f"  re-import (same)   {again:8.1f} s  {rows / again:10,.0f} cases/s")
        print(f"  bare {base_name:<13} {baseline:8.1f} s  {rows / baseline:10,.0f} rows/s")
        print(f"  ratio              {baseline / seconds:8.0%}   (portal rate / bare rate)")
        print(f"  peak memory        {rss_mb:8.0f} MB (max RSS of the import process)")


def export_file(workdir: Path, rows: int, seed: int) -> Path:
    """Generate the CSV once; reuse it when it is already there."""
    path = workdir / f"cases-{rows}-{seed}.csv"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        with open(partial, "w", newline="", encoding="utf-8") as out:
            write(generate_records(rows, seed), out, "csv")
        partial.rename(path)
        print(f"generated {path} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def _env(url: str, workdir: Path) -> dict:
    return {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi", "PORTAL_VAR_DIR": str(workdir / "var"),
            "PYTHONPATH": str(ROOT)}


def portal_import(url: str, path: Path, workdir: Path, fresh_sqlite: Path | None = None) -> tuple[float, float, float]:
    """Migrate a fresh database, import the file twice; (first s, second s, peak RSS MB)."""
    if fresh_sqlite is not None:
        fresh_sqlite.unlink(missing_ok=True)
    env = _env(url, workdir)
    subprocess.run([FLASK, "db", "upgrade", "heads"], env=env, cwd=ROOT, check=True, capture_output=True)
    timings = []
    for _ in range(2):
        done = subprocess.run([FLASK, "cases", "import", str(path)], env=env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"import failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        match = re.search(r"in ([0-9.]+) s\)", done.stdout)
        timings.append(float(match.group(1)))
        print(done.stdout.strip().splitlines()[-1], file=sys.stderr)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    return timings[0], timings[1], peak_kb / 1024


def sqlite_executemany(db_path: Path, path: Path) -> float:
    """Seconds to read the CSV and executemany its rows into a bare table, committed."""
    db_path.unlink(missing_ok=True)
    conn = sqlite3.connect(db_path)
    conn.execute(f"CREATE TABLE bare ({BARE_COLUMNS})")
    marks = ", ".join("?" * len(FIELDS))
    started = time.perf_counter()
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        next(reader)
        batch = []
        for row in reader:
            batch.append(row)
            if len(batch) == 20_000:
                conn.executemany(f"INSERT INTO bare VALUES ({marks})", batch)
                batch.clear()
        conn.executemany(f"INSERT INTO bare VALUES ({marks})", batch)
    conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def reset_postgres(url: str) -> None:
    """Empty the benchmark database."""
    import psycopg

    with psycopg.connect(_plain(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


def postgres_copy(url: str, path: Path) -> float:
    """Seconds to COPY the CSV file into an unindexed table, committed."""
    import psycopg

    with psycopg.connect(_plain(url)) as conn:
        conn.execute("DROP TABLE IF EXISTS bare")
        conn.execute(f"CREATE TABLE bare ({BARE_COLUMNS})")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur, open(path, "rb") as f:
            with cur.copy("COPY bare FROM STDIN (FORMAT csv, HEADER true)") as copy:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bare")
        conn.commit()
    return elapsed


def _plain(url: str) -> str:
    """psycopg wants postgresql://, SQLAlchemy URLs may say postgresql+psycopg://."""
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)


if __name__ == "__main__":
    main()
