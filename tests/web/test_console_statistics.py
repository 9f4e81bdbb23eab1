"""The statistics room over HTTP (both databases): for a community and months, five charts drawn
on the server as inline SVG (participants, by resident group, by age band, volunteer hours,
points earned and spent), a hidden cell drawn hatched and marked "<5" with the key saying why,
the numbers beside each chart the API's, the spreadsheets the API's exports (audited); another
community 404, a bad month a field message never a 500, a role without ``view_statistics``
neither sees nor opens the room."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role
from backend.core.tables import AuditEntry
from tests import factories
from tests.inclusion.test_statistics import attend, months_ago, past_event, person, text
from tests.web.console import sign_in

Client = httpx.AsyncClient


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    """Community A: seven residents in month 1 (five new residents), three in month 2."""
    tree = await factories.city_tree()
    a = tree["community_a"]
    m1, m2 = months_ago(2), months_ago(1)
    venue = await factories.venue(a, a)
    e1 = await past_event(tree["street_a"], venue, m1)
    e2 = await past_event(tree["street_a"], venue, m2)
    newcomers = [await person(m1[0] - 30, "new_resident") for _ in range(5)]
    locals_ = [await person(m1[0] - 70, "long_term_local") for _ in range(2)]
    for someone in (*newcomers, *locals_):
        await attend(e1, someone)
    for someone in newcomers[:3]:
        await attend(e2, someone)
    return {
        "tree": tree,
        "m1": text(m1),
        "m2": text(m2),
        "organiser": await factories.staff(Role.organiser, tree["street_a"]),
        "coordinator": await factories.staff(Role.coordinator, a),
    }


async def test_the_charts_show_what_happened_and_hide_small_cells(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["organiser"])
    home = await client.get("/console")
    assert 'href="/console/statistics"' in home.text
    answer = await client.get("/console/statistics", params={"from": world["m1"], "to": world["m2"]})
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert html.count('<svg class="chart" role="img"') == 5
    for title in ("参与人数", "按居民群体", "按年龄段", "志愿服务时长", "获得和使用的积分"):
        assert title in html, title
    assert "&lt;5" in html and "少于 5 人" in html  # the key says why
    assert "hatch" in html or "pattern" in html  # matplotlib draws hatching as an SVG pattern
    # The numbers beside the participants chart: 7 in month 1, month 2 hidden.
    api = await client.get(
        "/api/v1/stats/participation",
        params={"community_id": str(world["tree"]["community_a"].id), "from": world["m1"], "to": world["m2"]},
        headers=factories.token_for(world["organiser"]),
    )
    rows = api.json()["rows"]
    assert [row["participants"] for row in rows] == [7, None]
    table = html.split('id="chart-participants"')[1].split("</section>")[0]
    assert '<td class="num">7</td>' in table and '<td class="num hidden-cell">&lt;5</td>' in table


async def test_the_spreadsheets_are_the_apis_exports_and_audited(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["organiser"])
    community = world["tree"]["community_a"].id
    page = await client.get("/console/statistics", params={"from": world["m1"], "to": world["m2"]})
    link = f"/console/statistics/participation.csv?community={community}&amp;from={world['m1']}&amp;to={world['m2']}"
    assert link in page.text and "/console/statistics/monthly.csv?" in page.text
    for name, action in (
        ("participation", "inclusion.statistics_exported"),
        ("monthly", "inclusion.monthly_statistics_exported"),
    ):
        answer = await client.get(
            f"/console/statistics/{name}.csv",
            params={"community": str(community), "from": world["m1"], "to": world["m2"]},
        )
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert rows[0][0] == "社区" and rows[1][2] == "7" and rows[2][2] == "<5"
        assert await AuditEntry.count().where(AuditEntry.action == action) == 1


async def test_refusals(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["organiser"])
    other = world["tree"]["community_b"].id
    assert (await client.get("/console/statistics", params={"community": str(other)})).status_code == 404
    assert (await client.get("/console/statistics/monthly.csv", params={"community": str(other)})).status_code == 403
    for params, field in (
        ({"from": "2026-13"}, "from"),
        ({"to": "next month"}, "to"),
        ({"from": "2026-05", "to": "2026-01"}, "to"),
    ):
        answer = await client.get("/console/statistics", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert f'href="#field-{field}"' in answer.text
    too_long = await client.get("/console/statistics", params={"from": "2020-01", "to": "2026-01"})
    assert too_long.status_code == 422 and "24" in too_long.text


async def test_a_role_without_statistics_neither_sees_nor_opens_the_room(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["coordinator"])
    assert 'href="/console/statistics"' not in (await client.get("/console")).text
    assert (await client.get("/console/statistics")).status_code == 403
    community = world["tree"]["community_a"].id
    assert (
        await client.get("/console/statistics/participation.csv", params={"community": str(community)})
    ).status_code == 403


async def test_signed_out_goes_to_login(client: Client) -> None:
    answer = await client.get("/console/statistics")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")
