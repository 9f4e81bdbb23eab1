"""What inclusion shows in words: hours by the one rule, content converted for Traditional readers
and marked so, and the redeemer's name only masked, only to the counter (need to know)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role, User
from backend.core.i18n import use_locale
from backend.inclusion.points import ledger
from backend.inclusion.points.presenters import reason_text
from backend.inclusion.points.tables import PointReason
from tests import factories

Client = httpx.AsyncClient


@pytest.mark.parametrize(
    ("params", "locale", "text"),
    [
        ({"minutes": 150, "hours": 2.5}, "en", "Volunteer service: 2.5 h"),
        ({"minutes": 45}, "en", "Volunteer service: 0.8 h"),  # halves away from zero, as records say
        ({"minutes": 3}, "en", "Volunteer service: 0.1 h"),
        ({"minutes": 90_000}, "en", "Volunteer service: 1,500 h"),
        ({"hours": 6.0}, "zh-Hant", "志願服務：6 小時"),  # the demo's old entry: 48 points for six hours
        ({"minutes": 360, "hours": 6.0}, "zh-Hant", "志願服務：6 小時"),
        ({"minutes": -45}, "zh-Hans", "志愿服务时长更正：0.8 小时"),
    ],
)
def test_hours_in_points_texts_follow_the_one_rule(params: dict[str, Any], locale: str, text: str) -> None:
    with use_locale(locale):
        assert reason_text(PointReason.volunteer_hours.value, params) == text


async def test_a_points_entry_written_with_hours_only_reads_them(client: Client) -> None:
    resident = await factories.resident()
    await ledger.append(
        user_id=resident.id,
        points=48,
        reason=PointReason.volunteer_hours,
        source_key=f"demo:{uuid.uuid4()}",
        reason_params={"hours": 6.0},
    )
    mine = await client.get("/api/v1/me/points", params={"lang": "zh-Hant"}, headers=factories.token_for(resident))
    assert mine.json()["entries"][0]["reason_text"] == "志願服務：6 小時"


@pytest.fixture
async def shop(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    admin = await factories.staff(Role.admin, tree["community_a"])
    auth = factories.token_for(admin)
    body = {
        "community_id": str(tree["community_a"].id),
        "name": {"zh-Hans": "图书馆文创帆布袋", "en": "Library canvas tote bag"},
        "description": {"zh-Hans": "凭取货码到社区服务站领取"},
        "points_cost": 10,
        "stock": 5,
        "per_resident_limit": 2,
    }
    created = await client.post("/api/v1/rewards", json=body, headers=auth)
    assert created.status_code == 201, created.text
    return {"tree": tree, "auth": auth, "reward": created.json()}


async def test_converted_content_is_marked(client: Client, shop: dict[str, Any]) -> None:
    url = f"/api/v1/rewards/{shop['reward']['id']}"
    traditional = (await client.get(url, params={"lang": "zh-Hant"})).json()
    assert (traditional["name"], traditional["description"]) == ("圖書館文創帆布袋", "憑取貨碼到社區服務站領取")
    assert (traditional["locale"], traditional["converted"]) == ("zh-Hant", True)
    simplified = (await client.get(url, params={"lang": "zh-Hans"})).json()
    assert (simplified["locale"], simplified["converted"]) == ("zh-Hans", False)
    korean = (await client.get(url, params={"lang": "ko"})).json()
    assert (korean["name"], korean["locale"], korean["converted"]) == ("Library canvas tote bag", "en", False)
    listed = (await client.get("/api/v1/rewards", params={"lang": "zh-Hant"})).json()
    assert [(r["name"], r["converted"]) for r in listed] == [("圖書館文創帆布袋", True)]

    written = await client.patch(url, json={"name": {"zh-Hant": "圖書館帆布袋"}}, headers=shop["auth"])
    assert written.status_code == 200
    own = (await client.get(url, params={"lang": "zh-Hant"})).json()
    # The name as written; the description, written only in Simplified, is still converted.
    assert (own["name"], own["converted"]) == ("圖書館帆布袋", True)

    resident = await _with_points(10)
    redeemed = await client.post(
        f"{url}/redemptions", params={"lang": "zh-Hant"}, headers=factories.token_for(resident)
    )
    assert redeemed.status_code == 201, redeemed.text
    brief = redeemed.json()["reward"]
    assert (brief["name"], brief["locale"], brief["converted"]) == ("圖書館帆布袋", "zh-Hant", False)


async def _with_points(points: int, name: str | None = None) -> User:
    user = await factories.resident(name)
    await ledger.append(user_id=user.id, points=points, reason=PointReason.adjustment, source_key=f"t:{uuid.uuid4()}")
    return user


async def test_the_counter_sees_the_redeemer_masked_the_resident_sees_no_name(
    client: Client, shop: dict[str, Any]
) -> None:
    resident = await _with_points(20, "李春梅")
    mine = factories.token_for(resident)
    url = f"/api/v1/rewards/{shop['reward']['id']}/redemptions"
    first, second = [(await client.post(url, headers=mine)).json() for _ in range(2)]
    assert first["redeemer"] is None  # the resident's own answer names nobody
    assert all(r["redeemer"] is None for r in (await client.get("/api/v1/me/redemptions", headers=mine)).json())

    handed = await client.post(f"/api/v1/redemptions/{first['pickup_code']}/fulfil", headers=shop["auth"])
    assert handed.status_code == 200, handed.text
    assert handed.json()["redeemer"] == "李*梅"
    cancelled = await client.post(f"/api/v1/redemptions/{second['pickup_code']}/cancel", headers=shop["auth"])
    assert cancelled.json()["redeemer"] == "李*梅"
    assert "李春梅" not in handed.text + cancelled.text
