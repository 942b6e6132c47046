"""The fast path for CSV records that are already valid and canonical, and the staged row.

A record that `records.validate` would accept unchanged (no spaces to strip, upper-case
codes, no leading zeros, real dates...) is checked here with ONE compiled regular
expression over its fields joined by U+001F, plus a few cross-field checks, instead of
~25 µs of Python per record. Anything the expression does not match - an error, or
merely a spelling `validate` would normalise - goes to `validate`, which decides and
reports. So the fast path can only say "valid, and exactly as written"; it never
refuses or rewrites a record itself, and both paths give the same row and hash
(tests/intake/test_fastpath.py compares them).

`line_checker` does the same for a CSV line as written, when the file's columns are in
contract order and the line holds no quote: every comma then separates two fields, so
one expression (commas for U+001F) checks the line before it is split, with no `csv`
parse and no join; `importer.read_csv` hands any other line to `csv` as before.

The row both paths produce is what `batch.apply_batch` stages: the contract's fields in
`FIELDS` order as text ("" when absent), then `lookup_key`, `debtor_key`, `record_hash`.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Any, Callable

from portal.intake.records import COUNTRIES, FIELDS, MAX_CLOCK_SKEW, TEXT_LIMITS, _parse_timestamp
from portal.money import ISO_4217

#: Staged row: the record's fields, then the keys derived from it.
ROW = (*FIELDS, "lookup_key", "debtor_key", "record_hash")
REFERENCE, EXPORTED_AT, HASH = 0, FIELDS.index("exported_at"), len(ROW) - 1
_TYPE, _BIRTH = FIELDS.index("debtor_type"), FIELDS.index("debtor_birth_date")

#: A row for `apply_batch`, with its exported_at as an aware datetime.
Row = tuple[str, ...]


def _patterns(sep: str) -> dict[str, str]:
    """Each field's expression when fields are separated by `sep` (U+001F, or "," in a line without quotes)."""
    extra = "," if sep == "," else ""  # U+001F is a control character: refused in text anyway

    def text(limit: int) -> str:
        """1 to `limit` characters, no control characters, nothing to strip at either end."""
        return rf"(?!\s)[^\x00-\x1f\x7f\ufffd{extra}]{{1,{limit}}}(?<!\s)"

    email = (
        rf"(?=[^{sep}]{{1,320}}{sep})[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]+)*"
        r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    )
    return {
        "case_reference": "[A-Z0-9-]{6,32}",
        "creditor_id": text(TEXT_LIMITS["creditor_id"]),
        "creditor_name": text(TEXT_LIMITS["creditor_name"]),
        "debtor_id": f"(?:{text(TEXT_LIMITS['debtor_id'])})?",
        "debtor_type": "person|business",
        "debtor_name": text(TEXT_LIMITS["debtor_name"]),
        "debtor_email": f"(?:{email})?",
        "debtor_phone": r"(?:\+[1-9][0-9]{6,14})?",
        "debtor_birth_date": f"(?:{_DATE})?",
        "debtor_postcode": f"(?:{text(TEXT_LIMITS['debtor_postcode'])})?",
        "debtor_country": _one_of(COUNTRIES),
        "debtor_language": rf"(?:(?=[^{sep}]{{2,35}}{sep})[A-Za-z]{{2,3}}(?:-[A-Za-z0-9]{{1,8}})*)?",
        "currency": _one_of(ISO_4217),
        "principal_minor": _INT, "interest_minor": _INT, "fees_minor": _INT, "costs_minor": _INT,
        "invoice_number": f"(?:{text(TEXT_LIMITS['invoice_number'])})?",
        "invoice_date": f"(?:{_DATE})?",
        "due_date": f"(?:{_DATE})?",
        "risk_score": "(?:100|[1-9]?[0-9])?",
        "status": "open|on_hold|closed",
        "events_applied_through": _INT,
        # Microseconds at most: PostgreSQL rounds more digits where Python truncates them.
        "exported_at": r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})",
    }


def _one_of(codes) -> str:
    return "|".join(sorted(codes))


_INT = "0|[1-9][0-9]{0,14}"  # below MAX_MINOR (10**15), no leading zeros; longer ones go the slow way
_DATE = (  # years 1000-2099 and days that exist in every year; 29 February and the rest go the slow way
    r"(?:1[0-9]|20)[0-9]{2}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
)


def _compile(sep: str) -> re.Pattern:
    patterns = _patterns(sep)
    return re.compile(sep.join(f"(?:{patterns[name]})" for name in FIELDS))


_CANONICAL = _compile("\x1f")
#: A whole CSV line in contract column order, without quotes (so every comma separates).
_CANONICAL_LINE = _compile(",")


def fast_row(fields: tuple[str, ...], now: datetime) -> tuple[Row, datetime] | None:
    """The staged row and exported_at of a valid, canonical record (strings in FIELDS order); else None."""
    joined = "\x1f".join(fields)
    if _CANONICAL.fullmatch(joined) is None:
        return None
    return _finish(fields, joined[: joined.rindex("\x1f")], now.date().isoformat(), now + MAX_CLOCK_SKEW)


def line_checker(now: datetime) -> Callable[[str, int], tuple[int, Row, datetime] | None]:
    """`fast_row` for a CSV line as written (end of line removed), when its columns are in contract
    order and it holds no quote: then every comma separates two fields, and the line itself is
    what `fast_row` would match, with commas for U+001F. Saves parsing it with `csv` and joining.
    The checker takes the line's number too and returns the batch item `(number, row, exported_at)`."""
    today, latest, match, blake2b = now.date().isoformat(), now + MAX_CLOCK_SKEW, _CANONICAL_LINE.fullmatch, hashlib.blake2b

    def check(line: str, number: int) -> tuple[int, Row, datetime] | None:
        # `_finish`, written out: this runs once per record of the file.
        if match(line) is None:
            return None
        fields = line.split(",")
        birth = fields[_BIRTH]
        if birth and (fields[_TYPE] == "business" or birth > today):
            return None
        parsed = _parse_timestamp(fields[EXPORTED_AT])
        if parsed is None or parsed[0] > latest:
            return None
        ref = fields[0]
        debtor_id = fields[3]
        digest = blake2b(line[: line.rindex(",")].replace(",", "\x1f").encode(), digest_size=16).hexdigest()
        return number, (*fields, ref.replace("-", ""), f"id:{debtor_id}" if debtor_id else f"case:{ref}", digest), parsed[0]

    return check


def _finish(fields, hashed: str, today: str, latest: datetime) -> tuple[Row, datetime] | None:
    """The cross-field checks, and the row of fields that matched; `hashed`: all but exported_at joined by U+001F."""
    birth = fields[_BIRTH]
    if birth and (fields[_TYPE] == "business" or birth > today):
        return None
    parsed = _parse_timestamp(fields[EXPORTED_AT])
    if parsed is None or parsed[0] > latest:
        return None
    ref = fields[0]
    debtor_id = fields[3]
    digest = hashlib.blake2b(hashed.encode(), digest_size=16).hexdigest()
    return (*fields, ref.replace("-", ""), f"id:{debtor_id}" if debtor_id else f"case:{ref}", digest), parsed[0]


def as_row(record: dict[str, Any]) -> tuple[Row, datetime]:
    """The staged row of a record `validate` accepted (typed values back to canonical text)."""
    return tuple(_canonical(record[name]) for name in ROW), record["exported_at"]


def _canonical(value: Any) -> str:
    """A validated value as staged text: "" for absent, ISO 8601 for dates and times."""
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)
