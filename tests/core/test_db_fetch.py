"""``backend.core.db.fetch``: a read written as SQL with ``{}`` for its values, compiled once per
engine and template, run on the pool (or, inside a transaction, on the transaction's connection),
its rows typed as Piccolo's own queries type them. On both databases."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest
from piccolo.querystring import QueryString

from backend.core.db import POSTGRES_ACQUIRE_TIMEOUT_SECONDS, _acquire_timeout, compiled, fetch, flattened, transaction
from backend.events.catalogue.tables import Venue
from tests.factories import city_tree, venue


def test_placeholders_are_the_drivers_and_each_template_compiles_once() -> None:
    template = 'SELECT "id" FROM "event_venue" WHERE "name" = {} AND "latitude" > {}'
    assert compiled(template, postgres=True) == 'SELECT "id" FROM "event_venue" WHERE "name" = $1 AND "latitude" > $2'
    assert compiled(template, postgres=False) == 'SELECT "id" FROM "event_venue" WHERE "name" = ? AND "latitude" > ?'
    assert compiled(template, postgres=True) is compiled(template, postgres=True)


async def test_rows_are_typed_as_piccolo_types_them_inside_a_transaction_too(client: httpx.AsyncClient) -> None:
    tree = await city_tree()
    place = await venue(tree["street_a"], tree["community_a"])
    engine = Venue._meta.db
    template = 'SELECT "id", "latitude", "created_at" FROM "event_venue" WHERE "id" = {}'
    [row] = await fetch(engine, template, [place.id])
    assert row["id"] == place.id and isinstance(row["id"], uuid.UUID)
    assert row["latitude"] == place.latitude and isinstance(row["created_at"], datetime)
    assert row["created_at"].tzinfo is not None

    async with transaction(engine):
        await Venue.update({Venue.latitude: 31.5}).where(Venue.id == place.id)
        [inside] = await fetch(engine, template, [place.id])  # the transaction's own connection
        assert inside["latitude"] == 31.5
    [after] = await fetch(engine, template, [place.id])
    assert after["latitude"] == 31.5


def test_nested_querystrings_are_flattened_as_piccolo_bundles_them() -> None:
    """A subquery or a signal's INSERT given as a value of its own: one template of ``{}`` and the
    plain values in order, the SQL Piccolo itself would send; what Piccolo would read otherwise
    (escaped braces, a count that does not match) is left to Piccolo."""
    inner = QueryString("SELECT id FROM b WHERE x = {} AND y = {}", 2, 3)
    template, values = flattened("SELECT {} , ({}) , {}", [1, inner, 4]) or ("", [])
    assert (template, values) == ("SELECT {} , (SELECT id FROM b WHERE x = {} AND y = {}) , {}", [1, 2, 3, 4])
    bundled = QueryString("SELECT {} , ({}) , {}", 1, inner, 4).compile_string("postgres")
    assert compiled(template, postgres=True) == bundled[0] and values == bundled[1]
    assert flattened("SELECT '{{}}', {}", [1]) is None
    assert flattened("SELECT {}", [1, 2]) is None


@pytest.mark.parametrize("backend", ["postgres"])  # SQLite's pool is ours and waits on no timer
async def test_a_free_connection_is_taken_without_a_timer_a_busy_pool_is_waited_for_with_one(
    client: httpx.AsyncClient, backend: str
) -> None:
    """PostgreSQL: while the pool has a connection free, taking it cannot wait, so no timer is set
    (asyncpg's costs one on the acquire and one on the release); when none is free, the request
    waits at most ``POSTGRES_ACQUIRE_TIMEOUT_SECONDS`` (then a 503, as tests/test_faults.py shows)."""
    pool = Venue._meta.db.pool
    assert _acquire_timeout(pool) is None
    held = [await pool.acquire() for _ in range(pool.get_size())]
    try:
        assert pool.get_idle_size() == 0
        assert _acquire_timeout(pool) == POSTGRES_ACQUIRE_TIMEOUT_SECONDS
    finally:
        for connection in held:
            await pool.release(connection)
    assert _acquire_timeout(pool) is None
