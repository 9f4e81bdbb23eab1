"""Shift sign-up's hot path: the hold, one UPDATE, one INSERT; the careful path says why not."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx

from backend.core import clock
from backend.core.db import named
from backend.volunteers.shifts.services import _PLACE
from backend.volunteers.shifts.tables import Shift, ShiftSignup
from tests import factories
from tests.plans import generic_plan
from tests.statements import statements_run
from tests.volunteers import builders
from tests.volunteers.test_shifts import create, members, place  # noqa: F401  (place: a fixture)

Client = httpx.AsyncClient


async def test_a_shift_sign_up_runs_four_statements(client: Client, place: dict[str, Any]) -> None:
    """Who is asking, the person's hold (PostgreSQL), the UPDATE, the INSERT (+ BEGIN, COMMIT)."""
    shift = (await create(client, place["team"].id, place["coordinator"])).json()
    [volunteer] = await members(place["team"], 1)
    with statements_run(this_task_only=True) as seen:
        answer = await client.post(
            f"/api/v1/shifts/{shift['id']}/signups",
            headers={**factories.token_for(volunteer), "Idempotency-Key": uuid.uuid4().hex},
        )
    assert answer.status_code == 201, answer.text
    assert len(seen) <= 4, seen
    assert "volunteer_signup" in seen[-1]


async def test_overlapping_shifts_taken_at_once_give_one_place(client: Client, place: dict[str, Any]) -> None:
    """One volunteer asks for three overlapping shifts at once: the hold queues them, and each
    UPDATE sees the place the one before committed."""
    start = builders.now() + timedelta(days=3)
    shifts = []
    for offset in (0, 30, 60):
        begins = start + timedelta(minutes=offset)
        made = await create(
            client,
            place["team"].id,
            place["coordinator"],
            starts_at=begins.isoformat(),
            ends_at=(begins + timedelta(hours=2)).isoformat(),
        )
        shifts.append(made.json()["id"])
    [volunteer] = await members(place["team"], 1)
    answers = await asyncio.gather(
        *(
            client.post(f"/api/v1/shifts/{shift_id}/signups", headers=factories.token_for(volunteer))
            for shift_id in shifts
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409], [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"shift_overlap"}
    assert await ShiftSignup.count().where(ShiftSignup.user == volunteer.id) == 1
    assert sum([row["seats_taken"] for row in await Shift.select(Shift.seats_taken)]) == 1


async def test_not_already_on_the_shift_is_one_look_in_the_one_active_index(
    client: Client, backend: str, place: dict[str, Any]
) -> None:
    """The statuses are written into the UPDATE, not bound: the partial one-active index
    (``WHERE status <> 'cancelled'``) serves the look only when the statement itself says so,
    in the plan a busy connection settles on as in SQLite's."""
    await Shift.raw("ANALYZE")
    statement = named(_PLACE, shift=uuid.uuid4(), now=clock.now(), user=place["coordinator"].id)
    plan = await generic_plan(Shift, backend, *statement)
    assert "volunteer_signup_one_active" in plan, plan
