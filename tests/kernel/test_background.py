"""The background loop's public hooks: ``run_round`` does a round's work, ``waits_after``
says when the loop may not go straight on to the next, ``idle_seconds`` how long it then
sleeps unwoken, and ``wake`` is never lost."""

import asyncio
from datetime import timedelta

import pytest

from services.kernel.background import BackgroundLoop, NextDue
from services.kernel.clock import utcnow

FOREVER = 3600.0
"""An idle wait no test outlives: a round after it means the loop was woken, not timed out."""


class Rounds(BackgroundLoop):
    """Counts its rounds; each round takes on what ``taken`` says and may wake the loop itself,
    as a request that commits work during a round would."""

    def __init__(self, *, taken: int, wake_during_first: bool = False, full: bool = False) -> None:
        super().__init__(idle_wait=FOREVER)
        self.taken, self.wake_during_first, self.full = taken, wake_during_first, full
        self.rounds = 0
        self.round_done = asyncio.Event()

    async def run_round(self) -> int:
        self.rounds += 1
        if self.rounds == 1 and self.wake_during_first:
            self.wake()
        await asyncio.sleep(0)
        self.round_done.set()
        return self.taken

    def waits_after(self, taken: int) -> bool:
        return self.full or super().waits_after(taken)

    async def next_round(self) -> None:
        self.round_done.clear()
        await asyncio.wait_for(self.round_done.wait(), timeout=10)


async def settled(loop: Rounds) -> int:
    """The rounds run once the loop has had every chance to go on without waiting."""
    for _ in range(20):
        await asyncio.sleep(0)
    return loop.rounds


def test_a_wake_during_a_round_that_found_nothing_brings_the_next_round_at_once() -> None:
    async def scenario() -> None:
        loop = Rounds(taken=0, wake_during_first=True)
        loop.start()
        await loop.next_round()
        await loop.next_round()  # not after FOREVER: the wake came after the round began
        assert await settled(loop) == 2
        await loop.stop()

    asyncio.run(scenario())


@pytest.mark.parametrize("wake", [False, True])
def test_a_loop_that_says_it_is_full_waits_to_be_woken_before_its_next_round(wake: bool) -> None:
    async def scenario() -> None:
        loop = Rounds(taken=1, full=True)
        loop.start()
        await loop.next_round()
        assert await settled(loop) == 1
        if wake:
            loop.wake()
            await loop.next_round()
            assert await settled(loop) == 2
        await loop.stop()

    asyncio.run(scenario())


def test_a_round_that_took_work_is_followed_by_the_next_at_once() -> None:
    async def scenario() -> None:
        loop = Rounds(taken=1)
        loop.start()
        assert await settled(loop) > 2
        await loop.stop()

    asyncio.run(scenario())


class SleepsUntilDue(Rounds):
    """Finds nothing, and says its next work is due in ``due_in`` seconds (``idle_wait`` is FOREVER)."""

    def __init__(self, *, due_in: float) -> None:
        super().__init__(taken=0)
        self.due_in = due_in

    def idle_seconds(self) -> float:
        return self.due_in


def test_an_idle_loop_sleeps_as_long_as_idle_seconds_says_not_idle_wait() -> None:
    async def scenario() -> None:
        loop = SleepsUntilDue(due_in=0.01)
        loop.start()
        await loop.next_round()
        await loop.next_round()  # unwoken, and long before FOREVER
        await loop.stop()

    asyncio.run(scenario())


def test_next_due_says_how_long_to_sleep() -> None:
    now = utcnow()
    assert NextDue.UNKNOWN.seconds(fallback=1.0, longest=60.0) == 1.0  # a round that failed looks again soon
    assert NextDue.at(None).seconds(fallback=1.0, longest=60.0) == 60.0  # nothing pending: the longest sleep
    assert NextDue.at(now - timedelta(seconds=5)).seconds(fallback=1.0, longest=60.0) < 0.1  # overdue: at once
    assert 9.0 < NextDue.at(now + timedelta(seconds=10)).seconds(fallback=1.0, longest=60.0) <= 10.1
    assert NextDue.at(now + timedelta(hours=1)).seconds(fallback=1.0, longest=60.0) == 60.0
    naive = (now + timedelta(seconds=10)).replace(tzinfo=None)  # as SQLite gives a stored time back
    assert 9.0 < NextDue.at(naive).seconds(fallback=1.0, longest=60.0) <= 10.1
