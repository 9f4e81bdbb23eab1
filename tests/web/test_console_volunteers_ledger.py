"""A volunteer's ledger in the coordinators' room over HTTP (both databases): reached from the
team's members and the hours queue; entries of every status with their corrections, the team's
sums and the milestone level as the API computes them; a correction made through the API's
service (read back through the API, once however often the form is sent); refusals as the API's.
Also the API's own ledger (``GET /api/v1/teams/{id}/members/{user}/hours``)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role
from backend.core import clock
from backend.core.tables import AuditEntry
from backend.volunteers.hours.tables import HoursEntry
from tests import factories
from tests.volunteers import builders
from tests.web.console import csrf_of, send, sign_in

Client = httpx.AsyncClient
ROOT = "/console/volunteers/teams"


async def entry(team: Any, person: Any, minutes: int, status: str, boss: Any, content: str) -> uuid.UUID:
    row = HoursEntry(
        user=person.id,
        team=team.id,
        kind="manual",
        minutes=minutes,
        service_date=clock.city_today() - timedelta(days=3),
        content=content,
        reason="补录",
        source_key=f"test:{uuid.uuid4()}",
        status=status,
        created_by=person.id,
        created_at=builders.now(),
        decided_by=boss.id if status != "pending" else None,
        decided_at=builders.now() if status != "pending" else None,
        decision_note="当天未排班" if status == "rejected" else "",
    )
    await HoursEntry.insert(row)
    return row.id


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"], name="南园巡逻队")
    other_community = await factories.organisation(OrganisationKind.community, tree["street_b"], "莲花社区")
    other = await builders.team(other_community, name="莲花志愿队")
    boss = await factories.staff(Role.coordinator, tree["community_a"])
    stranger = await factories.staff(Role.coordinator, other_community)
    walker = await factories.resident("小林")
    await builders.member(team, walker)
    verified = await entry(team, walker, 100 * 60 + 30, "verified", boss, "重阳节敬老活动")
    pending = await entry(team, walker, 90, "pending", boss, "周末夜巡")
    rejected = await entry(team, walker, 60, "rejected", boss, "河道清洁")
    await entry(other, walker, 120, "verified", boss, "别队的活动")
    return {
        "tree": tree,
        "team": team,
        "other": other,
        "boss": boss,
        "stranger": stranger,
        "walker": walker,
        "verified": verified,
        "pending": pending,
        "rejected": rejected,
    }


def ledger_url(world: dict[str, Any]) -> str:
    return f"{ROOT}/{world['team'].id}/members/{world['walker'].id}"


async def api_ledger(client: Client, world: dict[str, Any]) -> dict[str, Any]:
    answer = await client.get(
        f"/api/v1/teams/{world['team'].id}/members/{world['walker'].id}/hours",
        headers=factories.token_for(world["boss"]),
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_the_api_ledger_sums_the_team_and_levels_over_all_teams(client: Client, world: dict[str, Any]) -> None:
    body = await api_ledger(client, world)
    assert body["volunteer"]["id"] == str(world["walker"].id) and body["team"]["name"] == "南园巡逻队"
    assert {item["status"] for item in body["items"]} == {"verified", "pending", "rejected"}
    assert body["team_totals"] == {
        "verified_minutes": 6030,
        "pending_minutes": 90,
        "rejected_minutes": 60,
        "verified_hours": 100.5,
    }
    # The level counts every team's verified hours, as the volunteer's own ledger does.
    own = await client.get("/api/v1/me/hours", headers=factories.token_for(world["walker"]))
    assert body["totals"] == own.json()["totals"]
    assert (body["totals"]["verified_minutes"], body["totals"]["level"]) == (6150, 1)
    assert await AuditEntry.count().where(AuditEntry.action == "volunteers.volunteer_hours_read") == 1
    stranger = await client.get(
        f"/api/v1/teams/{world['team'].id}/members/{world['walker'].id}/hours",
        headers=factories.token_for(world["stranger"]),
    )
    assert stranger.status_code == 403
    nobody = await client.get(
        f"/api/v1/teams/{world['team'].id}/members/{uuid.uuid4()}/hours", headers=factories.token_for(world["boss"])
    )
    assert nobody.status_code == 404


async def test_the_ledger_page_is_reached_from_members_and_queue(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["boss"])
    url = ledger_url(world)
    assert f'href="{url}"' in (await client.get(f"{ROOT}/{world['team'].id}")).text
    assert f'href="{url}"' in (await client.get("/console/volunteers")).text
    shown = await client.get(url)
    assert shown.status_code == 200, shown.text
    text = shown.text
    for content in ("重阳节敬老活动", "周末夜巡", "河道清洁"):
        assert content in text
    assert "别队的活动" not in text  # another team's entry is not this team's to show
    assert "100.5" in text and "1.5" in text and "一星志愿者" in text
    assert "当天未排班" in text
    assert text.count('name="minutes"') == 1  # only the verified entry can be corrected


async def test_a_correction_is_made_once_and_read_back(client: Client, world: dict[str, Any]) -> None:
    await sign_in(client, world["boss"])
    page = await client.get(ledger_url(world))
    csrf = csrf_of(page.text)
    key = page.text.split('name="key" value="')[1].split('"')[0]
    where = f"{ledger_url(world)}/hours/{world['verified']}/correct"
    for _ in range(2):  # a double click
        answer = await send(client, where, csrf, minutes="-30", reason="多记了半小时", key=key)
        assert answer.status_code == 303, answer.text
    body = await api_ledger(client, world)
    corrections = [item for item in body["items"] if item["kind"] == "correction"]
    assert [(c["minutes"], c["reason"], c["corrects"]) for c in corrections] == [
        (-30, "多记了半小时", str(world["verified"]))
    ]
    assert body["team_totals"]["verified_minutes"] == 6000
    shown = await client.get(f"{ledger_url(world)}?done=corrected")
    assert "更正已记录" in shown.text and "−0.5" in shown.text and "更正后计 100 小时" in shown.text


async def test_corrections_are_refused_as_in_the_api(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["boss"])
    base = ledger_url(world)
    before = await api_ledger(client, world)
    zero = await send(client, f"{base}/hours/{world['verified']}/correct", csrf, htmx=True, minutes="0", reason="没变")
    assert zero.status_code == 422
    rejected = await send(
        client, f"{base}/hours/{world['rejected']}/correct", csrf, htmx=True, minutes="10", reason="补上"
    )
    assert rejected.status_code == 409
    words = await send(client, f"{base}/hours/{world['verified']}/correct", csrf, htmx=True, minutes="x", reason="好")
    assert words.status_code == 422 and 'href="#field-minutes"' in words.text
    waiting = await send(
        client, f"{base}/hours/{world['pending']}/correct", csrf, htmx=True, minutes="10", reason="补上"
    )
    assert waiting.status_code == 409
    no_csrf = await client.post(f"{base}/hours/{world['verified']}/correct", data={"minutes": "10", "reason": "补上"})
    assert no_csrf.status_code == 403
    client.cookies.clear()
    csrf = await sign_in(client, world["stranger"])
    assert (await client.get(base)).status_code == 403
    other = await send(client, f"{base}/hours/{world['verified']}/correct", csrf, minutes="10", reason="补上")
    assert other.status_code == 404
    after = await api_ledger(client, world)
    assert after["items"] == before["items"]
