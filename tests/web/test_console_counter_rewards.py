"""The counter room's supermarket over HTTP (both databases): rewards listed with picture, cost,
stock, limit and whether on offer; created and edited with each language side by side, stock
changed by an amount, the picture uploaded, all read back through the API; point rules saved row
by row in place and given back to the city's rule, read back through ``GET …/point-rules``. The
refusals are the API's (a field message, never a 500), another community's reward 403 as in the
API, another community's rules 404, no CSRF refused, and a role without ``manage_rewards``
neither sees nor opens the pages."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image

from backend.accounts.tables import Role
from backend.core.tables import AuditEntry
from tests import factories
from tests.web.console import send, sign_in

Client = httpx.AsyncClient
NAME = {"zh-Hans": "环保购物袋", "en": "Reusable shopping bag", "ko": "장바구니"}


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    return {
        "tree": tree,
        "clerk": await factories.staff(Role.admin, tree["community_a"]),
        "outsider": await factories.staff(Role.admin, tree["community_b"]),
        "coordinator": await factories.staff(Role.coordinator, tree["community_a"]),
    }


async def made_by_api(client: Client, world: dict[str, Any]) -> str:
    body = {"community_id": str(world["tree"]["community_a"].id), "name": NAME, "points_cost": 120, "stock": 30}
    made = await client.post("/api/v1/rewards", json=body, headers=factories.token_for(world["clerk"]))
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def api_reward(client: Client, world: dict[str, Any], reward_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/rewards/{reward_id}", headers=factories.token_for(world["clerk"]))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def create(client: Client, world: dict[str, Any], csrf: str, **extra: str) -> str:
    fields = {
        "community_id": str(world["tree"]["community_a"].id),
        "name.zh-Hans": NAME["zh-Hans"],
        "name.en": NAME["en"],
        "name.ko": NAME["ko"],
        "description.zh-Hans": "凭取货码到社区服务中心领取。",
        "points_cost": "120",
        "stock": "30",
        "per_resident_limit": "2",
        **extra,
    }
    made = await send(client, "/console/counter/rewards", csrf, htmx=True, **fields)
    assert made.status_code == 200, made.text
    target = made.headers["HX-Redirect"]
    assert target.endswith("?saved=created")
    return target.split("/")[-1].split("?")[0]


async def test_a_reward_is_created_edited_and_pictured(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["clerk"])
    empty = await client.get("/console/counter/rewards")
    assert empty.status_code == 200, empty.text
    assert "这个社区的积分超市还没有奖品" in empty.text
    form = await client.get(f"/console/counter/rewards/new?community={world['tree']['community_a'].id}")
    assert form.status_code == 200 and 'name="name.ko"' in form.text and 'name="name.zh-Hant"' in form.text

    reward_id = await create(client, world, csrf, active_from="2026-12-01T09:00")
    read = await api_reward(client, world, reward_id)
    assert read["name"] == NAME["zh-Hans"] and read["points_cost"] == 120 and read["stock"] == 30
    assert read["per_resident_limit"] == 2 and read["active_from"].startswith("2026-12-01T01:00")  # Suzhou 09:00

    edit = await client.get(f"/console/counter/rewards/{reward_id}?saved=created")
    assert edit.status_code == 200 and "奖品已上架" in edit.text and 'value="2026-12-01T09:00"' in edit.text
    saved = await send(
        client,
        f"/console/counter/rewards/{reward_id}",
        csrf,
        htmx=True,
        **{"name.zh-Hans": "帆布购物袋", "points_cost": "150", "stock_change": "-5", "per_resident_limit": "1"},
        withdrawn="1",
    )
    assert saved.status_code == 200, saved.text
    read = await api_reward(client, world, reward_id)
    assert read["name"] == "帆布购物袋" and read["points_cost"] == 150 and read["stock"] == 25
    assert read["withdrawn"] is True and read["active_from"] is None and read["description"] == ""

    image = io.BytesIO()
    Image.new("RGB", (600, 600), (40, 120, 90)).save(image, "JPEG")
    sent = await client.post(
        f"/console/counter/rewards/{reward_id}/picture",
        files={"file": ("bag.jpg", image.getvalue(), "image/jpeg")},
        data={"_csrf": csrf},
    )
    assert sent.status_code == 303, sent.text
    assert (await api_reward(client, world, reward_id))["image_urls"]
    listed = await client.get("/console/counter/rewards")
    assert "帆布购物袋" in listed.text and "已撤回" in listed.text
    assert 'class="reward-thumb"' in listed.text
    actions = {row["action"] for row in await AuditEntry.select(AuditEntry.action)}
    assert {"inclusion.reward_created", "inclusion.reward_changed", "inclusion.reward_image_changed"} <= actions


async def test_bad_input_is_a_form_message_never_a_500(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["clerk"])
    community = str(world["tree"]["community_a"].id)
    for fields, field in (
        ({"points_cost": "abc", "stock": "1", "name.zh-Hans": "袋"}, "points_cost"),
        ({"points_cost": "0", "stock": "1", "name.zh-Hans": "袋"}, "points_cost"),
        ({"points_cost": "5", "stock": "1"}, "name"),
        ({"points_cost": "5", "stock": "1", "name.zh-Hans": "袋", "active_from": "tomorrow"}, "active_from"),
        (
            {
                "points_cost": "5",
                "stock": "1",
                "name.zh-Hans": "袋",
                "active_from": "2027-01-02T10:00",
                "active_until": "2027-01-01T10:00",
            },
            "active_until",
        ),
    ):
        answer = await send(client, "/console/counter/rewards", csrf, htmx=True, community_id=community, **fields)
        assert answer.status_code == 422, (fields, answer.text)
        assert f'href="#field-{field}' in answer.text, (field, answer.text)
    reward_id = await create(client, world, csrf)
    too_many = await send(
        client,
        f"/console/counter/rewards/{reward_id}",
        csrf,
        htmx=True,
        **{"name.zh-Hans": "袋", "points_cost": "5", "per_resident_limit": "1", "stock_change": "-31"},
    )
    assert too_many.status_code == 409 and 'href="#field-stock_change"' in too_many.text
    assert (await api_reward(client, world, reward_id))["stock"] == 30
    broken = await client.post(
        f"/console/counter/rewards/{reward_id}/picture",
        files={"file": ("bag.jpg", b"not an image", "image/jpeg")},
        data={"_csrf": csrf},
    )
    assert broken.status_code == 422, broken.text


async def test_another_communitys_reward_is_refused_as_in_the_api(client: Client, world: dict[str, Any]) -> None:
    reward_id = await made_by_api(client, world)
    csrf = await sign_in(client, world["outsider"])
    assert (await client.get(f"/console/counter/rewards/{reward_id}")).status_code == 403
    changed = await send(
        client, f"/console/counter/rewards/{reward_id}", csrf, **{"name.zh-Hans": "偷改", "points_cost": "1"}
    )
    assert changed.status_code == 403
    made = await send(
        client,
        "/console/counter/rewards",
        csrf,
        community_id=str(world["tree"]["community_a"].id),
        points_cost="1",
        stock="1",
        **{"name.zh-Hans": "偷加"},
    )
    assert made.status_code == 403
    other = await client.get(f"/console/counter/rewards?community={world['tree']['community_a'].id}")
    assert other.status_code == 404
    assert (await api_reward(client, world, reward_id))["name"] == NAME["zh-Hans"]


async def test_no_csrf_and_no_permission(client: Client, world: dict[str, Any]) -> None:
    reward_id = await made_by_api(client, world)
    await sign_in(client, world["clerk"])
    refused = await client.post(f"/console/counter/rewards/{reward_id}", data={"points_cost": "1"})
    assert refused.status_code == 403
    community = world["tree"]["community_a"].id
    refused = await client.post(f"/console/counter/rules/{community}/attendance", data={"points": "99"})
    assert refused.status_code == 403
    client.cookies.clear()
    csrf = await sign_in(client, world["coordinator"])
    for path in ("/console/counter/rewards", "/console/counter/rules", f"/console/counter/rewards/{reward_id}"):
        assert (await client.get(path)).status_code == 403, path
    answer = await send(client, f"/console/counter/rules/{community}/attendance", csrf, points="99")
    assert answer.status_code == 403
    rules = (await client.get(f"/api/v1/communities/{community}/point-rules")).json()
    assert {rule["source"] for rule in rules} == {"default"}


async def test_point_rules_are_saved_row_by_row(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["clerk"])
    community = world["tree"]["community_a"].id
    table = await client.get("/console/counter/rules")
    assert table.status_code == 200 and 'id="row-attendance"' in table.text and "内置" in table.text

    row = await send(
        client,
        f"/console/counter/rules/{community}/attendance",
        csrf,
        htmx=True,
        points="12",
        daily_cap="36",
        active="1",
    )
    assert row.status_code == 200, row.text
    assert row.text.lstrip().startswith('<tr id="row-attendance"') and "本社区" in row.text
    second = await send(client, f"/console/counter/rules/{community}/youth_bonus", csrf, htmx=True, points="8")
    assert second.status_code == 200, second.text
    rules = {r["kind"]: r for r in (await client.get(f"/api/v1/communities/{community}/point-rules")).json()}
    assert rules["attendance"] | {"name": ""} == {
        "kind": "attendance",
        "name": "",
        "points": 12,
        "daily_cap": 36,
        "per_activity_cap": None,
        "active": True,
        "source": "community",
    }
    assert rules["youth_bonus"]["points"] == 8 and rules["youth_bonus"]["active"] is False  # box left unticked
    assert rules["youth_bonus"]["daily_cap"] is None

    reset = await send(client, f"/console/counter/rules/{community}/attendance/reset", csrf, htmx=True)
    assert reset.status_code == 200, reset.text
    rules = {r["kind"]: r for r in (await client.get(f"/api/v1/communities/{community}/point-rules")).json()}
    assert rules["attendance"]["source"] == "default" and rules["attendance"]["points"] == 10
    assert rules["youth_bonus"]["source"] == "community"  # the other row stays
    entries = await AuditEntry.select(AuditEntry.action).where(AuditEntry.action == "inclusion.point_rules_replaced")
    assert len(entries) == 3

    for points in ("-1", "abc", "1001"):
        bad = await send(client, f"/console/counter/rules/{community}/attendance", csrf, htmx=True, points=points)
        assert bad.status_code == 422 and 'href="#field-attendance-points"' in bad.text, bad.text
    other = world["tree"]["community_b"].id
    assert (await send(client, f"/console/counter/rules/{other}/attendance", csrf, points="1")).status_code == 404
    assert (await send(client, f"/console/counter/rules/{community}/nonsense", csrf, points="1")).status_code == 404
    plain = await send(client, f"/console/counter/rules/{community}/first_event", csrf, points="25", active="1")
    assert plain.status_code == 303 and plain.headers["location"] == f"/console/counter/rules?community={community}"


async def test_the_rewards_list_sorts_by_cost_stock_or_name(client: Client, world: dict[str, Any]) -> None:
    community = str(world["tree"]["community_a"].id)
    for name, cost, stock in (("雨伞", 300, 2), ("肥皂", 50, 40), ("茶杯", 120, 9)):
        body = {"community_id": community, "name": {"zh-Hans": name}, "points_cost": cost, "stock": stock}
        made = await client.post("/api/v1/rewards", json=body, headers=factories.token_for(world["clerk"]))
        assert made.status_code == 201, made.text
    await sign_in(client, world["clerk"])

    def order(html: str) -> list[str]:
        body = html.split("<tbody>")[1]
        return sorted(("雨伞", "肥皂", "茶杯"), key=body.index)

    assert order((await client.get("/console/counter/rewards")).text) == ["肥皂", "茶杯", "雨伞"]  # cheapest first
    by_stock = await client.get("/console/counter/rewards", params={"sort": "stock", "community": community})
    assert order(by_stock.text) == ["雨伞", "茶杯", "肥皂"] and "共 3 件奖品" in by_stock.text
    assert f"community={community}" in by_stock.text.split("<thead>")[1]  # the sort links keep the community
    by_cost = await client.get("/console/counter/rewards", params={"sort": "-points_cost"})
    assert order(by_cost.text) == ["雨伞", "茶杯", "肥皂"]
