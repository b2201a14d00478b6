"""The one clock: timezone-aware UTC, as every stored time is."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time with its UTC offset: SQLite gives times back naive, and they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(moment: datetime | None) -> str | None:
    """A stored time in ISO 8601 with its UTC offset."""
    return None if moment is None else as_utc(moment).isoformat()
