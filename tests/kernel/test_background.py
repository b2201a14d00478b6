"""The background loop's public hooks: ``run_round`` does a round's work, ``waits_after``
says when the loop may not go straight on to the next, and ``wake`` is never lost."""

import asyncio

import pytest

from services.kernel.background import BackgroundLoop

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
