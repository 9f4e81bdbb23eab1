"""A sign-up's UPDATE reads the person's own confirmed places and nothing else of the
registrations, in the plan a busy connection settles on, even when the statistics are behind
(issue 21).

During a storm the registrations table grows faster than its statistics. The storm's hottest
statement looked for the person's earlier place in the event through the event's index (every
registration of the event, about 2,500 index entries a sign-up) and counted their places
through the status index (every confirmed place). Now "not already in" is the one-active index's
refusal at the INSERT (tests/events/registrations/test_registrations.py has its answers), and
the places held are read from a partial index of confirmed places, named by a status written
into the statement (a bound one would hide from the planner that the index applies)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx

from backend.core import clock
from backend.core.db import named
from backend.events.catalogue.tables import Event
from backend.events.registrations.services import _PLACE
from tests import factories
from tests.plans import generic_plan


async def crowd(event_id: uuid.UUID, count: int) -> None:
    """``count`` residents in the event's line, written as a storm would leave them."""
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    for i in range(count):
        user = uuid.uuid4()
        await Event.raw(
            "INSERT INTO account_user (id, openid, display_name, is_staff, created_at) VALUES ({}, {}, {}, {}, {})",
            user,
            f"crowd-{user.hex}",
            "居民",
            False,
            moment,
        )
        await Event.raw(
            'INSERT INTO event_registration (id, event, "user", party_size, status, queue_number, created_at) '
            "VALUES ({}, {}, {}, 1, {}, {}, {})",
            uuid.uuid4(),
            event_id,
            user,
            "confirmed" if i < count // 4 else "waitlisted",
            i + 1,
            moment,
        )


async def test_a_sign_up_reads_only_the_persons_confirmed_places(client: httpx.AsyncClient, backend: str) -> None:
    tree = await factories.city_tree()
    event = await factories.published_event(tree["community_a"], await factories.venue(tree["community_a"]))
    await crowd(event.id, 300)
    await Event.raw("ANALYZE")
    resident = await factories.resident()
    if backend == "sqlite":
        statement = named(
            _PLACE,
            party=1,
            event=event.id,
            published="published",
            everyone="everyone",
            now=clock.now(),
            user=resident.id,
            max_upcoming=5,
        )
    else:
        # PostgreSQL counts in ``event_places_held``, after holding the person: its count, as
        # PostgreSQL keeps it (PL/pgSQL prepares it once, its plan settling on the generic one).
        [found] = await Event.raw("SELECT pg_get_functiondef('event_places_held'::regproc) AS body")
        match = re.search(r"RETURN \((.*?)\);", found["body"], re.S)
        assert match is not None, found["body"]
        count = re.sub(r"\bperson\b", "{}", re.sub(r"\bat\b", "{}", match.group(1)))
        statement = (count, resident.id, clock.now())
    plan = await generic_plan(Event, backend, *statement)
    read = {
        name
        for name in ("one_active", "event", "queue", "status", "user", "user_confirmed")
        if f"event_registration_{name} " in plan + " "
    }
    assert read == {"user_confirmed"}, plan
