"""Counting the statements a piece of work runs: what a hot path's promise is checked by."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

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

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_type, "run_querystring", counted)
        yield seen
