"""Which requests read from the replica (``LINLI_DATABASE_REPLICA_URL``), and the rule that a
resident never reads back less than they wrote.

The wiring names the public reads (``ReplicaRouting(operations=...)``: the event list and page,
library branches, the public pages); their statements outside a transaction go to the replica
(``backend.core.db.replica_reads``). Everything else stays on the primary: writes, every
transaction, a resident's own registrations and profile, the console.

A streaming replica lags the primary by a little. Others' changes showing a second late on a
public page is fine; a resident's own sign-up missing from the page they open next is not. So
after a request that may have written (any method but GET, HEAD, OPTIONS) by a signed-in caller,
the primary's WAL position is noted for that caller (in Redis for every instance, 10 minutes)
before the answer goes out; that caller's next public reads go to the replica only once it has
replayed up to that position, to the primary until then.

The cache follows: entries read from the replica are kept apart from those read from the primary
(a caller sent to the primary never gets a replica's older copy from the cache) and only briefly
(``backend.core.db.REPLICA_CACHE_SECONDS``), since the replica may have been behind when it was read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import structlog
from redis.exceptions import RedisError

from backend.core.db import primary_position, replica_has_replayed, replica_reads

log = structlog.get_logger("linli.replica")

WRITE_MEMORY_SECONDS = 600
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_PREFIX = "linli:replica:written:"


class ReplicaRouting:
    """ASGI middleware: the named operations read from the replica, as described above."""

    def __init__(self, app: Any, *, operations: Iterable[str]) -> None:
        self.app = app
        self.operations = frozenset(operations)
        self._local: dict[str, str] = {}  # without Redis: this process's memory of writers

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        engine = state.engine
        if getattr(engine, "replica", None) is None:
            await self.app(scope, receive, send)
            return
        user = scope.get("user")
        caller = str(user.id) if user is not None and getattr(user, "id", None) else None
        if scope["method"] in _SAFE:
            handler = scope.get("route_handler")
            name = getattr(handler, "operation_id", None)
            name = name if isinstance(name, str) else getattr(handler, "name", None)
            if name in self.operations and await self._replica_fits(state, caller):
                with replica_reads():
                    await self.app(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if caller is None:
            await self.app(scope, receive, send)
            return

        async def send_after_noting(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                await self._note_write(state, caller)  # before the caller can ask again
            await send(message)

        await self.app(scope, receive, send_after_noting)

    async def _replica_fits(self, state: Any, caller: str | None) -> bool:
        if caller is None:
            return True
        position = await self._written(state, caller)
        return position is None or await replica_has_replayed(state.engine, position)

    async def _written(self, state: Any, caller: str) -> str | None:
        redis = getattr(getattr(state, "resources", None), "redis", None)
        if redis is not None:
            try:
                value = await redis.get(_PREFIX + caller)
            except (RedisError, OSError):
                return "FFFFFFFF/FFFFFFFF"  # cannot tell: the primary, to be safe
            return value.decode() if value else None
        return self._local.get(caller)

    async def _note_write(self, state: Any, caller: str) -> None:
        try:
            position = await primary_position(state.engine)
        except Exception:  # the database away: the request failed anyway; nothing to remember
            return
        if position is None:
            return
        redis = getattr(getattr(state, "resources", None), "redis", None)
        if redis is not None:
            try:
                await redis.set(_PREFIX + caller, position, ex=WRITE_MEMORY_SECONDS)
                return
            except (RedisError, OSError):
                log.warning("replica_write_not_noted")
        if len(self._local) > 100_000:
            self._local.clear()
        self._local[caller] = position
