"""Redemption's hot path: the hold, one UPDATE, one INSERT of points, redemption and signal; the
pickup notice after the answer; a resident racing themselves cannot overspend."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from backend.inclusion.points import ledger
from backend.inclusion.rewards.tables import Redemption, Reward
from backend.notifications.tables import Notice
from tests import factories
from tests.inclusion.test_rewards import place, resident_with, reward_body  # noqa: F401  (place: a fixture)
from tests.statements import statements_run

Client = httpx.AsyncClient


async def a_reward(client: Client, place: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    made = await client.post("/api/v1/rewards", json=reward_body(place, **overrides), headers=place["auth"])
    assert made.status_code == 201, made.text
    return made.json()


def redeeming(reward_id: str, user: Any) -> dict[str, Any]:
    return {
        "url": f"/api/v1/rewards/{reward_id}/redemptions",
        "headers": {**factories.token_for(user), "Idempotency-Key": uuid.uuid4().hex},
    }


async def test_a_redemption_runs_four_statements_and_tells_the_resident_after(
    client: Client, place: dict[str, Any], backend: str
) -> None:
    reward = await a_reward(client, place)
    resident = await resident_with(300)
    call = redeeming(reward["id"], resident)
    with statements_run(this_task_only=True) as seen:
        answer = await client.post(call["url"], headers=call["headers"])
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["points"], body["status"], body["reward"]["name"]) == (100, "reserved", "环保购物袋")
    assert body["pickup_qr"].startswith("data:image/png")
    # Who is asking, the hold, the UPDATE, the INSERTs (one on PostgreSQL; SQLite, in-process and
    # holding every writer with BEGIN IMMEDIATE, takes no hold and writes the three rows apart).
    assert len(seen) <= (4 if backend == "postgres" else 5), seen
    assert "core_outbox_signal" in seen[-1]
    assert await ledger.balance(resident.id) == 200
    assert await Notice.count().where(Notice.recipient == resident.id) == 1  # the pickup notice, after


async def test_one_resident_racing_themselves_cannot_overspend(client: Client, place: dict[str, Any]) -> None:
    """Five redemptions at once of a reward costing 100, with 250 points and a limit of five:
    the hold queues them, and each UPDATE sees the balance the one before left."""
    reward = await a_reward(client, place, per_resident_limit=5)
    resident = await resident_with(250)
    calls = [redeeming(reward["id"], resident) for _ in range(5)]
    answers = await asyncio.gather(*(client.post(c["url"], headers=c["headers"]) for c in calls))
    assert sorted(a.status_code for a in answers) == [201, 201, 409, 409, 409], [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"not_enough_points"}
    assert await ledger.balance(resident.id) == 50
    assert await Redemption.count().where(Redemption.user == resident.id) == 2
    row = await Reward.select(Reward.stock).where(Reward.id == reward["id"]).first()
    assert row["stock"] == 8
