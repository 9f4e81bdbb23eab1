"""Patrol routes over HTTP: drawn by coordinators, walked by members, codes kept from members."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
import pytest
from PIL import Image

from backend.accounts.tables import Role
from backend.volunteers.shifts.tables import CheckpointScan
from backend.volunteers.teams import routes
from backend.volunteers.teams.tables import Checkpoint, MemberStatus
from tests import factories
from tests.volunteers import builders

Client = httpx.AsyncClient


@pytest.fixture
async def crew(client: Client) -> dict[str, Any]:
    """A team with a coordinator, an active member, a pending one, and someone outside it."""
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"])
    people = {name: await factories.resident(name) for name in ("lead", "member", "pending", "outsider")}
    await builders.coordinator(team, people["lead"])
    await builders.member(team, people["member"])
    await builders.member(team, people["pending"], status=MemberStatus.pending)
    return {"tree": tree, "team": team, **people}


def stops(count: int = 3) -> list[dict[str, Any]]:
    return [
        {"name": {"zh-Hans": f"巡更点{n}", "en": f"Checkpoint {n}"}, "latitude": 31.29 + n / 1000, "longitude": 120.62}
        for n in range(1, count + 1)
    ]


def route_body(**overrides: Any) -> dict[str, Any]:
    body = {"name": {"zh-Hans": "南园夜巡线", "en": "Nanyuan night round"}, "checkpoints": stops()}
    body.update(overrides)
    return body


async def create(client: Client, crew: dict[str, Any], who: str = "lead", **overrides: Any) -> httpx.Response:
    return await client.post(
        f"/api/v1/teams/{crew['team'].id}/routes", json=route_body(**overrides), headers=factories.token_for(crew[who])
    )


# --- drawing a route -----------------------------------------------------------------------------


async def test_a_coordinator_draws_a_route(client: Client, crew: dict[str, Any]) -> None:
    made = await create(client, crew)
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["name"], body["locale"], body["team_id"]) == ("南园夜巡线", "zh-Hans", str(crew["team"].id))
    assert [c["position"] for c in body["checkpoints"]] == [1, 2, 3]
    assert [c["name"] for c in body["checkpoints"]] == ["巡更点1", "巡更点2", "巡更点3"]
    codes = [c["code"] for c in body["checkpoints"]]
    assert len(set(codes)) == 3
    for code in codes:
        assert len(code) == 8 and set(code) <= set(routes.CODE_ALPHABET)
        assert not set(code) & set("01OIL")


async def test_only_coordinators_draw_routes(client: Client, crew: dict[str, Any]) -> None:
    assert (await create(client, crew, "member")).status_code == 403
    assert (await create(client, crew, "outsider")).status_code == 403
    assert (await client.post(f"/api/v1/teams/{crew['team'].id}/routes", json=route_body())).status_code == 401
    staff = await factories.staff(Role.coordinator, crew["tree"]["street_a"])
    crew["staff"] = staff
    assert (await create(client, crew, "staff")).status_code == 201
    missing = await client.post(
        f"/api/v1/teams/{uuid.uuid4()}/routes", json=route_body(), headers=factories.token_for(staff)
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"checkpoints": []}, "validation_failed"),
        ({"checkpoints": stops(51)}, "validation_failed"),
        ({"checkpoints": [{**stops(1)[0], "latitude": 91}]}, "validation_failed"),
        ({"checkpoints": [{**stops(1)[0], "longitude": -180.5}]}, "validation_failed"),
        ({"checkpoints": [{**stops(1)[0], "name": {"zh-Hans": " "}}]}, "name_required"),
        ({"checkpoints": [{**stops(1)[0], "code": "AAAA2222"}]}, "validation_failed"),
        ({"name": {}}, "validation_failed"),
        ({"name": {"en": "x" * 61}}, "validation_failed"),
    ],
)
async def test_bad_routes_are_refused(
    client: Client, crew: dict[str, Any], overrides: dict[str, Any], code: str
) -> None:
    refused = await create(client, crew, **overrides)
    assert (refused.status_code, refused.json()["code"]) == (422, code), refused.text
    assert await Checkpoint.count() == 0


async def test_a_colliding_code_is_drawn_again(
    client: Client, crew: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = (await create(client, crew, checkpoints=stops(1))).json()
    taken = first["checkpoints"][0]["code"]
    fresh = iter([taken, "QRST2345", "QRST2346"])
    monkeypatch.setattr(routes, "new_code", lambda: next(fresh))
    second = await create(client, crew, checkpoints=stops(1))
    assert second.status_code == 201, second.text
    assert second.json()["checkpoints"][0]["code"] == "QRST2345"
    assert await Checkpoint.count().where(Checkpoint.code == taken) == 1


# --- who sees what -------------------------------------------------------------------------------------


async def test_codes_are_shown_to_coordinators_only(client: Client, crew: dict[str, Any]) -> None:
    route_id = (await create(client, crew)).json()["id"]
    as_member = await client.get(
        f"/api/v1/routes/{route_id}", headers=factories.token_for(crew["member"]), params={"lang": "en"}
    )
    assert as_member.status_code == 200, as_member.text
    assert as_member.json()["name"] == "Nanyuan night round"
    assert [c["name"] for c in as_member.json()["checkpoints"]] == ["Checkpoint 1", "Checkpoint 2", "Checkpoint 3"]
    assert all("code" not in c for c in as_member.json()["checkpoints"])
    listed = await client.get(f"/api/v1/teams/{crew['team'].id}/routes", headers=factories.token_for(crew["member"]))
    assert listed.status_code == 200 and all("code" not in c for c in listed.json()[0]["checkpoints"])
    codes = await Checkpoint.select(Checkpoint.code).where(Checkpoint.route == uuid.UUID(route_id))
    assert not any(row["code"] in as_member.text or row["code"] in listed.text for row in codes)
    as_lead = await client.get(f"/api/v1/teams/{crew['team'].id}/routes", headers=factories.token_for(crew["lead"]))
    assert all(len(c["code"]) == 8 for c in as_lead.json()[0]["checkpoints"])


async def test_routes_are_not_public(client: Client, crew: dict[str, Any]) -> None:
    route_id = (await create(client, crew)).json()["id"]
    for who in ("outsider", "pending"):
        headers = factories.token_for(crew[who])
        assert (await client.get(f"/api/v1/routes/{route_id}", headers=headers)).status_code == 404
        assert (await client.get(f"/api/v1/teams/{crew['team'].id}/routes", headers=headers)).status_code == 403
    other_lead = await factories.resident()
    await builders.coordinator(await builders.team(crew["tree"]["community_a"], name="另一队"), other_lead)
    assert (await client.get(f"/api/v1/routes/{route_id}", headers=factories.token_for(other_lead))).status_code == 404
    assert (await client.get(f"/api/v1/routes/{route_id}")).status_code == 401
    assert (
        await client.get(f"/api/v1/routes/{uuid.uuid4()}", headers=factories.token_for(crew["lead"]))
    ).status_code == 404


# --- changing the checkpoints ------------------------------------------------------------------------


async def test_checkpoints_are_replaced_until_scanned(client: Client, crew: dict[str, Any]) -> None:
    made = (await create(client, crew)).json()
    url = f"/api/v1/routes/{made['id']}/checkpoints"
    lead = factories.token_for(crew["lead"])
    assert (
        await client.put(url, json={"checkpoints": stops(2)}, headers=factories.token_for(crew["member"]))
    ).status_code == 403
    assert (
        await client.put(url, json={"checkpoints": stops(2)}, headers=factories.token_for(crew["outsider"]))
    ).status_code == 404
    replaced = await client.put(url, json={"checkpoints": stops(2)}, headers=lead)
    assert replaced.status_code == 200, replaced.text
    assert [c["position"] for c in replaced.json()["checkpoints"]] == [1, 2]
    old_codes = {c["code"] for c in made["checkpoints"]}
    assert not old_codes & {c["code"] for c in replaced.json()["checkpoints"]}
    shift = await builders.shift(crew["team"])
    signup = await builders.signup(shift, crew["member"])
    checkpoint_id = uuid.UUID(replaced.json()["checkpoints"][0]["id"])
    await CheckpointScan(signup=signup.id, checkpoint=checkpoint_id, scanned_at=builders.now()).save()
    refused = await client.put(url, json={"checkpoints": stops(4)}, headers=lead)
    assert (refused.status_code, refused.json()["code"]) == (409, "route_in_use")
    assert await Checkpoint.count().where(Checkpoint.route == uuid.UUID(made["id"])) == 2
    assert await CheckpointScan.count() == 1


# --- the plate ----------------------------------------------------------------------------------------------


async def test_the_plate_is_a_printable_png(client: Client, crew: dict[str, Any]) -> None:
    made = (await create(client, crew)).json()
    checkpoint = made["checkpoints"][0]
    url = f"/api/v1/routes/{made['id']}/checkpoints/{checkpoint['id']}/plate.png"
    plate = await client.get(url, headers=factories.token_for(crew["lead"]))
    assert plate.status_code == 200, plate.text
    assert plate.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(plate.content))
    assert image.format == "PNG"
    assert image.width >= 500 and image.height >= 600
    assert (await client.get(url, headers=factories.token_for(crew["member"]))).status_code == 403
    assert (await client.get(url, headers=factories.token_for(crew["outsider"]))).status_code == 404
    elsewhere = f"/api/v1/routes/{made['id']}/checkpoints/{uuid.uuid4()}/plate.png"
    assert (await client.get(elsewhere, headers=factories.token_for(crew["lead"]))).status_code == 404


def test_the_plate_draws_without_a_request() -> None:
    png = routes.render_plate(
        code="ABCD2345", heading="巡更点 1", name="南门岗亭", locale="zh-Hans", heading_locale="zh-Hans"
    )
    image = Image.open(io.BytesIO(png))
    assert image.size == (routes.PLATE_WIDTH, routes.QR_SIDE + 260)
    assert image.getpixel((5, 5)) == (255, 255, 255)  # white paper around the code
    assert (0, 0, 0) in {image.getpixel((x, 200)) for x in range(image.width)}  # the code's dark modules
