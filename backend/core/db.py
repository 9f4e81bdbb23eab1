"""The database engine: an SQLite file by default, PostgreSQL when the URL says so.

The schema comes only from Piccolo migrations (``linli migrate``); nothing here creates tables.

PostgreSQL may restart under a running app. asyncpg hands a connection the server cut back to its
pool at once (the transaction using it then fails) and opens a new one when next asked, so the
pool heals by itself; meanwhile requests answer 503 (``backend.core.errors.unavailable_error``),
and once PostgreSQL is back the next requests work without anyone stepping in.
``RecoveringPostgresEngine`` closes the gaps left: a transaction whose COMMIT or ROLLBACK fails on a
live connection (a constraint checked at commit, a command timeout while the server stalls) gives
its connection back (Piccolo's own keeps it for good: a few of those and every request waits
forever), and no request waits forever for a pooled connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import aiosqlite
import asyncpg
import structlog
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString
from piccolo.table import Table

from backend.settings import Settings

# Long-lived connections an SQLite engine keeps open for statements outside a transaction. Each is
# a thread; sqlite3 lets go of the GIL while SQLite works, so a few readers overlap on two cores.
SQLITE_READERS = 4
# Idle connections kept for DEFERRED transactions (the app's own write transactions are IMMEDIATE).
SQLITE_SPARE = 2

_FIRST_WORD = re.compile(r"\s*([A-Za-z]+)")
_READS = frozenset({"SELECT", "VALUES", "EXPLAIN"})
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "WITH"})
# Before 3.35 an INSERT has no RETURNING and Piccolo reads the new key back its own way.
_HAS_RETURNING = sqlite3.sqlite_version_info >= (3, 35)

# PostgreSQL: how long a request waits for a pooled connection, and for a new connection to open,
# before it gives up with a 503 (a full pool under load waits; a dead server must not hang requests).
POSTGRES_ACQUIRE_TIMEOUT_SECONDS = 10.0
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5.0

log = structlog.get_logger("linli.db")


@dataclass(eq=False)
class _Connections:
    """What a pooled SQLite engine holds between ``open_engine`` and ``close_engine``."""

    loop: asyncio.AbstractEventLoop
    readers: asyncio.Queue[aiosqlite.Connection]
    writer: aiosqlite.Connection
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    writer_dirty: bool = False  # a transaction ended abnormally: roll back before the next BEGIN
    spare: list[tuple[aiosqlite.Connection, bool]] = field(default_factory=list)  # (connection, dirty)
    opened: list[aiosqlite.Connection] = field(default_factory=list)
    closing: set[asyncio.Task[None]] = field(default_factory=set)


class _PooledTransaction(SQLiteTransaction):
    """Piccolo's transaction, on one of the engine's connections instead of a new one.

    IMMEDIATE and EXCLUSIVE transactions run on the one writer connection, taken in turn under an
    asyncio lock (still with ``BEGIN IMMEDIATE``, so other processes are kept out by SQLite's own
    lock and busy timeout as before); DEFERRED ones get a connection of their own.
    """

    __slots__ = ("_ended", "_lease")

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self._ended = False
        self._lease = await cast(PooledSQLiteEngine, self.engine)._lease(self.transaction_type)
        self.connection = self._lease.connection
        try:
            await self.begin()
        except BaseException:
            self._lease.release(clean=False)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def begin(self) -> None:
        await self.connection.execute_fetchall(f"BEGIN {self.transaction_type.value}")

    async def commit(self) -> None:
        await self.connection.execute_fetchall("COMMIT")
        self._committed = True

    async def rollback(self) -> None:
        await self.connection.execute_fetchall("ROLLBACK")
        self._rolled_back = True

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        clean = False
        try:
            if exception:
                if not self._rolled_back:
                    # sqlite3's own rollback, a no-op when SQLite has already rolled back by itself
                    # (Piccolo's "ROLLBACK" would then raise and hide the original error).
                    await self.connection.rollback()
                    self._rolled_back = True
            elif not self._committed and not self._rolled_back:
                await self.commit()
            clean = True
        finally:
            # Unlike Piccolo's, this also runs when COMMIT fails: the task leaves the transaction
            # and the connection goes back (rolled back before anyone uses it again).
            self._ended = True
            self.engine.current_transaction.reset(self.context)
            self._lease.release(clean=clean)
        return exception is None


@dataclass(eq=False)
class _Lease:
    connection: aiosqlite.Connection
    engine: PooledSQLiteEngine
    pool: _Connections
    writer: bool

    def release(self, *, clean: bool) -> None:
        """Synchronous, so a cancelled task cannot keep the connection or the lock."""
        if self.writer:
            self.pool.writer_dirty = self.pool.writer_dirty or not clean
            self.pool.write_lock.release()
        else:
            self.engine._return_spare(self.pool, self.connection, dirty=not clean)


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with long-lived connections.

    Piccolo opens a new connection, and a new thread, for every query, and SQLite then reads the
    whole schema again; that made a 20-row list several times slower than on PostgreSQL. Between
    ``start_connection_pool`` and ``close_connection_pool`` this engine instead runs:

    - reads outside a transaction on a few long-lived reader connections (WAL: they never wait
      for a writer and see only committed data);
    - writes outside a transaction, and IMMEDIATE/EXCLUSIVE transactions, on one writer
      connection, one at a time under an asyncio lock held for the whole transaction (waiting at
      most the busy timeout, then "database is locked", as SQLite itself would answer);
    - DEFERRED transactions on spare connections of their own;
    - anything else (PRAGMA, DDL, BEGIN by hand) on a new connection, exactly as Piccolo does, so
      per-connection state never leaks into a shared connection.

    Every connection has ``foreign_keys`` on and the busy timeout, as Piccolo's own. Outside that
    window (the ``piccolo`` CLI, or another event loop) it is Piccolo's engine unchanged.
    """

    __slots__ = ("_pool",)

    def __init__(self, path: str = "piccolo.sqlite", **kwargs: Any) -> None:
        self._pool: _Connections | None = None
        super().__init__(path=path, **kwargs)

    @property
    def busy_timeout(self) -> float:
        return float(self.connection_kwargs.get("timeout", 5.0))

    # --- opening and closing -------------------------------------------------------------------

    async def start_connection_pool(self, readers: int = SQLITE_READERS) -> None:
        if self._pool is not None:
            return
        opened: list[aiosqlite.Connection] = []
        try:
            for _ in range(readers + 1):
                opened.append(await self._connect())
        except BaseException:
            for connection in opened:
                await connection.close()
            raise
        queue: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for connection in opened[1:]:
            queue.put_nowait(connection)
        self._pool = _Connections(loop=asyncio.get_running_loop(), readers=queue, writer=opened[0], opened=list(opened))

    async def close_connection_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if pool.closing:
            await asyncio.gather(*pool.closing, return_exceptions=True)
        for connection in pool.opened:
            await connection.close()  # waits for whatever is already queued on it

    async def _connect(self) -> aiosqlite.Connection:
        connection = await aiosqlite.connect(**self.connection_kwargs)
        try:
            connection.row_factory = dict_factory  # type: ignore[assignment]  # aiosqlite types it as a Row class
            await connection.execute_fetchall("PRAGMA foreign_keys = 1")
        except BaseException:
            await connection.close()
            raise
        return connection

    def _usable_pool(self) -> _Connections | None:
        pool = self._pool
        if pool is None:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return pool if loop is pool.loop else None

    # --- leases for transactions ---------------------------------------------------------------

    async def _lease(self, transaction_type: TransactionType) -> _Lease:
        pool = self._usable_pool()
        if pool is None:
            raise sqlite3.ProgrammingError("the engine's connections were closed")
        if transaction_type is not TransactionType.deferred:
            await self._take_writer(pool)
            return _Lease(connection=pool.writer, engine=self, pool=pool, writer=True)
        if pool.spare:
            connection, dirty = pool.spare.pop()
        else:
            connection, dirty = await self._connect(), False
            pool.opened.append(connection)
        if dirty:
            try:
                await connection.rollback()  # a no-op unless a transaction was left open
            except BaseException:
                self._return_spare(pool, connection, dirty=True)
                raise
        return _Lease(connection=connection, engine=self, pool=pool, writer=False)

    async def _take_writer(self, pool: _Connections) -> None:
        """The write lock, and the writer connection ready for a new statement or BEGIN."""
        await self._acquire_write_lock(pool)
        try:
            if pool.writer_dirty:
                await pool.writer.rollback()  # a no-op unless a transaction was left open
                pool.writer_dirty = False
        except BaseException:
            pool.write_lock.release()
            raise

    async def _acquire_write_lock(self, pool: _Connections) -> None:
        try:
            async with asyncio.timeout(self.busy_timeout):
                await pool.write_lock.acquire()
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None

    def _return_spare(self, pool: _Connections, connection: aiosqlite.Connection, *, dirty: bool) -> None:
        if self._pool is pool and len(pool.spare) < SQLITE_SPARE:
            pool.spare.append((connection, dirty))
            return
        if connection in pool.opened:
            pool.opened.remove(connection)
        task = asyncio.ensure_future(connection.close())
        pool.closing.add(task)
        task.add_done_callback(pool.closing.discard)

    def transaction(
        self, transaction_type: TransactionType = TransactionType.deferred, allow_nested: bool = True
    ) -> SQLiteTransaction:
        if self._usable_pool() is None:
            return super().transaction(transaction_type=transaction_type, allow_nested=allow_nested)
        return _PooledTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)

    # --- running statements ----------------------------------------------------------------------

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        pool = self._usable_pool()
        if pool is None or (querystring.query_type == "insert" and not _HAS_RETURNING):
            return await super().run_querystring(querystring, in_pool=in_pool)
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=str(querystring))
        sql, args = querystring.compile_string(engine_type=self.engine_type)
        response = await self._run(pool, sql, args)
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        pool = self._usable_pool()
        if pool is None:
            return await super().run_ddl(ddl, in_pool=in_pool)
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=ddl)
        response = await self._run(pool, ddl, [])
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def _run(self, pool: _Connections, sql: str, args: list[Any]) -> list[dict[str, Any]]:
        current = self.current_transaction.get()
        if current is not None:
            if getattr(current, "_ended", False):
                # A task started inside a transaction that has since ended (Piccolo's closed
                # connection would refuse too); never let it into whoever holds the writer now.
                raise ValueError("this transaction has already ended")
            return cast(list[dict[str, Any]], list(await current.connection.execute_fetchall(sql, args)))
        match = _FIRST_WORD.match(sql)
        word = match.group(1).upper() if match else ""
        if word in _READS:
            connection = await pool.readers.get()
            try:
                return cast(list[dict[str, Any]], list(await connection.execute_fetchall(sql, args)))
            finally:
                # Even if this task was cancelled: the statement finishes on the connection's own
                # thread before anything queued after it, and leaves no transaction open.
                pool.readers.put_nowait(connection)
        if word in _WRITES:
            await self._take_writer(pool)
            try:
                return cast(list[dict[str, Any]], list(await pool.writer.execute_fetchall(sql, args)))
            finally:
                pool.write_lock.release()
        rows: list[dict[str, Any]] = await self._run_in_new_connection(sql, args)
        return rows


class _RecoveringPostgresTransaction(PostgresTransaction):
    """Piccolo's transaction, except that its connection always goes back to the pool.

    Piccolo releases the connection (and leaves the task's transaction context) only after a
    successful BEGIN, COMMIT or ROLLBACK: when one of them raises on a live connection, the pool
    never gets that connection back. asyncpg's ``release`` copes with a dirty or dead connection
    (it rolls back or closes it; the pool opens a new one when next asked).
    """

    __slots__ = ("hold",)

    def __init__(self, engine: PostgresEngine, allow_nested: bool = True, hold: str | None = None) -> None:
        super().__init__(engine=engine, allow_nested=allow_nested)
        self.hold = hold

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            if self.hold is not None:
                raise RuntimeError("a transaction that holds a row must be the outermost")
            return self._parent
        self.connection = await self.get_connection()
        try:
            self.transaction = self.connection.transaction()
            await self.begin()
        except BaseException:
            await self._give_back()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    # A transaction that holds a row sends BEGIN and the row's FOR UPDATE in one message (the
    # simple protocol takes several statements), then ends itself as asyncpg would: a round trip
    # less on the hot paths, which start by holding the person.

    async def begin(self) -> None:
        if self.hold is None:
            await super().begin()  # type: ignore[no-untyped-call]
        else:
            await self.connection.execute(f"BEGIN; {self.hold}")

    async def commit(self) -> None:
        if self.hold is None:
            await super().commit()  # type: ignore[no-untyped-call]
        else:
            await self.connection.execute("COMMIT")
            self._committed = True

    async def rollback(self) -> None:
        if self.hold is None:
            await super().rollback()  # type: ignore[no-untyped-call]
        else:
            await self.connection.execute("ROLLBACK")
            self._rolled_back = True

    async def get_connection(self) -> Any:
        if self.engine.pool:
            return await self.engine.pool.acquire(timeout=_acquire_timeout(self.engine.pool))
        return await self.engine.get_new_connection()

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    try:
                        await self.rollback()
                    except Exception as failure:
                        # The connection died with the transaction (PostgreSQL rolls it back by
                        # itself); the error that brought us here is the one to report.
                        log.warning("rollback_failed", error_type=type(failure).__name__)
            elif not self._committed and not self._rolled_back:
                await self.commit()
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._give_back()
        return exception is None

    async def _give_back(self) -> None:
        if not self.engine.pool:
            self.connection.terminate()
            return
        try:
            await self.engine.pool.release(self.connection)
        except Exception as failure:
            # asyncpg has closed the connection and freed its slot; the outcome stands as it is.
            log.warning("connection_release_failed", error_type=type(failure).__name__)


# --- a read replica --------------------------------------------------------------------------

# How long a cache entry read from the replica is kept (``backend.core.replica``).
REPLICA_CACHE_SECONDS = 5
# Set for the requests whose reads may come from the replica (``backend.core.replica``).
_replica_reads: ContextVar[bool] = ContextVar("linli_replica_reads", default=False)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Statements outside a transaction in this block read from the replica, if there is one."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reading_replica() -> bool:
    return _replica_reads.get()


# What a replica that is down or restarting raises: its reads then go to the primary.
_REPLICA_AWAY: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionDoesNotExistError,
)


class RecoveringPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine, surviving a server restart: transactions give their
    connection back whatever happened, and waiting for a pooled connection has a limit.

    With a ``replica`` (``LINLI_DATABASE_REPLICA_URL``), a SELECT run outside any transaction
    inside ``replica_reads()`` goes to the replica's pool; everything else (writes, every
    transaction, the reads of every other request) stays here. A replica that cannot be reached
    sends the read back here rather than fail it."""

    __slots__ = ("replica",)

    def __init__(self, *args: Any, replica: RecoveringPostgresEngine | None = None, **kwargs: Any) -> None:
        self.replica = replica
        super().__init__(*args, **kwargs)

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _RecoveringPostgresTransaction(engine=self, allow_nested=allow_nested)

    async def close_connection_pool(self) -> None:
        """Close gracefully, but never wait for ever for a connection someone still holds."""
        pool, self.pool = self.pool, None
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.close(), timeout=POSTGRES_ACQUIRE_TIMEOUT_SECONDS)
        except TimeoutError:
            log.warning("pool_close_timed_out")
            pool.terminate()

    async def _run_in_pool(self, query: str, args: Any = None) -> Any:
        replica = self.replica
        if replica is not None and replica.pool is not None and _replica_reads.get():
            match = _FIRST_WORD.match(query)
            if match and match.group(1).upper() == "SELECT":
                try:
                    return await replica._run_in_pool(query, args)
                except _REPLICA_AWAY as away:
                    log.warning("replica_unavailable", error_type=type(away).__name__)
        if not self.pool:
            raise ValueError("A pool isn't currently running.")
        async with self.pool.acquire(timeout=_acquire_timeout(self.pool)) as connection:
            return await connection.fetch(query, *(args or []))


def _acquire_timeout(pool: Any) -> float | None:
    """No timeout when a connection is free (the acquire cannot wait, and asyncpg's timeout costs
    a timer on the acquire and on the release of every statement); ``POSTGRES_ACQUIRE_TIMEOUT_SECONDS``
    when the request may have to wait for one."""
    return None if pool.get_idle_size() else POSTGRES_ACQUIRE_TIMEOUT_SECONDS


def make_engine(settings: Settings) -> Engine[Any]:
    """Build (not connect) the engine that ``settings.database_url`` names."""
    if settings.uses_postgres:
        config: dict[str, Any] = {"dsn": settings.database_url, "timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS}
        if settings.database_behind_pgbouncer:
            # In transaction mode consecutive statements of one client connection run on different
            # server connections, where asyncpg's named prepared statements do not exist.
            config["statement_cache_size"] = 0
        replica = None
        if settings.database_replica_url:
            replica = RecoveringPostgresEngine(config={**config, "dsn": settings.database_replica_url}, extra_nodes={})
        return RecoveringPostgresEngine(config=config, extra_nodes={}, replica=replica)
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    # ``timeout`` is SQLite's busy timeout: a writer waits for the lock instead of failing.
    return PooledSQLiteEngine(path=str(settings.sqlite_path), timeout=settings.sqlite_busy_timeout_seconds)


def prepare_sqlite_file(settings: Settings) -> None:
    """WAL lets readers go on while one writer writes; the mode is stored in the file."""
    if settings.uses_postgres:
        return
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(settings.sqlite_path, timeout=settings.sqlite_busy_timeout_seconds) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def bind_tables(engine: Engine[Any], tables: Iterable[type[Table]]) -> None:
    """Point every table at this engine, instead of the one ``piccolo_conf.py`` would find."""
    for table in tables:
        table._meta.db = engine


async def _keep_session(connection: asyncpg.Connection) -> None:
    """What a connection goes back to the pool with. asyncpg's default sends ``RESET ALL; UNLISTEN
    *; ...`` on every release, a round trip per statement run outside a transaction. The app never
    leaves session state behind (no LISTEN, no session-level SET or advisory lock; transactions
    are rolled back by asyncpg before this runs), so there is nothing to reset."""


async def open_engine(engine: Engine[Any], settings: Settings) -> None:
    """Open the pool and prove the database answers: a dead database fails start-up loudly."""
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(
            min_size=1, max_size=settings.database_pool_size, command_timeout=30, reset=_keep_session
        )
        replica = getattr(engine, "replica", None)
        if replica is not None:
            # Not started: the primary serves every read until the replica answers (logged).
            try:
                await replica.start_connection_pool(
                    min_size=1, max_size=settings.database_pool_size, command_timeout=30, reset=_keep_session
                )
            except (OSError, TimeoutError, asyncpg.PostgresError) as away:
                log.warning("replica_not_started", error_type=type(away).__name__)
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.start_connection_pool()
    try:
        await engine.run_ddl("SELECT 1")
    except BaseException:
        await close_engine(engine)  # aiosqlite's threads would otherwise keep the process alive
        raise


async def close_engine(engine: Engine[Any]) -> None:
    replica = getattr(engine, "replica", None)
    if replica is not None:
        await replica.close_connection_pool()
    if isinstance(engine, (PostgresEngine, PooledSQLiteEngine)):
        await engine.close_connection_pool()


async def primary_position(engine: Engine[Any]) -> str | None:
    """Where the primary's WAL is now (after a commit: a position that includes it)."""
    if getattr(engine, "replica", None) is None:
        return None
    rows = await engine.run_ddl("SELECT pg_current_wal_lsn()::text AS lsn")
    return str(rows[0]["lsn"])


async def replica_has_replayed(engine: Engine[Any], position: str) -> bool:
    """Whether the replica has replayed the primary's WAL up to ``position`` (False when it
    cannot say: the read then goes to the primary)."""
    replica = getattr(engine, "replica", None)
    if replica is None or replica.pool is None:
        return False
    try:
        async with replica.pool.acquire(timeout=POSTGRES_ACQUIRE_TIMEOUT_SECONDS) as connection:
            return bool(await connection.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", position))
    except (*_REPLICA_AWAY, asyncpg.PostgresError):
        return False


async def engine_ready(engine: Engine[Any]) -> bool:
    try:
        await engine.run_ddl("SELECT 1")
    except Exception:  # any failure means "not ready"; /ready reports it, it must not raise
        return False
    return True


_TABLE_NAME = re.compile(r"[a-z_]+")


def transaction(engine: Engine[Any], *, hold: tuple[str, uuid.UUID] | None = None) -> Any:
    """A write transaction. On SQLite it takes the write lock at once (BEGIN IMMEDIATE), so two
    writers queue on the busy timeout instead of failing halfway with "database is locked".

    ``hold``: a (table, id) row held from the start until the end, as ``lock_row`` would hold it
    first thing; on PostgreSQL it goes with BEGIN, one round trip for both."""
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    if hold is None:
        return engine.transaction()
    tablename, row_id = hold
    # Written in, not bound (the simple protocol takes no arguments): a table name of the code's
    # and a UUID, whose text is only hex digits and dashes.
    if not _TABLE_NAME.fullmatch(tablename) or not isinstance(row_id, uuid.UUID):
        raise ValueError(f"not a row to hold: {hold!r}")
    return _RecoveringPostgresTransaction(
        engine=cast(PostgresEngine, engine), hold=f"SELECT 1 FROM {tablename} WHERE id = '{row_id}' FOR UPDATE"
    )


def is_postgres(engine: Engine[Any]) -> bool:
    return isinstance(engine, PostgresEngine)


# What each driver raises when a unique index refuses a row.
UNIQUE_VIOLATIONS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, asyncpg.UniqueViolationError)


async def lock_row(engine: Engine[Any], tablename: str, row_id: object) -> None:
    """Hold one row until the transaction ends. PostgreSQL needs FOR UPDATE; SQLite's
    BEGIN IMMEDIATE already serialises every writer."""
    if isinstance(engine, PostgresEngine):
        await engine.run_querystring(QueryString(f"SELECT 1 FROM {tablename} WHERE id = {{}} FOR UPDATE", row_id))


_NAMED = re.compile(r"\{([a-z_]+)\}")


_CONSTANT = re.compile(r"[a-z_]+")


def with_constants(template: str, **values: str) -> str:
    """``template`` with these ``{name}`` placeholders written in as SQL literals: the code's own
    constants (a status, a kind), never input. A partial index (``WHERE status IN ('confirmed',
    'waitlisted')``) serves a prepared statement's generic plan only when the statement itself
    says the index's condition; a bound value hides it, and PostgreSQL falls back to whatever
    index its statistics favour that day."""
    for name, value in values.items():
        if not _CONSTANT.fullmatch(value):
            raise ValueError(f"not a constant: {value!r}")
        template = template.replace("{" + name + "}", f"'{value}'")
    return template


def named(template: str, **values: Any) -> tuple[Any, ...]:
    """A raw statement written with ``{name}`` placeholders as ``(template, *args)`` for
    ``Table.raw``, which takes ``{}`` in order: a name may come back (each use is one argument)."""
    args: list[Any] = []

    def positional(match: re.Match[str]) -> str:
        args.append(values[match.group(1)])
        return "{}"

    return (_NAMED.sub(positional, template), *args)


def json_value(value: Any) -> Any:
    """A JSON column as raw SQL returns it (text on both engines), decoded."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def timestamp_value(value: Any) -> datetime:
    """A timestamptz as raw SQL returns it: a datetime from asyncpg, text from SQLite."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    text = value.decode() if isinstance(value, bytes) else str(value)
    return datetime.fromisoformat(text).replace(tzinfo=UTC)  # SQLite keeps them in UTC, as Piccolo does


# --- reads written as SQL, compiled once --------------------------------------------------------

_COMPILED: dict[tuple[str, bool], str] = {}


def compiled(template: str, *, postgres: bool) -> str:
    """``template`` with each ``{}`` made the driver's placeholder (``$1``, ``$2``… for asyncpg,
    ``?`` for sqlite3), remembered per template: a read whose SQL depends only on the shape of
    its question (which filters, how many values in an IN) compiles each shape once."""
    key = (template, postgres)
    sql = _COMPILED.get(key)
    if sql is None:
        pieces = template.split("{}")
        if postgres:
            sql = pieces[0] + "".join(f"${n}{piece}" for n, piece in enumerate(pieces[1:], start=1))
        else:
            sql = "?".join(pieces)
        if len(_COMPILED) < 10_000:  # shapes are few; a runaway caller must not grow this for ever
            _COMPILED[key] = sql
    return sql


def flattened(template: str, values: Sequence[Any]) -> tuple[str, list[Any]] | None:
    """A template whose values may be Piccolo ``QueryString``s of their own (a subquery, a
    signal's INSERT) as one template of ``{}`` and its plain values, as Piccolo would bundle them;
    None for a template it would read otherwise (escaped braces, a count that does not match)."""
    pieces = template.split("{}")
    if len(pieces) != len(values) + 1 or "{{" in template or "}}" in template:
        return None
    written, plain = [pieces[0]], []
    for value, piece in zip(values, pieces[1:], strict=True):
        if isinstance(value, QueryString):
            inner = flattened(value.template, value.args)
            if inner is None:
                return None
            written.append(inner[0])
            plain += inner[1]
        else:
            written.append("{}")
            plain.append(value)
        written.append(piece)
    return "".join(written), plain


async def fetch(engine: Engine[Any], template: str, values: Sequence[Any]) -> Sequence[Mapping[str, Any]]:
    """Rows of a statement written as SQL with ``{}`` for each value, without building a Piccolo
    query: for the hot paths (the event list, who is asking, a sign-up), where building the query
    cost more than running it. A value may be a ``QueryString`` of its own (``flattened``). Values
    go to the driver as Piccolo's own queries pass them; rows come back as the driver gives them
    (asyncpg's records, or dicts on SQLite), typed as Piccolo's would be. Inside a transaction, or
    when no pool is open, it goes through the engine like any other query."""
    if any(isinstance(value, QueryString) for value in values):
        flat = flattened(template, values)
        if flat is None:
            return cast(Sequence[Mapping[str, Any]], await engine.run_querystring(QueryString(template, *values)))
        template, values = flat
    direct = await _run_direct(engine, template, values)
    if direct is not None:
        return direct
    return cast(Sequence[Mapping[str, Any]], await engine.run_querystring(QueryString(template, *values)))


async def _run_direct(engine: Engine[Any], template: str, values: Sequence[Any]) -> Sequence[Mapping[str, Any]] | None:
    """``fetch``'s way past Piccolo, when it may take it (None when not): the one place such a
    statement reaches the driver (``tests/statements.py`` counts them here)."""
    if isinstance(engine, RecoveringPostgresEngine):
        if engine.pool is not None and engine.current_transaction.get() is None:
            return cast(
                Sequence[Mapping[str, Any]], await engine._run_in_pool(compiled(template, postgres=True), values)
            )
    elif isinstance(engine, PooledSQLiteEngine):
        pool = engine._usable_pool()
        if pool is not None:
            return cast(
                Sequence[Mapping[str, Any]], await engine._run(pool, compiled(template, postgres=False), list(values))
            )
    return None
