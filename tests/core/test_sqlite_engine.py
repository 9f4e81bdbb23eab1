"""The embedded engine keeps its SQLite connections open and still behaves like SQLite.

Behaviour, not speed: readers go on while a transaction writes and never see its half-done rows,
a rollback leaves nothing, concurrent writers all land one after another, a cancelled or failed
transaction leaves the shared writer clean, and closing the engine ends its connections.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from piccolo.columns import ForeignKey, Integer, Varchar
from piccolo.table import Table

from backend.core.db import (
    SQLITE_READERS,
    PooledSQLiteEngine,
    close_engine,
    make_engine,
    open_engine,
    prepare_sqlite_file,
    transaction,
)
from backend.settings import Settings


class Tally(Table, tablename="engine_test_tally"):
    name = Varchar(length=32, unique=True)
    value = Integer(default=0)


class Mark(Table, tablename="engine_test_mark"):
    tally = ForeignKey(Tally, null=False)
    n = Integer(default=0)


def _settings(path: Path, busy_timeout: float = 10.0) -> Settings:
    return Settings.from_env({}, env="test", database_url=f"sqlite:///{path}", sqlite_busy_timeout_seconds=busy_timeout)


def _worker_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.endswith("(_connection_worker_thread)")}


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[PooledSQLiteEngine]:
    settings = _settings(tmp_path / "engine.sqlite")
    prepare_sqlite_file(settings)
    db = make_engine(settings)
    assert isinstance(db, PooledSQLiteEngine)
    previous = {table: table._meta._db for table in (Tally, Mark)}
    for table in (Tally, Mark):
        table._meta.db = db
    await open_engine(db, settings)
    await Tally.create_table()
    await Mark.create_table()
    yield db
    await close_engine(db)
    for table, earlier in previous.items():
        table._meta._db = earlier


async def _in_fresh_context(coro_fn, *args):  # type: ignore[no-untyped-def]
    """Run as an unrelated request would: in a task that does not inherit any transaction."""
    import contextvars

    loop = asyncio.get_running_loop()
    return await loop.create_task(coro_fn(*args), context=contextvars.Context())


async def _count() -> int:
    return await Tally.count()


async def test_reads_go_on_while_a_transaction_writes_and_never_see_its_rows(engine: PooledSQLiteEngine) -> None:
    await Tally.insert(Tally(name="before"))
    inside, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with transaction(engine):
            await Tally.insert(*(Tally(name=f"row-{i}") for i in range(5)))
            assert await Tally.count() == 6  # the transaction sees its own rows
            inside.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await inside.wait()
    # Many readers at once, more than there are reader connections, while the write is open.
    counts = await asyncio.wait_for(
        asyncio.gather(*(_in_fresh_context(_count) for _ in range(SQLITE_READERS * 5))), timeout=5
    )
    assert counts == [1] * (SQLITE_READERS * 5)
    release.set()
    await task
    assert await _in_fresh_context(_count) == 6


async def test_a_rollback_leaves_nothing_and_the_writer_is_clean_afterwards(engine: PooledSQLiteEngine) -> None:
    with pytest.raises(RuntimeError):
        async with transaction(engine):
            await Tally.insert(Tally(name="gone"))
            raise RuntimeError("changed my mind")
    assert await Tally.count() == 0
    # A failed statement inside a transaction rolls the whole transaction back as well.
    await Tally.insert(Tally(name="taken"))
    with pytest.raises(sqlite3.IntegrityError):
        async with transaction(engine):
            await Tally.insert(Tally(name="fresh"))
            await Tally.insert(Tally(name="taken"))
    assert sorted(await Tally.select(Tally.name).output(as_list=True)) == ["taken"]
    async with transaction(engine):  # the shared writer is not left inside a transaction
        await Tally.insert(Tally(name="after"))
    assert await Tally.count() == 2


async def test_concurrent_writers_are_serialised_and_all_land(engine: PooledSQLiteEngine) -> None:
    await Tally.insert(Tally(name="counter", value=0))
    counter = await Tally.objects().where(Tally.name == "counter").first()
    assert counter is not None

    async def increment(i: int) -> None:
        async with transaction(engine):
            # Read, think, write: a lost update would show if two of these overlapped.
            row = await Tally.select(Tally.value).where(Tally.id == counter.id).first()
            await asyncio.sleep(0)
            await Tally.update({Tally.value: row["value"] + 1}).where(Tally.id == counter.id)
            await Mark.insert(Mark(tally=counter.id, n=i))

    async def plain_write(i: int) -> None:  # autocommit writes share the writer with transactions
        await Mark.insert(Mark(tally=counter.id, n=1000 + i))

    await asyncio.gather(*(increment(i) for i in range(60)), *(plain_write(i) for i in range(20)))
    assert (await Tally.select(Tally.value).where(Tally.id == counter.id).first())["value"] == 60
    assert await Mark.count() == 80


async def test_a_cancelled_transaction_rolls_back_and_frees_the_writer(engine: PooledSQLiteEngine) -> None:
    inside = asyncio.Event()

    async def stuck() -> None:
        async with transaction(engine):
            await Tally.insert(Tally(name="half-done"))
            inside.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(stuck())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with transaction(engine):
        await Tally.insert(Tally(name="next"))
    assert await Tally.select(Tally.name).output(as_list=True) == ["next"]


async def test_a_writer_waits_at_most_the_busy_timeout(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "busy.sqlite", busy_timeout=0.2)
    prepare_sqlite_file(settings)
    db = make_engine(settings)
    Tally._meta.db = db
    await open_engine(db, settings)
    try:
        await Tally.create_table()
        inside, release = asyncio.Event(), asyncio.Event()

        async def holder() -> None:
            async with transaction(db):
                await Tally.insert(Tally(name="holder"))
                inside.set()
                await release.wait()

        task = asyncio.create_task(holder())
        await inside.wait()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await _in_fresh_context(Tally.insert(Tally(name="late")).run)
        assert await _in_fresh_context(_count) == 0  # reads are not held up by the writer
        release.set()
        await task
        assert await Tally.count() == 1
    finally:
        await close_engine(db)


async def test_a_deferred_transaction_works_on_its_own_connection(engine: PooledSQLiteEngine) -> None:
    async with engine.transaction():  # Piccolo's default type: DEFERRED
        await Tally.insert(Tally(name="deferred"))
        assert await Tally.count() == 1
    assert await _in_fresh_context(_count) == 1
    with pytest.raises(RuntimeError):
        async with engine.transaction():
            await Tally.insert(Tally(name="dropped"))
            raise RuntimeError
    assert await Tally.count() == 1


async def test_connection_settings_cannot_leak_into_shared_connections(engine: PooledSQLiteEngine) -> None:
    # PRAGMAs and other statements that change a connection run on a connection of their own.
    await engine.run_ddl("PRAGMA foreign_keys = 0")
    with pytest.raises(sqlite3.IntegrityError):
        await Mark.insert(Mark(tally=12345))
    rows = await engine.run_ddl("PRAGMA foreign_keys")
    assert rows == [{"foreign_keys": 1}]


async def test_a_task_cannot_use_a_transaction_that_has_ended(engine: PooledSQLiteEngine) -> None:
    late: list[asyncio.Task[int]] = []
    go = asyncio.Event()

    async def straggler() -> int:
        await go.wait()
        return await Tally.count()

    async with transaction(engine):
        late.append(asyncio.create_task(straggler()))  # inherits the transaction's context
    go.set()
    with pytest.raises(ValueError, match="ended"):  # Piccolo's own closed connection raises ValueError too
        await late[0]


async def test_closing_the_engine_ends_its_connections(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "close.sqlite")
    prepare_sqlite_file(settings)
    before = _worker_threads()
    db = make_engine(settings)
    Tally._meta.db = db
    await open_engine(db, settings)
    await Tally.create_table()
    await asyncio.gather(*(Tally.count() for _ in range(20)))
    async with db.transaction():  # a spare connection for a deferred transaction
        await Tally.count()
    mine = _worker_threads() - before
    assert len(mine) >= SQLITE_READERS + 1
    await close_engine(db)
    for thread in mine:
        thread.join(timeout=5)
    assert not [t for t in mine if t.is_alive()]
    # Closed, the engine still answers, as Piccolo's own engine does: one connection per query.
    assert await Tally.count() == 0
