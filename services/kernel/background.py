"""A background loop beside the request handlers: rounds of work, woken on demand.

A subclass says what one round does (``run_round``, which returns how much it took on) and,
when it needs to, when the loop may not go straight on to the next round (``waits_after``):
by default it waits once a round found nothing to do. A waiting loop sleeps until ``wake()``
(callable from any thread) or ``idle_seconds()`` (by default ``idle_wait``); a wake that
comes during a round ends the wait after it, so no work is left waiting for a whole sleep.
A loop whose work is all written by its own process, which wakes it, can sleep until its
next due row instead of polling (``NextDue``): an idle network then costs next to no CPU.
Database work goes through ``in_turn``: in a worker thread, queued on the app's SQLite write
lock when there is one, like the requests. ``stop()`` lets the round under way finish (its
database work runs in threads that a cancel would orphan).
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from services.kernel.clock import as_utc, utcnow

T = TypeVar("T")

OVERSLEEP = 0.005
"""Seconds a loop sleeps past a due time, so that it never wakes a hair early to find nothing."""


@dataclass(frozen=True)
class NextDue:
    """When a loop's next work falls due, as its last round read it from the database:
    ``UNKNOWN`` (the round failed, or did not look), nothing pending (``when`` None), or a time."""

    known: bool
    when: datetime | None = None
    UNKNOWN: ClassVar["NextDue"]

    @classmethod
    def at(cls, when: datetime | None) -> "NextDue":
        """Due at ``when`` (a stored UTC time, naive from SQLite); None: nothing pending."""
        return cls(known=True, when=when)

    def seconds(self, *, fallback: float, longest: float) -> float:
        """The seconds to sleep until then, at most ``longest``; ``fallback`` when unknown."""
        if not self.known:
            return fallback
        if self.when is None:
            return longest
        left = (as_utc(self.when) - utcnow()).total_seconds()
        return min(max(left, 0.0) + OVERSLEEP, longest)


NextDue.UNKNOWN = NextDue(known=False)


class BackgroundLoop:
    name = "background"
    """Names the task and the log event of a failed round (``<name>.round_failed``)."""

    def __init__(self, *, lock: asyncio.Lock | None = None, idle_wait: float = 1.0) -> None:
        self.lock = lock
        """The app's SQLite write lock, if any."""
        self.idle_wait = idle_wait
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    async def run_round(self) -> int:
        """Do the work that is due; return how much was taken on (0: nothing was due)."""
        raise NotImplementedError

    def waits_after(self, taken: int) -> bool:
        """Whether the loop waits (until woken, or ``idle_wait``) after a round that took on
        ``taken``, rather than going straight on: by default when the round found nothing."""
        return taken == 0

    def idle_seconds(self) -> float:
        """How long the loop sleeps when nothing wakes it, after a round that asked to wait."""
        return self.idle_wait

    def wake(self) -> None:
        """Work now rather than at the next look; safe to call from any thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()  # from here on, a wake ends the wait after this round
            try:
                taken = await self.run_round()
            except Exception:  # keep the loop alive whatever one round met; the work stays due
                logging.getLogger(f"swx.{self.name}").exception("%s.round_failed", self.name)
                taken = 0
            if self.waits_after(taken) and not self._stopping:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.idle_seconds())
                except TimeoutError:
                    pass

    async def in_turn(self, work: Callable[..., T], *args: Any) -> T:
        if self.lock is None:
            return await asyncio.to_thread(work, *args)
        async with self.lock:
            return await asyncio.to_thread(work, *args)
