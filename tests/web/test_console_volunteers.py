"""The coordinators' room over HTTP (both databases): the hours queue with flags in words, one or
many entries verified or rejected through the API's services (never one's own), the month's CSV
audited as the API's; the week of shifts, planning and cancelling one, the attendance sheet —
each change read back through the API, each refusal as the API's."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role
from backend.core import clock
from backend.core.i18n import CITY_TZ
from backend.volunteers.hours.services import record_shift_hours
from tests import factories
from tests.volunteers import builders
from tests.web.console import send, sign_in

Client = httpx.AsyncClient
ROOT = "/console/volunteers"


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"], name="南园巡逻队")
    other_community = await factories.organisation(OrganisationKind.community, tree["street_b"], "莲花社区")
    other = await builders.team(other_community, name="莲花志愿队")
    boss = await factories.staff(Role.coordinator, tree["community_a"])
    stranger = await factories.staff(Role.coordinator, other_community)
    volunteers = []
    for name in ("小林", "王阿姨", "陈师傅"):
        person = await factories.resident(name)
        await builders.member(team, person)
        volunteers.append(person)
    outsider = await factories.resident("外队员")
    await builders.member(other, outsider)
    return {
        "tree": tree,
        "team": team,
        "other": other,
        "boss": boss,
        "stranger": stranger,
        "volunteers": volunteers,
        "outsider": outsider,
    }


async def claim(client: Client, team: Any, person: Any, minutes: int = 120, reason: str = "社区活动帮忙") -> str:
    answer = await client.post(
        f"/api/v1/teams/{team.id}/hours",
        json={"minutes": minutes, "service_date": str(clock.city_today() - timedelta(days=1)), "reason": reason},
        headers=factories.token_for(person),
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def entry(client: Client, person: Any, entry_id: str) -> dict[str, Any]:
    mine = await client.get("/api/v1/me/hours", headers=factories.token_for(person))
    assert mine.status_code == 200, mine.text
    return next(item for item in mine.json()["items"] if item["id"] == entry_id)


# --- the room's door --------------------------------------------------------------------------------


async def test_the_room_opens_to_coordinators_only(client: Client, world: dict[str, Any]) -> None:
    organiser = await factories.staff(Role.organiser, world["tree"]["community_a"])
    csrf = await sign_in(client, organiser)
    assert f'href="{ROOT}"' not in (await client.get("/console")).text
    for where in (ROOT, f"{ROOT}/shifts", f"{ROOT}/shifts/new"):
        assert (await client.get(where)).status_code == 403
    assert (await send(client, f"{ROOT}/hours/decide", csrf, entry_ids=str(uuid.uuid4()))).status_code == 403

    client.cookies.clear()
    await sign_in(client, world["boss"])
    home = await client.get("/console")
    assert f'href="{ROOT}"' in home.text
    for where in (ROOT, f"{ROOT}/shifts", f"{ROOT}/shifts/new"):
        shown = await client.get(where)
        assert shown.status_code == 200, (where, shown.text)
    assert "南园巡逻队" in shown.text and "莲花志愿队" not in shown.text


# --- the hours queue -----------------------------------------------------------------------------------


async def test_the_queue_shows_flags_in_words_and_only_ones_own_teams(client: Client, world: dict[str, Any]) -> None:
    await claim(client, world["team"], world["volunteers"][0], reason="忘记签到，带队老师可以证明")
    await claim(client, world["other"], world["outsider"])
    # An entry a shift made, with the flags of an attendance closed for a forgotten check-out.
    route, _stops = await builders.route(world["team"])
    shift = await builders.shift(world["team"], starts_at=builders.now() - timedelta(hours=3), route_=route)
    signup = await builders.signup(shift, world["volunteers"][1])
    flags = ["auto_checkout", "missed_checkpoints", "missed_checkpoint:2", "missed_checkpoint:3"]
    await record_shift_hours(
        shift=shift,
        signup_id=signup.id,
        user_id=world["volunteers"][1].id,
        checked_in_at=shift.starts_at,
        checked_out_at=shift.ends_at,
        flags=flags,
    )
    await sign_in(client, world["boss"])
    queue = await client.get(ROOT)
    assert queue.status_code == 200
    assert "小林" in queue.text and "王阿姨" in queue.text and "外队员" not in queue.text
    assert "忘记签到，带队老师可以证明" in queue.text
    assert "missed_checkpoint" not in queue.text and "auto_checkout" not in queue.text
    assert "未扫描巡更点 2和3" in queue.text and "自动结束" in queue.text
    # Filters and sorts: by team (another's is not found), by text, by hours.
    found = await client.get(ROOT, params={"q": "小林"})
    assert "小林" in found.text and "王阿姨" not in found.text
    assert (await client.get(ROOT, params={"team": str(world["other"].id)})).status_code == 404
    odd = await client.get(ROOT, params={"sort": "drop", "page": "x", "team": ""})
    assert odd.status_code == 200 and "小林" in odd.text


async def test_many_entries_are_verified_at_once_and_read_back(client: Client, world: dict[str, Any]) -> None:
    ids = [await claim(client, world["team"], person) for person in world["volunteers"]]
    theirs = await claim(client, world["other"], world["outsider"])
    csrf = await sign_in(client, world["boss"])
    done = await send(client, f"{ROOT}/hours/decide", csrf, action="verify", entry_ids=[*ids[:2], theirs])  # type: ignore[arg-type]
    assert done.status_code == 303, done.text
    after = await client.get(done.headers["location"])
    assert "已核实 2 条记录" in after.text and "1 条记录不在你的队伍中" in after.text
    for person, entry_id in zip(world["volunteers"][:2], ids[:2], strict=True):
        assert (await entry(client, person, entry_id))["status"] == "verified"
    assert (await entry(client, world["volunteers"][2], ids[2]))["status"] == "pending"
    assert (await entry(client, world["outsider"], theirs))["status"] == "pending"  # another team's: untouched


async def test_reject_needs_a_note_and_reads_back(client: Client, world: dict[str, Any]) -> None:
    ids = [await claim(client, world["team"], person) for person in world["volunteers"][:2]]
    csrf = await sign_in(client, world["boss"])
    refused = await send(client, f"{ROOT}/hours/decide", csrf, htmx=True, action="reject", entry_ids=ids[0])
    assert refused.status_code == 422
    assert 'href="#field-note"' in refused.text or "field-note" in refused.text
    nothing = await send(client, f"{ROOT}/hours/decide", csrf, htmx=True, action="verify")
    assert nothing.status_code == 422
    bad = await send(client, f"{ROOT}/hours/decide", csrf, htmx=True, action="verify", entry_ids="not-an-id")
    assert bad.status_code == 422
    done = await send(client, f"{ROOT}/hours/decide", csrf, action="reject", note="当天未排班", entry_ids=ids)  # type: ignore[arg-type]
    assert done.status_code == 303
    for person, entry_id in zip(world["volunteers"][:2], ids, strict=True):
        read = await entry(client, person, entry_id)
        assert (read["status"], read["decision_note"]) == ("rejected", "当天未排班")
    again = await send(client, f"{ROOT}/hours/{ids[0]}/verify", csrf, htmx=True)
    assert again.status_code == 409  # already decided, as the API says


async def test_own_hours_are_refused_as_the_api_refuses_them(client: Client, world: dict[str, Any]) -> None:
    await builders.member(world["team"], world["boss"])
    own = await claim(client, world["team"], world["boss"])
    api = await client.post(f"/api/v1/hours/{own}/verify", headers=factories.token_for(world["boss"]))
    csrf = await sign_in(client, world["boss"])
    one = await send(client, f"{ROOT}/hours/{own}/verify", csrf, htmx=True)
    assert one.status_code == api.status_code == 403
    assert api.json()["detail"] in one.text
    many = await send(client, f"{ROOT}/hours/decide", csrf, action="verify", entry_ids=own)
    after = await client.get(many.headers["location"])
    assert "是你自己的时长" in after.text
    assert (await entry(client, world["boss"], own))["status"] == "pending"
    queue = await client.get(ROOT)
    assert f'value="{own}"' not in queue.text  # no tick box on one's own hours


async def test_another_teams_entry_is_not_found_and_no_token_is_refused(client: Client, world: dict[str, Any]) -> None:
    theirs = await claim(client, world["other"], world["outsider"])
    ours = await claim(client, world["team"], world["volunteers"][0])
    csrf = await sign_in(client, world["boss"])
    assert (await send(client, f"{ROOT}/hours/{theirs}/verify", csrf)).status_code == 404
    assert (await send(client, f"{ROOT}/hours/{theirs}/reject", csrf, note="不对")).status_code == 404
    assert (await client.post(f"{ROOT}/hours/{ours}/verify")).status_code == 403  # no CSRF token
    assert (await entry(client, world["volunteers"][0], ours))["status"] == "pending"
    one = await send(client, f"{ROOT}/hours/{ours}/verify", csrf)
    assert one.status_code == 303
    assert (await entry(client, world["volunteers"][0], ours))["status"] == "verified"


async def test_the_month_csv_is_the_apis_and_audited(client: Client, world: dict[str, Any]) -> None:
    await claim(client, world["team"], world["volunteers"][0])
    month = (clock.city_today() - timedelta(days=1)).strftime("%Y-%m")
    await sign_in(client, world["boss"])
    queue = await client.get(ROOT)
    assert f"/hours.csv?month={clock.city_today().strftime('%Y-%m')}" in queue.text
    got = await client.get(f"{ROOT}/teams/{world['team'].id}/hours.csv", params={"month": month})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    api = await client.get(
        f"/api/v1/teams/{world['team'].id}/hours.csv",
        params={"month": month},
        headers=factories.token_for(world["boss"]),
    )
    assert got.content == api.content
    assert len(await builders.audit_entries("volunteers.team_hours_exported")) == 2
    assert (await client.get(f"{ROOT}/teams/{world['other'].id}/hours.csv", params={"month": month})).status_code == 403
    assert (
        await client.get(f"{ROOT}/teams/{world['team'].id}/hours.csv", params={"month": "2026-13"})
    ).status_code in (
        404,
        422,
        400,
    )


# --- shifts -----------------------------------------------------------------------------------------------


def local(moment: Any) -> str:
    return moment.astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M")


async def test_a_shift_is_planned_shown_in_its_week_and_read_back(client: Client, world: dict[str, Any]) -> None:
    csrf = await sign_in(client, world["boss"])
    start = (clock.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    planned = await send(
        client,
        f"{ROOT}/shifts/new",
        csrf,
        team_id=str(world["team"].id),
        **{"title.zh-Hans": "周末夜巡", "title.en": "Weekend patrol"},
        starts_at=local(start),
        ends_at=local(start + timedelta(hours=2)),
        capacity="4",
        min_attendance_percent="60",
    )
    assert planned.status_code == 303, planned.text
    week = await client.get(planned.headers["location"])
    assert "周末夜巡" in week.text and "已报名 0/4 人" in week.text
    listed = await client.get("/api/v1/shifts", params={"team_id": str(world["team"].id)})
    shift = next(s for s in listed.json() if s["title"] == "周末夜巡")
    assert shift["capacity"] == 4 and datetime.fromisoformat(shift["starts_at"]) == start
    # Bad input: a field message, never a 500.
    for fields in (
        {"team_id": "", "title.zh-Hans": "x", "starts_at": local(start), "ends_at": local(start), "capacity": "2"},
        {"team_id": str(world["team"].id), "starts_at": "soon", "ends_at": local(start), "capacity": "2"},
        {
            "team_id": str(world["team"].id),
            "title.zh-Hans": "x",
            "starts_at": local(start),
            "ends_at": local(start),
            "capacity": "-1",
        },
    ):
        refused = await send(client, f"{ROOT}/shifts/new", csrf, htmx=True, **fields)
        assert refused.status_code in (403, 404, 409, 422), refused.text
        assert 'id="problems"' not in refused.text  # drawn into the form's region
    other = await send(
        client,
        f"{ROOT}/shifts/new",
        csrf,
        htmx=True,
        team_id=str(world["other"].id),
        **{"title.zh-Hans": "越界"},
        starts_at=local(start),
        ends_at=local(start + timedelta(hours=1)),
        capacity="2",
    )
    assert other.status_code == 403


async def test_the_week_moves_and_a_shift_is_cancelled_telling_how_many(client: Client, world: dict[str, Any]) -> None:
    shift = await builders.shift(world["team"], starts_at=builders.now() + timedelta(days=1))
    for person in world["volunteers"][:2]:
        await builders.signup(shift, person)
    csrf = await sign_in(client, world["boss"])
    day = shift.starts_at.astimezone(CITY_TZ).date()
    week = await client.get(f"{ROOT}/shifts", params={"week": str(day), "team": str(world["team"].id)})
    assert "夜间巡逻" in week.text
    links = re.findall(r'href="(/console/volunteers/shifts\?week=[^"]+)"', week.text)
    assert len(links) >= 2
    moved = await client.get(links[0].replace("&amp;", "&"))
    assert moved.status_code == 200 and "夜间巡逻" not in moved.text
    assert (await client.get(f"{ROOT}/shifts", params={"week": "garbage"})).status_code == 200
    sheet = await client.get(f"{ROOT}/shifts/{shift.id}")
    assert sheet.status_code == 200 and "小林" in sheet.text and "王阿姨" in sheet.text
    ask = await client.get(f"{ROOT}/shifts/{shift.id}/cancel")
    assert "2" in ask.text
    assert (await client.post(f"{ROOT}/shifts/{shift.id}/cancel")).status_code == 403  # no token
    done = await send(client, f"{ROOT}/shifts/{shift.id}/cancel", csrf)
    assert done.status_code == 303
    read = await client.get(f"/api/v1/shifts/{shift.id}")
    assert read.json()["status"] == "cancelled"
    again = await send(client, f"{ROOT}/shifts/{shift.id}/cancel", csrf, htmx=True)
    assert again.status_code == 409


async def test_another_teams_shift_is_refused_as_in_the_api(client: Client, world: dict[str, Any]) -> None:
    theirs = await builders.shift(world["other"], starts_at=builders.now() + timedelta(days=1))
    api = await client.get(f"/api/v1/shifts/{theirs.id}/signups", headers=factories.token_for(world["boss"]))
    csrf = await sign_in(client, world["boss"])
    assert (await client.get(f"{ROOT}/shifts/{theirs.id}")).status_code == api.status_code
    assert (await send(client, f"{ROOT}/shifts/{theirs.id}/cancel", csrf)).status_code == 403
    assert (await client.get(f"{ROOT}/shifts/{uuid.uuid4()}")).status_code == 404
    assert (await client.get(f"{ROOT}/shifts", params={"team": str(world["other"].id)})).status_code == 404


async def test_the_live_sheet_shows_check_ins_scans_and_missed_checkpoints(
    client: Client, world: dict[str, Any]
) -> None:
    route, stops = await builders.route(world["team"])
    shift = await builders.shift(world["team"], starts_at=builders.now() - timedelta(minutes=20), route_=route)
    person = world["volunteers"][0]
    await builders.signup(shift, person)
    token = factories.token_for(person)
    assert (await client.post(f"/api/v1/shifts/{shift.id}/check-in", headers=token)).status_code == 200
    for stop in (stops[0], stops[2]):
        scanned = await client.post(f"/api/v1/shifts/{shift.id}/checkpoints/{stop.code}/scan", headers=token)
        assert scanned.status_code == 200, scanned.text
    await sign_in(client, world["boss"])
    sheet = await client.get(f"{ROOT}/shifts/{shift.id}")
    assert sheet.status_code == 200
    assert 'class="done"' in sheet.text and 'class="missed"' in sheet.text
    assert 'hx-trigger="every 30s"' in sheet.text
    rows = await client.get(f"{ROOT}/shifts/{shift.id}", params={"part": "rows"}, headers={"HX-Request": "true"})
    assert rows.status_code == 200 and "<html" not in rows.text and "小林" in rows.text
