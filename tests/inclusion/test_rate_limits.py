"""Redemptions and reward pictures are limited per account (a setting each): 429 with Retry-After,
documented in the OpenAPI document."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
from PIL import Image
from redis.asyncio import Redis

from backend.accounts.tables import Role
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointReason
from backend.settings import Settings
from tests import factories
from tests.conftest import build_app, serve_in_process

Client = httpx.AsyncClient


def png() -> dict[str, Any]:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (20, 120, 40)).save(buffer, "PNG")
    return {"file": ("bag.png", buffer.getvalue(), "image/png")}


async def test_redemptions_are_limited_per_resident(
    client: Client, settings: Settings, shared_redis: Redis | None
) -> None:
    tree = await factories.city_tree()
    admin = factories.token_for(await factories.staff(Role.admin, tree["community_a"]))
    body = {"community_id": str(tree["community_a"].id), "name": {"zh-Hans": "袋"}, "points_cost": 1, "stock": 50}
    rewards = [(await client.post("/api/v1/rewards", json=body, headers=admin)).json()["id"] for _ in range(4)]
    greedy, neighbour = await factories.resident(), await factories.resident()
    for person in (greedy, neighbour):
        await ledger.append(
            user_id=person.id, points=100, reason=PointReason.adjustment, source_key=f"t:{uuid.uuid4()}"
        )
    async with serve_in_process(build_app(settings, shared_redis, redemption_rate_limit=3)) as limited:

        async def redeem(reward_id: str, person: Any) -> httpx.Response:
            return await limited.post(f"/api/v1/rewards/{reward_id}/redemptions", headers=factories.token_for(person))

        answers = [await redeem(reward_id, greedy) for reward_id in rewards]
        assert [a.status_code for a in answers] == [201, 201, 201, 429]
        refused = answers[-1]
        assert refused.json()["code"] == "rate_limited" and int(refused.headers["Retry-After"]) >= 1
        assert (await redeem(rewards[-1], neighbour)).status_code == 201  # per resident, not per address
        assert (await limited.post(f"/api/v1/rewards/{rewards[0]}/redemptions")).status_code == 401  # not counted


async def test_reward_pictures_are_limited_per_staff_account(
    client: Client, settings: Settings, shared_redis: Redis | None
) -> None:
    tree = await factories.city_tree()
    busy = factories.token_for(await factories.staff(Role.admin, tree["community_a"]))
    colleague = factories.token_for(await factories.staff(Role.admin, tree["community_a"]))
    body = {"community_id": str(tree["community_a"].id), "name": {"zh-Hans": "袋"}, "points_cost": 1, "stock": 5}
    reward = (await client.post("/api/v1/rewards", json=body, headers=busy)).json()["id"]
    async with serve_in_process(build_app(settings, shared_redis, reward_image_rate_limit=2)) as limited:
        url = f"/api/v1/rewards/{reward}/image"
        answers = [(await limited.post(url, files=png(), headers=busy)) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[-1].headers["Retry-After"]
        assert (await limited.post(url, files=png(), headers=colleague)).status_code == 200


async def test_the_limits_are_documented(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    for path, method in (
        ("/api/v1/rewards/{reward_id}/redemptions", "post"),
        ("/api/v1/rewards/{reward_id}/image", "post"),
    ):
        responses = document["paths"][path][method]["responses"]
        assert "application/problem+json" in responses["429"]["content"], path
    names = {name for name, _, _ in Settings.describe()}
    assert {"LINLI_REDEMPTION_RATE_LIMIT", "LINLI_REWARD_IMAGE_RATE_LIMIT"} <= names
