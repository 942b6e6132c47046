"""Stream a case export file (CSV or JSON Lines) into the database, batch by batch.

Used by `flask cases import` and the demo loader. `PUT /api/v1/cases/<ref>` takes one
record through the same `records.validate` and `batch.apply_batch` (see
`portal.intake.services.push`), so a record is judged the same way whichever door it
came in by.

Memory stays flat whatever the file size: records are read lazily and only one batch
(`BATCH_SIZE` records) is held at a time. Each batch is committed on its own, so a
crash part-way leaves the batches before it imported and the rerun reports them
unchanged.
"""

from __future__ import annotations

import csv
import gc
import json
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from portal.clock import utcnow
from portal.extensions import db
from portal.intake.batch import BatchResult, Counts, Rejection, apply_batch
from portal.intake.batch import Item as BatchItem
from portal.intake.fastpath import as_row, fast_row, line_checker
from portal.intake.records import FIELDS, REQUIRED, validate

BATCH_SIZE = 10_000  # with the app (~170 MB by itself), keeps peak RSS near 200 MB
#: Field name used when a whole record is unreadable (broken quoting, not JSON, ...).
RECORD = "record"
FORMATS = ("csv", "jsonl")

#: What readers yield: the record's first line, and its raw fields or why it is unreadable.
#: Raw fields are a mapping (JSON Lines, the demo), or for CSV a tuple of strings in
#: `FIELDS` order ("" for a column the file lacks), ready for the fast path. A CSV line the
#: line fast path accepted comes as `((line, row, exported_at), None, VALID)`.
Item = tuple[int, dict[str, Any] | tuple[str, ...] | None, list[tuple[str, str]] | None]
#: The third member of an Item whose first is an already validated batch item.
VALID: list[tuple[str, str]] = []


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, or a header without required columns)."""


@dataclass
class Progress:
    """Passed to the progress callback after every batch."""

    records: int
    bytes_read: int
    bytes_total: int


def detect_format(path: Path) -> str:
    """csv or jsonl, from the file name (JSON Lines: .jsonl, .ndjson)."""
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv"


class _Lines:
    """The stream's physical lines, counted; a line handed back is read again first."""

    __slots__ = ("stream", "count", "back")

    def __init__(self, stream: IO[str]) -> None:
        self.stream, self.count, self.back = stream, 0, None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line, self.back = self.back, None
        if line is None:
            line = next(self.stream)
        self.count += 1
        return line


def read_csv(stream: IO[str], fast: Callable[[str, int], Any] | None = None) -> Iterator[Item]:
    """RFC 4180 records with a header in any order; unknown columns are ignored.

    With `fast` (see `fastpath.line_checker`) and a header of exactly the contract's columns in
    its order, each line without a quote is first offered to `fast` as written: what it accepts
    is yielded as `((line, row, exported_at), None, VALID)`, already validated; anything else is
    read by `csv` as before, so both give the same records, errors and line numbers."""
    lines = _Lines(stream)
    reader = csv.reader(lines, strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ImportFileError("the file is empty: it needs a header row") from None
    except csv.Error as exc:
        raise ImportFileError(f"line 1: the header row is not valid CSV: {exc}") from None
    duplicates = sorted({name for name in header if header.count(name) > 1 and name in FIELDS})
    if duplicates:
        raise ImportFileError(f"line 1: the header repeats {', '.join(duplicates)}")
    missing = [name for name in FIELDS if name in REQUIRED and name not in header]
    if missing:
        raise ImportFileError(f"line 1: the header lacks required columns: {', '.join(missing)}")
    width = len(header)
    # Columns in FIELDS order; a column the file lacks reads the "" appended to each row.
    pick = itemgetter(*[header.index(name) if name in header else width for name in FIELDS])
    pad = any(name not in header for name in FIELDS)
    if fast is None or tuple(header) != FIELDS:
        while (item := _csv_record(reader, lines, width, pick, pad)) is not _END:
            if item is not _BLANK:
                yield item
        return
    for text in lines.stream:
        lines.count += 1
        if '"' not in text:
            hit = fast(text.rstrip("\r\n"), lines.count)  # a line ends with \r\n, \n or \r (or the file)
            if hit is not None:
                yield hit, None, VALID
                continue
        lines.count -= 1
        lines.back = text  # csv reads it again (with the lines after it, for a quoted field over lines)
        item = _csv_record(reader, lines, width, pick, pad)
        if item is not _BLANK:
            yield item


_END, _BLANK = object(), object()


def _csv_record(reader, lines: _Lines, width: int, pick: itemgetter, pad: bool) -> Item | object:
    """The next record read by `csv`: its fields in FIELDS order or why it is unreadable; _BLANK or _END."""
    start = lines.count + 1
    try:
        row = next(reader)
    except StopIteration:
        return _END
    except csv.Error as exc:
        return start, None, [(RECORD, f"is not valid CSV: {exc}")]
    if not row:  # a blank line
        return _BLANK
    if len(row) != width:
        return start, None, [(RECORD, f"has {len(row)} fields where the header has {width}")]
    if pad:
        row.append("")
    return start, pick(row), None


def read_jsonl(stream: IO[str]) -> Iterator[Item]:
    """One JSON object per line; blank lines are skipped."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except ValueError as exc:
            yield number, None, [(RECORD, f"is not valid JSON: {exc}")]
            continue
        if not isinstance(raw, dict):
            yield number, None, [(RECORD, "is not a JSON object")]
            continue
        yield number, raw, None


#: A batch of valid `(line, row, exported_at)` items, the records refused on the way
#: with their errors, and how far into the file the reader is (bytes).
Batch = tuple[list[BatchItem], list[tuple[int, list[tuple[str, str]]]], int]


def validated_batches(items: Iterable[Item], batch_size: int, position: Callable[[], int] = lambda: 0,
                      now: datetime | None = None) -> Iterator[Batch]:
    """Validate records and group them into batches of at most `batch_size` valid ones."""
    now = now or utcnow()
    batch: list[BatchItem] = []
    refused: list[tuple[int, list[tuple[str, str]]]] = []
    for line, raw, errors in items:
        if errors is VALID:  # validated by the reader's line fast path: `line` is the batch item
            batch.append(line)
            if len(batch) >= batch_size:
                yield batch, refused, position()
                batch, refused = [], []
            continue
        if errors is None:
            if type(raw) is tuple:  # a CSV record: valid and canonical as written, most likely
                fast = fast_row(raw, now)
                if fast is not None:
                    batch.append((line, *fast))
                    if len(batch) >= batch_size:
                        yield batch, refused, position()
                        batch, refused = [], []
                    continue
                raw = dict(zip(FIELDS, raw))
            checked = validate(raw, now)
            if checked.record is not None:
                batch.append((line, *as_row(checked.record)))
                if len(batch) >= batch_size:
                    yield batch, refused, position()
                    batch, refused = [], []
                continue
            errors = checked.errors
        refused.append((line, errors))
    yield batch, refused, position()


def apply_batches(
    batches: Iterable[Batch],
    *,
    commit: bool = True,
    on_rejection: Callable[[Rejection], None] | None = None,
    on_batch: Callable[[Counts, int], None] | None = None,
) -> Counts:
    """Apply validated batches in order, committing after each unless `commit` is False."""
    counts = Counts()
    for batch, refused, position in batches:
        for line, errors in refused:
            counts.rejected += 1
            if on_rejection:
                for name, reason in errors:
                    on_rejection(Rejection(line, name, reason))
        if batch:
            result: BatchResult = apply_batch(db.session, batch)
            if commit:
                db.session.commit()
            counts.add(result.counts)
            if on_rejection:
                for rejection in result.rejections:
                    on_rejection(rejection)
        if on_batch:
            on_batch(counts, position)
    return counts


def import_records(
    items: Iterable[Item],
    *,
    batch_size: int = BATCH_SIZE,
    commit: bool = True,
    on_rejection: Callable[[Rejection], None] | None = None,
    on_batch: Callable[[Counts], None] | None = None,
) -> Counts:
    """Validate and apply records batch by batch in this process; commits after each batch unless `commit` is False."""
    report = (lambda counts, _position: on_batch(counts)) if on_batch else None
    return apply_batches(validated_batches(items, batch_size), commit=commit, on_rejection=on_rejection, on_batch=report)


def import_file(
    path: str | Path,
    fmt: str | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    on_rejection: Callable[[Rejection], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    parallel: bool = False,
) -> Counts:
    """Import a CSV or JSON Lines export file, committing batch by batch; returns the counts.

    `parallel` reads and validates the file in a child process while this one writes the
    previous batch. Off by default: on the shared two-core machine it was measured slower
    (50,000 cases on SQLite: 17.3 s against 7.1 s; re-import 12.1 s against 4.6 s), since
    unpickling a batch in the writer costs about what parsing and checking it does."""
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise ImportFileError(f"unknown format {fmt!r}: use csv or jsonl")
    try:
        total = path.stat().st_size
        with _open(path) as stream:  # fail before any batch when the file is unreadable
            if fmt == "csv":
                next(read_csv(stream), None)  # ... or when its header is unusable
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None

    def report(counts: Counts, position: int) -> None:
        if on_progress:
            on_progress(Progress(counts.total, position, total))

    batches = _child_batches(path, fmt, batch_size) if parallel else _file_batches(path, fmt, batch_size)
    # No cyclic garbage collection while importing: the records are tuples of strings (no
    # cycles), yet each batch's 10,000 of them set off hundreds of collections that only
    # scan them (~5 % of a first import on SQLite). Whatever cycles the database layer
    # leaves are collected when it is back on.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return apply_batches(batches, on_rejection=on_rejection, on_batch=report)
    finally:
        if collecting:
            gc.enable()


def _open(path: Path) -> IO[str]:
    """The file as text: utf-8-sig drops a BOM; undecodable bytes become U+FFFD and the record is refused."""
    return open(path, encoding="utf-8-sig", errors="replace", newline="")


def _file_batches(path: Path, fmt: str, batch_size: int) -> Iterator[Batch]:
    """Read and validate the file in this process."""
    now = utcnow()
    with _open(path) as stream:
        items = read_csv(stream, line_checker(now)) if fmt == "csv" else read_jsonl(stream)
        yield from validated_batches(items, batch_size, stream.buffer.tell, now)


def _child_batches(path: Path, fmt: str, batch_size: int) -> Iterator[Batch]:
    """Read and validate the file in a child process, one batch ahead of this one."""
    # fork: the child needs no app, only this module; it leaves by os._exit, so it never
    # touches the database connections it inherited.
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_send_batches, args=(path, fmt, batch_size, sender), daemon=True)
    child.start()
    sender.close()
    try:
        while True:
            try:
                message = receiver.recv()  # the child blocks in send() until this batch is taken
            except EOFError:
                raise ImportFileError(f"reading {path} stopped: the reading process died") from None
            if message is None:
                return
            if isinstance(message, str):
                raise ImportFileError(f"reading {path} failed: {message}")
            yield message
    finally:
        receiver.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


def _send_batches(path: Path, fmt: str, batch_size: int, sender) -> None:
    """Child process: send each validated batch, then None (or the error as text)."""
    try:
        for batch in _file_batches(path, fmt, batch_size):
            sender.send(batch)
        sender.send(None)
    except BrokenPipeError:
        pass  # the parent stopped reading (it failed, or was interrupted)
    except Exception as exc:  # reported by the parent, which owns the transaction
        sender.send(f"{type(exc).__name__}: {exc}")
    finally:
        sender.close()
