"""Counting the statements a piece of work runs: what a hot path's promise is checked by."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from backend.core import db
from backend.core.tables import OutboxSignal


@contextmanager
def statements_run(*, this_task_only: bool = False) -> Iterator[list[str]]:
    """Every statement the database engine runs inside the block (the test, its app and the
    requests it makes share one engine). ``this_task_only``: only those of the calling task, which
    is where an in-process request runs, so not those the app's background tasks run meanwhile
    (the signal dispatcher's). BEGIN and COMMIT go through the transaction, not counted here."""
    engine_type = type(OutboxSignal._meta.db)  # its instances take no attributes of their own
    run = engine_type.run_querystring
    seen: list[str] = []
    caller = asyncio.current_task()

    async def counted(engine: Any, querystring: Any, in_pool: bool = False) -> Any:
        if not this_task_only or asyncio.current_task() is caller:
            seen.append(str(querystring))
        return await run(engine, querystring, in_pool=in_pool)

    run_direct = db._run_direct

    async def counted_direct(engine: Any, template: str, values: Any) -> Any:
        mine = not this_task_only or asyncio.current_task() is caller
        try:
            found = await run_direct(engine, template, values)
        except BaseException:
            if mine:
                seen.append(template)  # it reached the database, which refused it
            raise
        if found is not None and mine:
            seen.append(template)  # what db.fetch sends past Piccolo
        return found

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_type, "run_querystring", counted)
        patch.setattr(db, "_run_direct", counted_direct)
        yield seen


@contextmanager
def round_trips_to_postgres() -> Iterator[list[str]]:
    """Every message the calling task sends asyncpg's way and waits for (PostgreSQL only): a
    statement, or BEGIN and COMMIT, or several statements sent as one by the simple protocol."""
    import asyncpg

    seen: list[str] = []
    caller = asyncio.current_task()
    patched = {}
    for name in ("execute", "fetch", "fetchrow", "fetchval", "executemany"):
        original = getattr(asyncpg.Connection, name)

        def recording(original: Any) -> Any:
            async def sent(connection: Any, query: str, *args: Any, **kwargs: Any) -> Any:
                if asyncio.current_task() is caller:
                    seen.append(query)
                return await original(connection, query, *args, **kwargs)

            return sent

        patched[name] = recording(original)
    with pytest.MonkeyPatch.context() as patch:
        for name, method in patched.items():
            patch.setattr(asyncpg.Connection, name, method)
        yield seen
