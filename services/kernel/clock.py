"""The one clock: timezone-aware UTC, as every stored time is."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
