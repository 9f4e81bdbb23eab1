"""Every change staff make to the points supermarket and the point rules leaves exactly one audit
entry; so does exporting the participation statistics. A resident's own redeeming and cancelling,
and anything refused, leave none."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
import pytest
from PIL import Image

from backend.accounts.tables import Role, User
from backend.core.tables import AuditEntry
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointReason
from tests import factories

Client = httpx.AsyncClient


@pytest.fixture
async def shop(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["community_a"])
    auth = factories.token_for(admin)
    body = {
        "community_id": str(tree["community_a"].id),
        "name": {"zh-Hans": "环保购物袋"},
        "points_cost": 50,
        "stock": 5,
    }
    created = await client.post("/api/v1/rewards", json=body, headers=auth)
    assert created.status_code == 201, created.text
    return {"tree": tree, "admin": admin, "auth": auth, "reward": created.json()}


async def entries(action: str) -> list[dict[str, Any]]:
    return await AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.at).output(load_json=True)


async def only_entry(action: str, actor: User, organisation: Any, permission: str = "manage_rewards") -> dict[str, Any]:
    found = await entries(action)
    assert len(found) == 1, found
    [entry] = found
    assert (entry["actor"], entry["actor_kind"], entry["permission"]) == (actor.id, "staff", permission)
    assert entry["organisation"] == organisation.id
    return entry


async def resident_with(points: int) -> User:
    user = await factories.resident()
    await ledger.append(user_id=user.id, points=points, reason=PointReason.adjustment, source_key=f"t:{uuid.uuid4()}")
    return user


async def reserve(client: Client, shop: dict[str, Any], user: User) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/rewards/{shop['reward']['id']}/redemptions", headers=factories.token_for(user)
    )
    assert response.status_code == 201, response.text
    return response.json()


def png() -> dict[str, Any]:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 40, 40)).save(buffer, "PNG")
    return {"file": ("bag.png", buffer.getvalue(), "image/png")}


async def test_creating_and_changing_a_reward(client: Client, shop: dict[str, Any]) -> None:
    community = shop["tree"]["community_a"]
    created = await only_entry("inclusion.reward_created", shop["admin"], community)
    assert (created["object_type"], created["object_id"]) == ("reward", shop["reward"]["id"])
    assert created["changes"]["points_cost"] == [None, 50]
    assert created["changes"]["name"] == [None, {"zh-Hans": "环保购物袋"}]

    url = f"/api/v1/rewards/{shop['reward']['id']}"
    changed = await client.patch(url, json={"stock_change": 3, "points_cost": 60}, headers=shop["auth"])
    assert changed.status_code == 200, changed.text
    entry = await only_entry("inclusion.reward_changed", shop["admin"], community)
    assert entry["changes"] == {"points_cost": [50, 60], "stock": [5, 8]}

    uploaded = await client.post(f"{url}/image", files=png(), headers=shop["auth"])
    assert uploaded.status_code == 200, uploaded.text
    image = await only_entry("inclusion.reward_image_changed", shop["admin"], community)
    assert image["changes"]["image"][0] == {}
    assert set(image["changes"]["image"][1]) == set(uploaded.json()["image_urls"])


async def test_replacing_point_rules(client: Client, shop: dict[str, Any]) -> None:
    community = shop["tree"]["community_a"]
    url = f"/api/v1/communities/{community.id}/point-rules"
    first = {"rules": [{"kind": "attendance", "points": 12, "daily_cap": 36}]}
    assert (await client.put(url, json=first, headers=shop["auth"])).status_code == 200
    entry = await only_entry("inclusion.point_rules_replaced", shop["admin"], community)
    assert entry["changes"] == {
        "attendance": [None, {"points": 12, "daily_cap": 36, "per_activity_cap": None, "active": True}]
    }
    second = {"rules": [{"kind": "volunteer_hour", "points": 8}]}
    assert (await client.put(url, json=second, headers=shop["auth"])).status_code == 200
    latest = (await entries("inclusion.point_rules_replaced"))[-1]
    assert set(latest["changes"]) == {"attendance", "volunteer_hour"}
    assert latest["changes"]["attendance"][1] is None  # left out: follows the city's rule again


async def test_the_counter_hands_over_and_cancels_a_resident_cancels_unaudited(
    client: Client, shop: dict[str, Any]
) -> None:
    community = shop["tree"]["community_a"]
    residents = [await resident_with(100) for _ in range(3)]
    handed, cancelled, own = [await reserve(client, shop, resident) for resident in residents]
    assert not await entries("inclusion.redemption_handed_over")  # redeeming is the resident's own act

    fulfilled = await client.post(f"/api/v1/redemptions/{handed['pickup_code'].lower()}/fulfil", headers=shop["auth"])
    assert fulfilled.status_code == 200, fulfilled.text
    entry = await only_entry("inclusion.redemption_handed_over", shop["admin"], community)
    assert (entry["object_type"], entry["object_id"]) == ("redemption", handed["id"])
    assert entry["changes"] == {"status": ["reserved", "fulfilled"]}
    assert handed["pickup_code"] not in str(entry)  # the trail must not let its reader collect

    at_counter = await client.post(f"/api/v1/redemptions/{cancelled['pickup_code']}/cancel", headers=shop["auth"])
    assert at_counter.status_code == 200, at_counter.text
    entry = await only_entry("inclusion.redemption_cancelled", shop["admin"], community)
    assert entry["changes"] == {"status": ["reserved", "cancelled"]}

    before = await AuditEntry.count()  # the resident gives their own item back: not audited
    assert (
        await client.delete(f"/api/v1/redemptions/{own['id']}", headers=factories.token_for(residents[2]))
    ).is_success
    assert await AuditEntry.count() == before


async def test_refusals_leave_no_entry(client: Client, shop: dict[str, Any]) -> None:
    outsider = factories.token_for(await factories.staff(Role.admin, shop["tree"]["community_b"]))
    item = await reserve(client, shop, await resident_with(100))
    url = f"/api/v1/rewards/{shop['reward']['id']}"
    before = await AuditEntry.count()
    statuses = [
        (await client.patch(url, json={"stock": 1}, headers=outsider)).status_code,
        (await client.patch(url, json={"stock_change": -99}, headers=shop["auth"])).status_code,  # below zero
        (await client.post(f"{url}/image", files=png(), headers=outsider)).status_code,
        (await client.post(f"/api/v1/redemptions/{item['pickup_code']}/fulfil", headers=outsider)).status_code,
        (await client.post(f"/api/v1/redemptions/{item['pickup_code']}/cancel", headers=outsider)).status_code,
        (
            await client.put(
                f"/api/v1/communities/{shop['tree']['community_a'].id}/point-rules",
                json={"rules": [{"kind": "attendance", "points": 1}]},
                headers=outsider,
            )
        ).status_code,
    ]
    assert statuses == [403, 409, 403, 404, 404, 403]
    assert await AuditEntry.count() == before


async def test_exporting_statistics_is_an_audited_read(client: Client, shop: dict[str, Any]) -> None:
    street = shop["tree"]["street_a"]
    organiser = await factories.staff(Role.organiser, street)
    auth = factories.token_for(organiser)
    params = {"community_id": str(street.id), "from": "2026-01", "to": "2026-03"}
    assert (await client.get("/api/v1/stats/participation", params=params, headers=auth)).status_code == 200
    assert not await entries("inclusion.statistics_exported")  # read on screen: counts only, not audited
    csv = await client.get("/api/v1/stats/participation", params={**params, "format": "csv"}, headers=auth)
    assert csv.status_code == 200
    entry = await only_entry("inclusion.statistics_exported", organiser, street, permission="view_statistics")
    assert (entry["object_type"], entry["object_id"]) == ("organisation", str(street.id))
    assert entry["changes"] == {"format": [None, "csv"], "from": [None, "2026-01"], "to": [None, "2026-03"]}
    resident = factories.token_for(await factories.resident())
    refused = await client.get("/api/v1/stats/participation", params={**params, "format": "csv"}, headers=resident)
    assert refused.status_code == 403
    assert len(await entries("inclusion.statistics_exported")) == 1
