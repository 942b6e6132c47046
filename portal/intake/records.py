"""Validate and normalise one case export record (see the case-file contract).

`validate(raw)` takes a mapping of field name to value (strings from CSV, strings or
numbers from JSON) and returns a `Checked`: either a normalised `record` (typed
values, plus `lookup_key`, `debtor_key` and `record_hash`) or `errors`, a list of
`(field, reason)`. Reasons are plain English: they go to operators' error files and
to the collection system's API client, not to debtors.

This runs once per record of files holding millions of them, so it is written as
straight-line code with compiled patterns and small caches rather than a schema
library (email-validator alone costs ~80 µs a call, more than this whole function).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any, Mapping

from portal.cases.references import normalise_reference as normalise_reference_text
from portal.clock import utcnow
from portal.countries import COUNTRIES
from portal.money import MAX_MINOR, is_currency

#: Every field of the contract, in the contract's order.
FIELDS = (
    "case_reference", "creditor_id", "creditor_name", "debtor_id", "debtor_type", "debtor_name",
    "debtor_email", "debtor_phone", "debtor_birth_date", "debtor_postcode", "debtor_country",
    "debtor_language", "currency", "principal_minor", "interest_minor", "fees_minor", "costs_minor",
    "invoice_number", "invoice_date", "due_date", "risk_score", "status", "events_applied_through",
    "exported_at",
)
REQUIRED = frozenset(
    "case_reference creditor_id creditor_name debtor_type debtor_name debtor_country currency "
    "principal_minor interest_minor fees_minor costs_minor status events_applied_through exported_at".split()
)
AMOUNTS = ("principal_minor", "interest_minor", "fees_minor", "costs_minor")
#: Free-text fields and their column lengths.
TEXT_LIMITS = {
    "creditor_id": 64, "creditor_name": 200, "debtor_id": 64, "debtor_name": 300,
    "debtor_postcode": 20, "invoice_number": 100,
}
STATUSES = frozenset({"open", "on_hold", "closed"})
DEBTOR_TYPES = frozenset({"person", "business"})
#: Exports stamped further ahead than this are refused: a wrong clock would otherwise
#: make every later, genuine export of the case look stale.
MAX_CLOCK_SKEW = timedelta(days=1)

_REFERENCE = re.compile(r"[A-Z0-9-]{6,32}")
_DIGITS = re.compile(r"[0-9]{1,16}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
# A pragmatic address check (RFC 5322 dot-atom local part, dotted domain, letter TLD).
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
_BAD_TEXT = re.compile("[\x00-\x1f\x7f\ufffd]")  # control characters, or bytes that were not UTF-8
_TEXT_TYPES = frozenset({str, type(None)})
#: Required fields in contract order (errors are reported in that order).
REQUIRED_ORDER = tuple(name for name in FIELDS if name in REQUIRED)
_required = itemgetter(*REQUIRED_ORDER)


@dataclass(slots=True)
class Checked:
    """The outcome of `validate`: a normalised record, or the reasons it was refused."""

    record: dict[str, Any] | None
    errors: list[tuple[str, str]]


def normalise_reference(raw: str) -> str | None:
    """The reference as stored (spaces removed, upper case), or None if it is malformed."""
    ref = normalise_reference_text(str(raw))
    return ref if _REFERENCE.fullmatch(ref) else None


def lookup_key(reference: str) -> str:
    """The reference without dashes, so debtors may type it either way."""
    return reference.replace("-", "")


@lru_cache(maxsize=4096)
def _parse_date(text: str) -> date | None:
    """A real calendar date in YYYY-MM-DD, or None."""
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def _parse_timestamp(text: str) -> tuple[datetime, str] | None:
    """An RFC 3339 timestamp converted to UTC, with its canonical text; None if malformed."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    if match.group(1) and len(match.group(1)) > 7:  # Java and .NET write nanoseconds: keep microseconds
        text = text[: match.start(1) + 7] + text[match.end(1):]
    try:
        stamp = datetime.fromisoformat(text.upper().replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None
    return stamp, stamp.isoformat()


def _text(value: Any) -> str | None:
    """A JSON value as stripped text; None when empty or absent (an empty CSV cell is absent)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if type(value) is int or type(value) is float:
        return repr(value)  # a float then fails every numeric check, as it must
    return ""  # a JSON object, list or bool where a value belongs: refused by the caller


def validate(raw: Mapping[str, Any], now: datetime | None = None) -> Checked:
    """Check one record against the contract and return it normalised, or the errors."""
    errors: list[tuple[str, str]] = []
    add = errors.append
    given = list(map(raw.get, FIELDS))
    if set(map(type, given)) <= _TEXT_TYPES:  # the CSV case, on a fast path
        values = dict(zip(FIELDS, [value.strip() or None if value else None for value in given]))
    else:
        values = {}
        for name, value in zip(FIELDS, given):
            values[name] = value = _text(value)
            if value == "":
                add((name, "must be a string or a number"))
                values[name] = None
    if None in _required(values):
        errors.extend((name, "is required") for name in REQUIRED_ORDER if values[name] is None)
    # `values` keeps the canonical text of each field (it feeds the record hash);
    # `out` gets the typed values.
    out = dict(values)

    ref = values["case_reference"]
    if ref is not None:
        values["case_reference"] = out["case_reference"] = ref = normalise_reference(ref)
        if ref is None:
            add(("case_reference", "must be 6-32 characters of A-Z, 0-9 and '-'"))

    for name, limit in TEXT_LIMITS.items():
        value = values[name]
        if value is not None:
            if len(value) > limit:
                add((name, f"is longer than {limit} characters"))
            elif _BAD_TEXT.search(value):
                bad = _BAD_TEXT.search(value).group()
                add((name, "is not valid UTF-8" if bad == "\ufffd" else "contains control characters"))

    kind = values["debtor_type"]
    if kind is not None and kind not in DEBTOR_TYPES:
        add(("debtor_type", "must be 'person' or 'business'"))
    status = values["status"]
    if status is not None and status not in STATUSES:
        add(("status", "must be 'open', 'on_hold' or 'closed'"))
    email = values["debtor_email"]
    if email is not None and (len(email) > 320 or not _EMAIL.fullmatch(email)):
        add(("debtor_email", "is not an e-mail address"))
    phone = values["debtor_phone"]
    if phone is not None:
        values["debtor_phone"] = out["debtor_phone"] = phone = phone.replace(" ", "")
        if not _PHONE.fullmatch(phone):
            add(("debtor_phone", "must be E.164, e.g. +33612345678"))
    country = values["debtor_country"]
    if country is not None:
        values["debtor_country"] = out["debtor_country"] = country = country.upper()
        if country not in COUNTRIES:
            add(("debtor_country", "must be an ISO 3166-1 alpha-2 country code"))
    language = values["debtor_language"]
    if language is not None and (len(language) > 35 or not _LANGUAGE.fullmatch(language)):
        add(("debtor_language", "must be a BCP 47 language tag such as 'fr' or 'de-AT'"))
    currency = values["currency"]
    if currency is not None and not is_currency(currency):
        add(("currency", "must be an upper-case ISO 4217 currency code"))

    for name, limit, reason in _INTEGERS:
        value = values[name]
        if value is not None:
            if value.isdigit() and value.isascii() and len(value) <= 16 and int(value) <= limit:
                out[name] = int(value)
                if value[0] == "0" and len(value) > 1:
                    values[name] = str(out[name])  # "007" and "7" are the same amount
            else:
                add((name, reason))

    for name in ("debtor_birth_date", "invoice_date", "due_date"):
        value = values[name]
        if value is not None:
            out[name] = parsed = _parse_date(value)
            if parsed is None:
                add((name, "must be a real date written YYYY-MM-DD"))
    now = now or utcnow()
    birth = out["debtor_birth_date"]
    if birth is not None:
        if kind == "business":
            add(("debtor_birth_date", "only a person has a birth date"))
        elif birth > now.date():
            add(("debtor_birth_date", "is in the future"))

    stamp = values["exported_at"]
    if stamp is not None:
        parsed = _parse_timestamp(stamp)
        if parsed is None:
            add(("exported_at", "must be an RFC 3339 timestamp with an offset, e.g. 2026-11-20T08:00:00Z"))
        else:
            out["exported_at"], values["exported_at"] = parsed
            if parsed[0] > now + MAX_CLOCK_SKEW:
                add(("exported_at", "is more than a day in the future"))

    if errors:
        return Checked(None, errors)
    out["lookup_key"] = ref.replace("-", "")
    debtor_id = out["debtor_id"]
    out["debtor_key"] = f"id:{debtor_id}" if debtor_id else f"case:{ref}"
    out["record_hash"] = record_hash(values)
    return Checked(out, errors)


_INTEGERS = (
    *((name, MAX_MINOR, f"must be a whole number of minor units from 0 to {MAX_MINOR}") for name in AMOUNTS),
    ("risk_score", 100, "must be a whole number from 0 to 100"),
    ("events_applied_through", MAX_MINOR, f"must be a whole number from 0 to {MAX_MINOR}"),
)


#: The fields the record hash covers: all but `exported_at`, so a nightly full export that
#: restates a case unchanged is recognised as unchanged (see `batch.apply_batch`).
HASHED = tuple(name for name in FIELDS if name != "exported_at")


def record_hash(texts: Mapping[str, str | None]) -> str:
    """Digest of the canonical text of every field but exported_at: equal digests, same content."""
    joined = "\x1f".join([texts[name] or "" for name in HASHED])
    return hashlib.blake2b(joined.encode(), digest_size=16).hexdigest()
