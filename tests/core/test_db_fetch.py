"""``backend.core.db.fetch``: a read written as SQL with ``{}`` for its values, compiled once per
engine and template, run on the pool (or, inside a transaction, on the transaction's connection),
its rows typed as Piccolo's own queries type them. On both databases."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx

from backend.core.db import compiled, fetch, transaction
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
