"""The one place the portal reads the time, so tests can move it."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Timezone-aware now in UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC."""
    return utcnow().date()
