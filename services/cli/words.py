"""How the CLI words counts and times for a person: ``1 attempt``, ``2026-12-03 10:45:00 UTC``."""

from datetime import UTC, datetime


def plural(count: int, noun: str, many: str | None = None) -> str:
    """The count with its noun in the right number: ``1 attempt``, ``2 attempts``, ``0 persons``."""
    return f"{count} {noun}" if count == 1 else f"{count} {many or noun + 's'}"


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 time as the services write it; one without a zone is UTC (as SQLite keeps it)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def when(text: str | None) -> str:
    """An ISO 8601 time as a person reads it, its zone kept: ``2026-12-03 10:45:00 UTC``."""
    moment = parse_time(text)
    if moment is None:
        return text or ""
    zone = moment.strftime("%z")
    zone = "UTC" if zone == "+0000" else f"UTC{zone[:3]}:{zone[3:]}"
    return f"{moment:%Y-%m-%d %H:%M:%S} {zone}"
