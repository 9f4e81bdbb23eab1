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
from tests import factories
from tests.conftest import make_settings
from tests.fakes.tiles import TileServer, serve_tiles
from tests.fakes.wechat import FakeWechat
from tests.volunteers import builders
from tests.web.console import sign_in

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
