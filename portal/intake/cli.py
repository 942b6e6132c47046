"""`flask cases import|generate`: load export files, and write synthetic ones for demos and benchmarks.

Other features add their own subcommands to the `cases` group.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.intake.importer import FORMATS, ImportFileError, Progress, import_file
from portal.intake.batch import Rejection
from portal.intake.generate import generate_records, write

#: Exit status of `flask cases import`.
EXIT_OK, EXIT_REJECTED, EXIT_FAILED = 0, 1, 2


@click.group(cls=AppGroup)
def cases():
    """Case intake and maintenance."""


@cases.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the file name (.jsonl/.ndjson, else csv).")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Also write the rejections to this CSV file (line,field,reason).")
def import_command(path: Path, fmt: str | None, errors_path: Path | None):
    """Import a case export file (CSV or JSON Lines).

    Prints each rejected record as "line N: field: reason" and ends with the counts.
    Exit status: 0 when every record was accepted (created, updated, unchanged or
    stale), 1 when some records were rejected (the others are imported), 2 when the
    file could not be imported at all (unreadable, or its header lacks required columns).
    """
    errors_file = open(errors_path, "w", newline="", encoding="utf-8") if errors_path else None
    writer = csv.writer(errors_file) if errors_file else None
    if writer:
        writer.writerow(["line", "field", "reason"])
    started = time.monotonic()
    tty = sys.stderr.isatty()

    def on_rejection(rejection: Rejection) -> None:
        click.echo(f"line {rejection.line}: {rejection.field}: {rejection.reason}")
        if writer:
            writer.writerow([rejection.line, rejection.field, rejection.reason])

    def on_progress(progress: Progress) -> None:
        if not tty:
            return
        elapsed = max(time.monotonic() - started, 1e-6)
        share = progress.bytes_read / progress.bytes_total if progress.bytes_total else 1
        filled = int(share * 30)
        bar = "#" * filled + "-" * (30 - filled)
        rate = progress.records / elapsed
        click.echo(f"\r[{bar}] {share:4.0%}  {progress.records:,} records  {rate:,.0f}/s", err=True, nl=False)

    try:
        counts = import_file(path, fmt, on_rejection=on_rejection, on_progress=on_progress)
    except ImportFileError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    finally:
        if errors_file:
            errors_file.close()
    if tty:
        click.echo("", err=True)
    elapsed = time.monotonic() - started
    click.echo(
        f"created {counts.created}, updated {counts.updated}, unchanged {counts.unchanged}, "
        f"stale {counts.stale}, rejected {counts.rejected} ({counts.total} records in {elapsed:.1f} s)"
    )
    sys.exit(EXIT_REJECTED if counts.rejected else EXIT_OK)


@cases.command("generate")
@click.argument("n", type=click.IntRange(min=0))
@click.argument("out", type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path))
@click.option("--seed", default=1, show_default=True, help="Same seed, same file.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("--creditors", default=30, show_default=True, type=click.IntRange(min=1), help="How many creditors.")
def generate_command(n: int, out: Path, seed: int, fmt: str, creditors: int):
    """Write N synthetic cases to OUT ('-' for standard output), for demos and benchmarks."""
    records = generate_records(n, seed, creditors=creditors)
    if str(out) == "-":
        written = write(records, sys.stdout, fmt)
    else:
        with open(out, "w", newline="", encoding="utf-8") as stream:
            written = write(records, stream, fmt)
    click.echo(f"wrote {written} cases to {out}", err=True)
