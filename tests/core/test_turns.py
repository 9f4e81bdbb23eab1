"""Turns: a hot row's writers in flight per process, at most ``width`` at once, in arrival order."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from backend.core.turns import Turns


async def test_two_at_a_time_in_the_order_they_came_and_other_rows_do_not_wait() -> None:
    turns, row, other = Turns(width=2), uuid.uuid4(), uuid.uuid4()
    release = asyncio.Event()
    entered: list[int] = []
    inside = most = 0

    async def writer(n: int, key: uuid.UUID) -> None:
        nonlocal inside, most
        async with turns.turn(key):
            entered.append(n)
            inside += 1
            most = max(most, inside)
            await release.wait()
            inside -= 1

    tasks = [asyncio.create_task(writer(n, row)) for n in range(6)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert entered == [0, 1]  # the third waits its turn
    async with turns.turn(other):  # another row's writer is not kept waiting
        pass
    release.set()
    await asyncio.gather(*tasks)
    assert entered == [0, 1, 2, 3, 4, 5] and most == 2
    assert len(turns) == 0  # nothing kept once nobody holds or waits


async def test_a_writer_that_fails_gives_its_turn_back() -> None:
    turns, row = Turns(width=1), uuid.uuid4()
    with pytest.raises(RuntimeError):
        async with turns.turn(row):
            raise RuntimeError("the transaction failed")
    async with asyncio.timeout(5):
        async with turns.turn(row):
            pass
    assert len(turns) == 0
