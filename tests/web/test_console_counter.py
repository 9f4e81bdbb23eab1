"""The points counter over HTTP (both databases): a pickup code typed at the counter shows the
reward and the masked resident, hands the item over or cancels it through the API's services
(read back through the API), today's list shows the hand-over; the refusals are the API's (an
unknown code and another community's code the same 404, twice a 409), a bad code a form
message, no CSRF refused, and a role without ``manage_rewards`` neither sees nor opens the room."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role, User
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointReason
from tests import factories
from tests.web.console import send, sign_in

Client = httpx.AsyncClient
REWARD = {"zh-Hans": "环保购物袋", "en": "Reusable shopping bag", "ja": "エコバッグ"}


@pytest.fixture
async def shop(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    clerk = await factories.staff(Role.admin, tree["community_a"])
    body = {"community_id": str(tree["community_a"].id), "name": REWARD, "points_cost": 100, "stock": 5}
    made = await client.post("/api/v1/rewards", json=body, headers=factories.token_for(clerk))
    assert made.status_code == 201, made.text
    return {
        "tree": tree,
        "clerk": clerk,
        "reward": made.json(),
        "outsider": await factories.staff(Role.admin, tree["community_b"]),
        "coordinator": await factories.staff(Role.coordinator, tree["community_a"]),
    }


async def redeemed(client: Client, shop: dict[str, Any], name: str = "李小梅") -> tuple[User, dict[str, Any]]:
    resident = await factories.resident(name)
    await ledger.append(
        user_id=resident.id, points=300, reason=PointReason.adjustment, source_key=f"test:{uuid.uuid4()}"
    )
    answer = await client.post(
        f"/api/v1/rewards/{shop['reward']['id']}/redemptions", headers=factories.token_for(resident)
    )
    assert answer.status_code == 201, answer.text
    return resident, answer.json()


async def mine(client: Client, resident: User) -> dict[str, Any]:
    answer = await client.get("/api/v1/me/redemptions", headers=factories.token_for(resident))
    assert answer.status_code == 200, answer.text
    return answer.json()[0]


async def test_the_clerk_looks_up_a_code_and_hands_the_item_over(client: Client, shop: dict[str, Any]) -> None:
    resident, redemption = await redeemed(client, shop)
    csrf = await sign_in(client, shop["clerk"])
    room = await client.get("/console/counter")
    assert room.status_code == 200, room.text
    assert 'href="/console/counter"' in room.text and "今天还没有发放" in room.text

    found = await send(client, "/console/counter/look-up", csrf, code=redemption["pickup_code"].lower())
    assert found.status_code == 200, found.text
    assert "环保购物袋" in found.text and "李*梅" in found.text and "李小梅" not in found.text
    assert "/console/counter/hand-over" in found.text
    assert (await mine(client, resident))["status"] == "reserved"  # looking changes nothing

    handed = await send(client, "/console/counter/hand-over", csrf, htmx=True, code=redemption["pickup_code"])
    assert handed.status_code == 200, handed.text
    assert 'id="desk"' in handed.text and "<html" not in handed.text  # htmx: the desk alone
    assert "已发放" in handed.text and "/console/counter/hand-over" not in handed.text
    assert (await mine(client, resident))["status"] == "fulfilled"
    today = await client.get("/console/counter")
    assert "环保购物袋" in today.text and "李*梅" in today.text and "共发放 1 件" in today.text

    twice = await send(client, "/console/counter/hand-over", csrf, htmx=True, code=redemption["pickup_code"])
    assert twice.status_code == 409
    assert twice.headers["HX-Retarget"] == "#problems" and "该奖品已领取" in twice.text


async def test_cancelling_at_the_counter_refunds_the_points(client: Client, shop: dict[str, Any]) -> None:
    resident, redemption = await redeemed(client, shop)
    csrf = await sign_in(client, shop["clerk"])
    cancelled = await send(client, "/console/counter/cancel", csrf, code=redemption["pickup_code"])
    assert cancelled.status_code == 200, cancelled.text
    assert (await mine(client, resident))["status"] == "cancelled"
    assert await ledger.balance(resident.id) == 300
    again = await send(client, "/console/counter/hand-over", csrf, code=redemption["pickup_code"])
    assert again.status_code == 409 and "该兑换已取消" in again.text
    assert "环保购物袋" not in (await client.get("/console/counter")).text  # not a hand-over


async def test_unknown_and_another_communitys_codes_read_alike(client: Client, shop: dict[str, Any]) -> None:
    resident, redemption = await redeemed(client, shop)
    csrf = await sign_in(client, shop["outsider"])
    for code in (redemption["pickup_code"], "ZZZZ2222"):
        for path in ("look-up", "hand-over", "cancel"):
            answer = await send(client, f"/console/counter/{path}", csrf, htmx=True, code=code)
            assert answer.status_code == 404, (path, answer.text)
            assert "该兑换记录不存在" in answer.text and 'href="#field-code"' in answer.text
    assert (await mine(client, resident))["status"] == "reserved"


async def test_bad_codes_are_form_messages_never_a_500(client: Client, shop: dict[str, Any]) -> None:
    csrf = await sign_in(client, shop["clerk"])
    for code in ("", "x" * 40, "厕所!!", "'; drop table x"):
        answer = await send(client, "/console/counter/look-up", csrf, htmx=True, code=code)
        assert answer.status_code in (404, 422), (code, answer.text)
        assert 'href="#field-code"' in answer.text and "取货码" in answer.text


async def test_no_csrf_no_change(client: Client, shop: dict[str, Any]) -> None:
    resident, redemption = await redeemed(client, shop)
    await sign_in(client, shop["clerk"])
    refused = await client.post("/console/counter/hand-over", data={"code": redemption["pickup_code"]})
    assert refused.status_code == 403
    forged = await client.post(
        "/console/counter/hand-over", data={"code": redemption["pickup_code"], "_csrf": "forged"}
    )
    assert forged.status_code == 403
    assert (await mine(client, resident))["status"] == "reserved"


async def test_a_role_without_rewards_neither_sees_nor_opens_the_counter(client: Client, shop: dict[str, Any]) -> None:
    _resident, redemption = await redeemed(client, shop)
    csrf = await sign_in(client, shop["coordinator"])
    assert 'href="/console/counter"' not in (await client.get("/console")).text
    assert (await client.get("/console/counter")).status_code == 403
    answer = await send(client, "/console/counter/hand-over", csrf, code=redemption["pickup_code"])
    assert answer.status_code == 403


async def test_signed_out_goes_to_login(client: Client) -> None:
    answer = await client.get("/console/counter")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")
