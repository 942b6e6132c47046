"""A small iCalendar (RFC 5545) writer for a plan's due dates: all-day events, CRLF, lines folded at 75 octets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from portal.clock import utcnow

#: Longest content line in octets, CRLF excluded (RFC 5545 section 3.1).
LINE_OCTETS = 75


def escape(text: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and newlines."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold one content line: at most 75 octets each, continuation lines starting with a space,
    never splitting a UTF-8 character."""
    out: list[str] = []
    current, size, limit = "", 0, LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, LINE_OCTETS
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def calendar(uid_prefix: str, events: Iterable[tuple[date, str, str]], now: datetime | None = None) -> bytes:
    """A VCALENDAR of all-day events (date, summary, description), UTF-8 with CRLF line ends."""
    stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Debtor portal//Instalment plan//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH"]
    for n, (day, summary, description) in enumerate(events, start=1):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid_prefix}-{n}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{escape(summary)}",
            f"DESCRIPTION:{escape(description)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
