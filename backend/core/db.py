"""The database engine: an SQLite file by default, PostgreSQL when the URL says so.

The schema comes only from Piccolo migrations (``linli migrate``); nothing here creates tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString
from piccolo.table import Table

from backend.settings import Settings


def make_engine(settings: Settings) -> Engine:
    """Build (not connect) the engine that ``settings.database_url`` names."""
    if settings.uses_postgres:
        return PostgresEngine(
            config={"dsn": settings.database_url},
            extra_nodes={},
        )
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    # ``timeout`` is SQLite's busy timeout: a writer waits for the lock instead of failing.
    return SQLiteEngine(path=str(settings.sqlite_path), timeout=settings.sqlite_busy_timeout_seconds)


def prepare_sqlite_file(settings: Settings) -> None:
    """WAL lets readers go on while one writer writes; the mode is stored in the file."""
    if settings.uses_postgres:
        return
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(settings.sqlite_path, timeout=settings.sqlite_busy_timeout_seconds) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def bind_tables(engine: Engine, tables: Iterable[type[Table]]) -> None:
    """Point every table at this engine, instead of the one ``piccolo_conf.py`` would find."""
    for table in tables:
        table._meta.db = engine


async def open_engine(engine: Engine, settings: Settings) -> None:
    """Open the pool and prove the database answers: a dead database fails start-up loudly."""
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(
            min_size=1, max_size=settings.database_pool_size, command_timeout=30
        )
    await engine.run_ddl("SELECT 1")


async def close_engine(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


async def engine_ready(engine: Engine) -> bool:
    try:
        await engine.run_ddl("SELECT 1")
    except Exception:  # any failure means "not ready"; /ready reports it, it must not raise
        return False
    return True


def transaction(engine: Engine) -> Any:
    """A write transaction. On SQLite it takes the write lock at once (BEGIN IMMEDIATE), so two
    writers queue on the busy timeout instead of failing halfway with "database is locked"."""
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def is_postgres(engine: Engine) -> bool:
    return isinstance(engine, PostgresEngine)


# What each driver raises when a unique index refuses a row.
UNIQUE_VIOLATIONS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, asyncpg.UniqueViolationError)


async def lock_row(engine: Engine, tablename: str, row_id: object) -> None:
    """Hold one row until the transaction ends. PostgreSQL needs FOR UPDATE; SQLite's
    BEGIN IMMEDIATE already serialises every writer."""
    if isinstance(engine, PostgresEngine):
        await engine.run_querystring(QueryString(f"SELECT 1 FROM {tablename} WHERE id = {{}} FOR UPDATE", row_id))
