"""The immigration watchlist that manifests and crew lists are screened against.

A JSON file (``SWX_NSW_WATCHLIST``; ``fixtures/watchlist/watchlist.json`` by default) of
entries, each with an id, the person's names, birth date and travel document numbers, the
decision a hit leads to (``no-board`` unless it says ``refer``) and the reason. A person
matches an entry on a travel document number, or on surname, given names and birth date
together; names and numbers compare without regard to case or spacing. The file is read
again when it changes, so an operator can update the list without a restart.
"""

import datetime as dt
import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.kernel.names import name_key

log = logging.getLogger("swx.nsw.watchlist")

DOCUMENT_MATCH, IDENTITY_MATCH = "WATCHLIST_DOCUMENT_MATCH", "WATCHLIST_IDENTITY_MATCH"


class WatchlistEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    surname: str = Field(min_length=1)
    given_names: str | None = None
    birth_date: dt.date | None = None
    document_numbers: tuple[str, ...] = ()
    decision: Literal["no-board", "refer"] = "no-board"
    reason: str = Field(min_length=1, max_length=512)


class WatchlistFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = None
    entries: list[WatchlistEntry]


@dataclass(frozen=True)
class Hit:
    entry: WatchlistEntry
    reason_code: str
    """``WATCHLIST_DOCUMENT_MATCH`` or ``WATCHLIST_IDENTITY_MATCH``."""

    def remarks(self) -> str:
        on = "travel document" if self.reason_code == DOCUMENT_MATCH else "name and birth date"
        return f"Watchlist entry {self.entry.id} matched on {on}: {self.entry.reason}"


def _number(value: str) -> str:
    return "".join(value.split()).upper()


class Watchlist:
    def __init__(self, entries: Iterable[WatchlistEntry]) -> None:
        self.entries = tuple(entries)
        self._by_document = {_number(n): e for e in self.entries for n in e.document_numbers}

    def screen(self, *, surname: str, given_names: str | None, birth_date: dt.date | None,
               documents: Iterable[str]) -> Hit | None:
        """The entry the person matches, if any: a document number first, then the identity."""
        for number in documents:
            entry = self._by_document.get(_number(number))
            if entry is not None:
                return Hit(entry, DOCUMENT_MATCH)
        if birth_date is None:
            return None
        for entry in self.entries:
            if (entry.birth_date == birth_date and name_key(entry.surname) == name_key(surname)
                    and name_key(entry.given_names) == name_key(given_names)):
                return Hit(entry, IDENTITY_MATCH)
        return None


def load_watchlist(path: Path) -> Watchlist:
    """The watchlist in ``path``; ValueError (pydantic's) when the file is not a watchlist."""
    data = WatchlistFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    return Watchlist(data.entries)


class WatchlistSource:
    """The watchlist file, read again whenever it changed on disk (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp = path.stat().st_mtime_ns
        self._current = load_watchlist(path)
        log.info("watchlist.loaded path=%s entries=%d", path, len(self._current.entries))

    def current(self) -> Watchlist:
        with self._lock:
            try:
                stamp = self.path.stat().st_mtime_ns
                if stamp != self._stamp:
                    self._current, self._stamp = load_watchlist(self.path), stamp
                    log.info("watchlist.reloaded path=%s entries=%d", self.path, len(self._current.entries))
            except (OSError, ValueError):  # a half-written or broken file: keep screening with the last good list
                log.exception("watchlist.reload_failed path=%s", self.path)
            return self._current
