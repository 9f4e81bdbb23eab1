"""Patrol routes in the coordinators' room over HTTP (both databases): a route's page with its
checkpoints in order and coordinates, all plates as one PDF, the map drawn on the configured tiles
(a tile server on loopback stands in for the provider); refusals as the API's."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from pypdf import PdfReader

from backend.accounts.tables import OrganisationKind, Role
from backend.settings import Settings
from backend.volunteers.shifts.tables import CheckpointScan
from backend.volunteers.teams import route_map
from tests import factories
from tests.conftest import make_settings
from tests.fakes.tiles import TileServer, serve_tiles
from tests.fakes.wechat import FakeWechat
from tests.volunteers import builders
from tests.web.console import send, sign_in

Client = httpx.AsyncClient
ROUTES = "/console/volunteers/teams/routes"
ARTEFACTS = Path(__file__).resolve().parents[1] / "browser" / "artefacts"  # kept, not committed


@pytest.fixture(scope="module")
def tiles() -> Iterator[TileServer]:
    with serve_tiles() as server:
        yield server


@pytest.fixture
def settings(
    database_url: str, fake_wechat: FakeWechat, wechat_base_url: str, workdir: Path, tiles: TileServer
) -> Settings:
    """The test app with a tile source: this module's routes have a map."""
    return make_settings(
        database_url, fake_wechat, wechat_base_url, workdir, map_tiles=tiles.template, map_attribution="© 测试底图"
    )


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"], name="南园巡逻队")
    route, stops = await builders.route(team, stops=4)
    other_community = await factories.organisation(OrganisationKind.community, tree["street_b"], "莲花社区")
    boss = await factories.staff(Role.coordinator, tree["community_a"])
    stranger = await factories.staff(Role.coordinator, other_community)
    return {"tree": tree, "team": team, "route": route, "stops": stops, "boss": boss, "stranger": stranger}


async def test_a_routes_page_lists_checkpoints_in_order_with_a_map(
    client: Client, world: dict[str, Any], tiles: TileServer
) -> None:
    await sign_in(client, world["boss"])
    route = world["route"]
    team_page = await client.get(f"/console/volunteers/teams/{world['team'].id}")
    assert f'href="{ROUTES}/{route.id}"' in team_page.text
    assert f'href="{ROUTES}/{route.id}/plates.pdf"' in team_page.text
    shown = await client.get(f"{ROUTES}/{route.id}")
    assert shown.status_code == 200, shown.text
    text = shown.text
    positions = [text.index(f"巡更点{n}") for n in (1, 2, 3, 4)]
    assert positions == sorted(positions)
    for stop in world["stops"]:
        assert f"{stop.latitude:.5f}" in text and f"{stop.code[:4]} {stop.code[4:]}" in text
    assert f'src="{ROUTES}/{route.id}/map.png"' in text
    tiles.asked.clear()
    route_map._cache.clear()  # the other database's run of this test left these tiles in the process's cache
    drawn = await client.get(f"{ROUTES}/{route.id}/map.png")
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/png"
    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / "route-map.png").write_bytes(drawn.content)  # to look at
    picture = Image.open(io.BytesIO(drawn.content)).convert("RGB")
    assert picture.size == (960, 540)
    assert tiles.asked and all(z == tiles.asked[0][0] for z, _x, _y in tiles.asked)  # one zoom, the tiles it needs
    # The tiles are under the route: the canal every fake tile carries shows in the picture.
    colours = {colour for _count, colour in picture.getcolors(maxcolors=1_000_000) or []}
    assert (170, 205, 235) in colours and (200, 30, 45) in colours  # the canal, and the route's red


async def test_the_plates_pdf_from_the_console_is_the_apis(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["boss"])
    answer = await client.get(f"{ROUTES}/{world['route'].id}/plates.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert "attachment" in answer.headers["content-disposition"]
    assert len(PdfReader(io.BytesIO(answer.content)).pages) == 1  # four plates: one page


async def test_another_teams_route_is_not_found_as_in_the_api(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["stranger"])
    route = world["route"]
    for where in ("", "/map.png", "/plates.pdf"):
        answer = await client.get(f"{ROUTES}/{route.id}{where}")
        assert answer.status_code == 404, where
    assert (await client.get(f"{ROUTES}/{uuid.uuid4()}")).status_code == 404


# --- teams and routes made and changed in the room --------------------------------------------------


async def api_route(client: Client, world: dict[str, Any], route_id: Any) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/routes/{route_id}", headers=factories.token_for(world["boss"]))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def stop_fields(index: int, name: str, lat: str, lng: str, order: str = "", **more: str) -> dict[str, str]:
    fields = {f"cp-{index}-name.zh-Hans": name, f"cp-{index}-latitude": lat, f"cp-{index}-longitude": lng}
    if order:
        fields[f"cp-{index}-order"] = order
    return {**fields, **more}


async def test_a_coordinator_starts_a_team_and_changes_it(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["boss"])
    listed = await client.get("/console/volunteers/teams")
    assert 'href="/console/volunteers/teams/new"' in listed.text
    form = await client.get("/console/volunteers/teams/new")
    assert form.status_code == 200 and "南园社区" in form.text  # the communities one coordinates
    assert "莲花社区" not in form.text
    community = world["tree"]["community_a"]
    made = await send(
        client,
        "/console/volunteers/teams/new",
        csrf,
        community_id=str(community.id),
        kind="neighbourhood_watch",
        join_mode="approval",
        **{"name.zh-Hans": "河畔邻里守望队", "name.ja": "川辺見守り隊", "description.zh-Hans": "每周六上午巡河"},
    )
    assert made.status_code == 303, made.text
    team_id = made.headers["location"].split("/")[-1].split("?")[0]
    shown = await client.get(f"/api/v1/teams/{team_id}", headers={"Accept-Language": "ja"})
    assert (shown.json()["name"], shown.json()["kind"], shown.json()["join_mode"]) == (
        "川辺見守り隊",
        "neighbourhood_watch",
        "approval",
    )
    page_ = await client.get(made.headers["location"])
    assert "河畔邻里守望队" in page_.text and "已成立" in page_.text
    edit = await client.get(f"/console/volunteers/teams/{team_id}/edit")
    assert edit.status_code == 200 and 'value="河畔邻里守望队"' in edit.text
    changed = await send(
        client,
        f"/console/volunteers/teams/{team_id}/edit",
        csrf,
        join_mode="open",
        **{"name.zh-Hans": "河畔守望队", "name.ja": "川辺見守り隊"},
    )
    assert changed.status_code == 303, changed.text
    read = (await client.get(f"/api/v1/teams/{team_id}")).json()
    assert (read["name"], read["description"], read["join_mode"]) == ("河畔守望队", "", "open")


async def test_team_forms_refuse_as_the_api(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["boss"])
    no_name = await send(
        client,
        "/console/volunteers/teams/new",
        csrf,
        htmx=True,
        community_id=str(world["tree"]["community_a"].id),
        kind="patrol",
    )
    assert no_name.status_code == 422 and 'href="#field-name"' in no_name.text
    elsewhere = await factories.organisation(OrganisationKind.community, world["tree"]["street_b"], "别处社区")
    refused = await send(
        client,
        "/console/volunteers/teams/new",
        csrf,
        htmx=True,
        community_id=str(elsewhere.id),
        kind="patrol",
        **{"name.zh-Hans": "越界队"},
    )
    assert refused.status_code == 403
    bad_kind = await send(
        client, "/console/volunteers/teams/new", csrf, community_id="x", kind="nope", **{"name.zh-Hans": "队"}
    )
    assert bad_kind.status_code == 422
    team_id = world["team"].id
    emptied = await send(client, f"/console/volunteers/teams/{team_id}/edit", csrf, htmx=True, join_mode="open")
    assert emptied.status_code == 422 and 'href="#field-name"' in emptied.text
    assert (await client.get(f"/api/v1/teams/{team_id}")).json()["name"] == "南园巡逻队"
    client.cookies.clear()
    csrf = await sign_in(client, world["stranger"])
    assert (await client.get(f"/console/volunteers/teams/{team_id}/edit")).status_code == 403
    other = await send(client, f"/console/volunteers/teams/{team_id}/edit", csrf, **{"name.zh-Hans": "改名"})
    assert other.status_code == 403
    no_csrf = await client.post(f"/console/volunteers/teams/{team_id}/edit", data={"name.zh-Hans": "改名"})
    assert no_csrf.status_code == 403
    assert (await client.get(f"/api/v1/teams/{team_id}")).json()["name"] == "南园巡逻队"


async def test_a_coordinator_draws_a_route_in_the_order_numbered(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["boss"])
    team_id = world["team"].id
    form = await client.get(f"/console/volunteers/teams/{team_id}/routes/new")
    assert form.status_code == 200 and 'name="cp-4-latitude"' in form.text
    more = await client.get("/console/volunteers/teams/routes/rows", params={"start": "5"})
    assert 'name="cp-5-latitude"' in more.text and 'hx-swap-oob="true"' in more.text and "start=8" in more.text
    made = await send(
        client,
        f"/console/volunteers/teams/{team_id}/routes/new",
        csrf,
        **{"name.zh-Hans": "河畔晨巡线"},
        **stop_fields(0, "北门", "31.3001", "120.6201", order="2"),
        **stop_fields(1, "南门", "31.2990", "120.6200", order="1", **{"cp-1-name.ja": "南門"}),
        **stop_fields(3, "凉亭", "31.3010", "120.6210", order="3"),
    )
    assert made.status_code == 303, made.text
    route_id = made.headers["location"].split("/")[-1].split("?")[0]
    read = await api_route(client, world, route_id)
    assert [(c["name"], c["latitude"]) for c in read["checkpoints"]] == [
        ("南门", 31.2990),
        ("北门", 31.3001),
        ("凉亭", 31.3010),
    ]
    said = await client.get(made.headers["location"])
    assert "路线已创建" in said.text


async def test_editing_a_route_renames_reorders_adds_and_removes(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["boss"])
    route = world["route"]
    edit = await client.get(f"{ROUTES}/{route.id}/edit")
    assert edit.status_code == 200 and 'value="巡更点4"' in edit.text and 'name="cp-3-remove"' in edit.text
    renamed = await send(client, f"{ROUTES}/{route.id}/edit", csrf, **{"name.zh-Hans": "南园东线", "name.en": "East"})
    assert renamed.status_code == 303, renamed.text
    before = await api_route(client, world, route.id)
    assert before["name"] == "南园东线"
    fields = {}
    for index, stop in enumerate(world["stops"]):  # the form as shown, then changed
        fields |= stop_fields(index, f"巡更点{index + 1}", f"{stop.latitude}", f"{stop.longitude}", str(index + 1))
    fields["cp-0-order"] = "9"  # the first goes last
    fields["cp-2-remove"] = "1"  # the third goes
    fields |= stop_fields(4, "新岗亭", "31.2999", "120.6299", order="2")  # a new one, second
    saved = await send(client, f"{ROUTES}/{route.id}/checkpoints", csrf, **fields)
    assert saved.status_code == 303, saved.text
    after = await api_route(client, world, route.id)
    assert [c["name"] for c in after["checkpoints"]] == ["巡更点2", "新岗亭", "巡更点4", "巡更点1"]
    assert not {c["code"] for c in after["checkpoints"]} & {c["code"] for c in before["checkpoints"]}  # new plates


async def test_route_forms_refuse_as_the_api(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["boss"])
    route = world["route"]
    before = await api_route(client, world, route.id)
    bad = await send(
        client,
        f"{ROUTES}/{route.id}/checkpoints",
        csrf,
        htmx=True,
        **stop_fields(0, "南门", "95", "120.62"),
        **stop_fields(1, "", "31.29", "120.62"),
        **stop_fields(2, "北门", "abc", "120.62"),
    )
    assert bad.status_code == 422, bad.text
    for anchor in ("#field-cp-0-latitude", "#field-cp-1-name-zh-Hans", "#field-cp-2-latitude"):
        assert f'href="{anchor}"' in bad.text
    nothing = await send(client, f"{ROUTES}/{route.id}/checkpoints", csrf, htmx=True)
    assert nothing.status_code == 422 and 'href="#field-checkpoints"' in nothing.text
    no_name = await send(client, f"{ROUTES}/{route.id}/edit", csrf, htmx=True, **{"description.zh-Hans": "x"})
    assert no_name.status_code == 422
    assert await api_route(client, world, route.id) == before
    # Once a plate was scanned, the checkpoints stay (the API's 409, in the page's words).
    shift = await builders.shift(world["team"], route_=route)
    walker = await factories.resident("巡逻员")
    await builders.member(world["team"], walker)
    signup = await builders.signup(shift, walker)
    await CheckpointScan(signup=signup.id, checkpoint=world["stops"][0].id, scanned_at=builders.now()).save()
    in_use = await send(
        client, f"{ROUTES}/{route.id}/checkpoints", csrf, htmx=True, **stop_fields(0, "南门", "31.3", "120.6")
    )
    assert in_use.status_code == 409 and "已有打卡记录" in in_use.text
    assert await api_route(client, world, route.id) == before
    # Another community's coordinator: the route is not found, as in the API; no CSRF, no change.
    client.cookies.clear()
    csrf = await sign_in(client, world["stranger"])
    assert (await client.get(f"{ROUTES}/{route.id}/edit")).status_code == 404
    other = await send(client, f"{ROUTES}/{route.id}/edit", csrf, **{"name.zh-Hans": "改名"})
    assert other.status_code == 404
    team_id = world["team"].id
    assert (await client.get(f"/console/volunteers/teams/{team_id}/routes/new")).status_code == 403
    drawn = await send(
        client,
        f"/console/volunteers/teams/{team_id}/routes/new",
        csrf,
        **{"name.zh-Hans": "x"},
        **stop_fields(0, "a", "31", "120"),
    )
    assert drawn.status_code == 403
    client.cookies.clear()
    await sign_in(client, world["boss"])
    no_csrf = await client.post(f"{ROUTES}/{route.id}/edit", data={"name.zh-Hans": "改名"})
    assert no_csrf.status_code == 403
    assert await api_route(client, world, route.id) == before
