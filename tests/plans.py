"""The plan a prepared statement gets once PostgreSQL stops planning it for each call's values
(its generic plan, what a busy connection runs), and SQLite's plan with the values bound."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from piccolo.querystring import QueryString
from piccolo.table import Table

from backend.core.db import transaction


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
