"""Query plans in tests: whether an index serves a query whatever the table's size
(``index_plan``), and the plan a prepared statement gets once PostgreSQL stops planning it for
each call's values (``generic_plan``: its generic plan, what a busy connection runs)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from piccolo.querystring import QueryString
from piccolo.table import Table

from backend.core.db import transaction


async def index_plan(table: type[Table], backend: str, query: Any, *, competing: tuple[str, ...] = ()) -> str:
    """The query's plan. PostgreSQL is kept from what a small table makes cheap (a scan, a bitmap,
    a sort) whenever it has another way, and on both databases the ``competing`` indexes (which
    also lead with the person, and on a small table may cost the same) are dropped inside a
    transaction that is rolled back: the plan shows whether the index serves the query whatever
    the table's size."""
    sql = str(query)
    if backend == "sqlite" and not competing:
        rows = await table.raw(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(row["detail"] for row in rows)
    if backend == "sqlite":
        # On the transaction's own connection: the app's readers keep theirs, and a plan read
        # there may still name an index the transaction dropped.
        try:
            async with transaction(table._meta.db):
                for index in competing:
                    await table.raw(f"DROP INDEX IF EXISTS {index}")
                rows = await table.raw(f"EXPLAIN QUERY PLAN {sql}")
                raise _Explained("\n".join(row["detail"] for row in rows))
        except _Explained as explained:
            return str(explained)
    # As autovacuum leaves a table after many inserts: statistics, and pages marked all-visible.
    await table.raw(f"VACUUM ANALYZE {table._meta.tablename}")
    try:
        async with transaction(table._meta.db):
            await table.raw("SET LOCAL enable_seqscan = off")
            await table.raw("SET LOCAL enable_sort = off")
            await table.raw("SET LOCAL enable_bitmapscan = off")
            for index in competing:
                await table.raw(f"DROP INDEX IF EXISTS {index}")
            rows = await table.raw(f"EXPLAIN {sql}")
            raise _Explained("\n".join(row["QUERY PLAN"] for row in rows))
    except _Explained as explained:
        return str(explained)


class _Explained(Exception):
    """Carries the plan out of the transaction, rolling back what it dropped."""


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (uuid.UUID, datetime, str)):
        return "'" + str(value).replace("'", "''") + "'"
    raise TypeError(f"no literal for {type(value).__name__}")


async def generic_plan(table: type[Table], backend: str, template: str, *args: Any) -> str:
    """The plan of ``table.raw(template, *args)``. On PostgreSQL the statement is prepared and
    explained with ``plan_cache_mode = force_generic_plan``: the plan that cannot see the values,
    which a prepared statement settles on after a few calls. A test's tables are small, so
    PostgreSQL is kept from scanning them whole or by bitmap when it has an index to walk, as it
    would be by their size in use: the plan shows which index it picks."""
    if backend == "sqlite":
        rows = await table.raw(f"EXPLAIN QUERY PLAN {template}", *args)
        return "\n".join(row["detail"] for row in rows)
    sql, values = QueryString(template, *args).compile_string("postgres")
    name = f"plan_{uuid.uuid4().hex}"
    async with transaction(table._meta.db):
        await table.raw("SET LOCAL plan_cache_mode = force_generic_plan")
        await table.raw("SET LOCAL enable_seqscan = off")
        await table.raw("SET LOCAL enable_bitmapscan = off")
        await table.raw(f"PREPARE {name} AS {sql}")
        try:
            rows = await table.raw(f"EXPLAIN EXECUTE {name}({', '.join(_literal(v) for v in values)})")
        finally:
            await table.raw(f"DEALLOCATE {name}")
    return "\n".join(row["QUERY PLAN"] for row in rows)
