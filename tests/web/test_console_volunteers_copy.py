"""Copying a week of shifts in the coordinators' room over HTTP (both databases): the week view's
link, the preview (nothing written), the copy through the API's ``copy_week`` read back through
the API, asking again makes nothing twice; refusals as the API's, CSRF required."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role
from backend.volunteers.shifts.tables import Shift
from tests import factories
from tests.volunteers import builders
from tests.volunteers.test_copy_week import at, monday
from tests.web.console import send, sign_in

Client = httpx.AsyncClient
COPY = "/console/volunteers/shifts/copy"


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"], name="南园巡逻队")
    other_community = await factories.organisation(OrganisationKind.community, tree["street_b"], "莲花社区")
    other = await builders.team(other_community, name="莲花志愿队")
    boss = await factories.staff(Role.coordinator, tree["community_a"])
    stranger = await factories.staff(Role.coordinator, other_community)
    first = monday(1)
    for day, hour, title in ((1, 19, "周二夜巡"), (5, 9, "周六早巡")):
        made = await builders.shift(team, starts_at=at(first + timedelta(days=day), hour))
        await Shift.update({Shift.title: {"zh-Hans": title}}).where(Shift.id == made.id)
    return {"tree": tree, "team": team, "other": other, "boss": boss, "stranger": stranger, "first": first}


async def api_titles(client: Client, world: dict[str, Any], first: Any) -> list[str]:
    listed = await client.get(
        "/api/v1/shifts",
        params={"team_id": str(world["team"].id), "from": at(first, 0).isoformat(), "limit": "50"},
    )
    assert listed.status_code == 200, listed.text
    return [item["title"] for item in listed.json() if item["starts_at"] < at(first + timedelta(days=7), 0).isoformat()]


async def test_a_week_is_previewed_then_copied(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["boss"])
    first, following = world["first"], world["first"] + timedelta(weeks=1)
    week = await client.get("/console/volunteers/shifts", params={"week": str(first), "team": str(world["team"].id)})
    assert f'href="{COPY}?week={first}&amp;team={world["team"].id}"' in week.text
    form = await client.get(COPY, params={"week": str(first), "team": str(world["team"].id)})
    assert form.status_code == 200 and f'value="{following}"' in form.text
    count = await Shift.count()
    preview = await client.get(
        COPY,
        params={"team_id": str(world["team"].id), "from_week": str(first), "to_week": str(following), "preview": "1"},
    )
    assert preview.status_code == 200, preview.text
    assert "周二夜巡" in preview.text and "周六早巡" in preview.text and "将安排 2 个班次" in preview.text
    assert await Shift.count() == count  # a preview writes nothing
    copied = await send(client, COPY, csrf, team_id=str(world["team"].id), from_week=str(first), to_week=str(following))
    assert copied.status_code == 303, copied.text
    assert (
        copied.headers["location"]
        == f"/console/volunteers/shifts?week={following}&team={world['team'].id}&done=shifts_copied"
    )
    landed = await client.get(copied.headers["location"])
    assert "周二夜巡" in landed.text and "已复制到本周" in landed.text
    assert sorted(await api_titles(client, world, following)) == ["周二夜巡", "周六早巡"]
    # Again: nothing twice; the preview says why.
    again = await client.get(
        COPY,
        params={"team_id": str(world["team"].id), "from_week": str(first), "to_week": str(following), "preview": "1"},
    )
    assert "将安排 0 个班次" in again.text and "该周已安排" in again.text
    await send(client, COPY, csrf, team_id=str(world["team"].id), from_week=str(first), to_week=str(following))
    assert len(await api_titles(client, world, following)) == 2


async def test_copying_is_refused_as_in_the_api(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["boss"])
    first = str(world["first"])
    count = await Shift.count()
    same = await send(client, COPY, csrf, htmx=True, team_id=str(world["team"].id), from_week=first, to_week=first)
    assert same.status_code == 422 and "请选择另一周作为复制目标" in same.text
    bad = await send(client, COPY, csrf, htmx=True, team_id=str(world["team"].id), from_week="x", to_week=first)
    assert bad.status_code == 422 and 'href="#field-from_week"' in bad.text
    no_team = await send(client, COPY, csrf, htmx=True, team_id="", from_week=first, to_week=str(monday(3)))
    assert no_team.status_code == 422
    others = await send(client, COPY, csrf, team_id=str(world["other"].id), from_week=first, to_week=str(monday(3)))
    assert others.status_code == 403
    missing = await send(client, COPY, csrf, team_id=str(uuid.uuid4()), from_week=first, to_week=str(monday(3)))
    assert missing.status_code == 404
    no_csrf = await client.post(
        COPY, data={"team_id": str(world["team"].id), "from_week": first, "to_week": str(monday(3))}
    )
    assert no_csrf.status_code == 403
    assert await Shift.count() == count
    organiser = await factories.staff(Role.organiser, world["tree"]["community_a"])
    client.cookies.clear()
    await sign_in(client, organiser)
    assert (await client.get(COPY)).status_code == 403
    assert re.search(r"shifts/copy", (await client.get("/console")).text) is None
