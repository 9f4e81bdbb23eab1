"""Issue 6 as volunteers and coordinators live it, through the API only (except the clock):
a patrol shift from sign-up to verified hours and a downloadable record; a coordinator of
another team refused; an incident followed to resolved; and closing a volunteer's account."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import httpx
import pypdf
import pytest

from backend.accounts.tables import OrganisationKind, Role
from backend.core.i18n import CITY_TZ
from backend.volunteers.hours.tables import HoursEntry
from backend.volunteers.people.tables import VolunteerProfile
from backend.volunteers.shifts.tables import Shift, ShiftSignup
from tests import factories
from tests.volunteers.builders import now

Client = httpx.AsyncClient


def as_(user: Any) -> dict[str, str]:
    return factories.token_for(user)


@pytest.fixture
async def patrol(client: Client) -> dict[str, Any]:
    """A community coordinator sets up a patrol team, its route and a shift through the API."""
    tree = await factories.city_tree()
    coordinator = await factories.staff(Role.coordinator, tree["community_a"])
    other_coordinator = await factories.staff(Role.coordinator, tree["community_b"])
    team = await client.post(
        "/api/v1/teams",
        json={
            "community_id": str(tree["community_a"].id),
            "kind": "red_armband",
            "name": {"zh-Hans": "南园红袖标"},
            "join_mode": "open",
        },
        headers=as_(coordinator),
    )
    assert team.status_code == 201, team.text
    team_id = team.json()["id"]
    other_team = await client.post(
        "/api/v1/teams",
        json={"community_id": str(tree["community_b"].id), "kind": "patrol", "name": {"zh-Hans": "莲花巡逻队"}},
        headers=as_(other_coordinator),
    )
    assert other_team.status_code == 201, other_team.text
    stops = [
        {"name": {"zh-Hans": name}, "latitude": 31.2946 + i / 1000, "longitude": 120.6285}
        for i, name in enumerate(("南门岗亭", "3幢楼道", "北门停车场"))
    ]
    route = await client.post(
        f"/api/v1/teams/{team_id}/routes",
        json={"name": {"zh-Hans": "夜巡线"}, "checkpoints": stops},
        headers=as_(coordinator),
    )
    assert route.status_code == 201, route.text
    start = (now() + timedelta(minutes=20)).isoformat()
    shift = await client.post(
        f"/api/v1/teams/{team_id}/shifts",
        json={
            "title": {"zh-Hans": "南园夜间巡逻", "en": "Nanyuan night patrol"},
            "starts_at": start,
            "ends_at": (now() + timedelta(minutes=80)).isoformat(),
            "capacity": 3,
            "route_id": route.json()["id"],
            "check_in_radius_m": 300,
        },
        headers=as_(coordinator),
    )
    assert shift.status_code == 201, shift.text
    return {
        "tree": tree,
        "coordinator": coordinator,
        "other_coordinator": other_coordinator,
        "team_id": team_id,
        "route": route.json(),
        "shift_id": shift.json()["id"],
    }


async def join_as_volunteer(client: Client, team_id: str, name: str, real_name: str) -> Any:
    person = await factories.resident(name)
    profile = await client.post(
        "/api/v1/volunteers",
        json={"consent": True, "real_name": real_name, "id_document": "resident_id", "id_number": "11010519491231002X"},
        headers=as_(person),
    )
    assert profile.status_code == 201, profile.text
    joined = await client.post(f"/api/v1/teams/{team_id}/members", headers=as_(person))
    assert joined.status_code == 201, joined.text
    return person


async def test_a_patrol_shift_from_sign_up_to_a_verified_record(client: Client, patrol: dict[str, Any]) -> None:
    volunteer = await join_as_volunteer(client, patrol["team_id"], "lihua", "李华明")
    shift_id, coordinator = patrol["shift_id"], patrol["coordinator"]

    signed = await client.post(f"/api/v1/shifts/{shift_id}/signups", headers=as_(volunteer))
    assert signed.status_code == 201, signed.text
    far = await client.post(
        f"/api/v1/shifts/{shift_id}/check-in?lang=en",
        json={"latitude": 31.31, "longitude": 120.60},
        headers=as_(volunteer),
    )
    assert far.status_code == 422 and far.json()["code"] == "too_far_from_shift"
    checked_in = await client.post(
        f"/api/v1/shifts/{shift_id}/check-in", json={"latitude": 31.2947, "longitude": 120.6286}, headers=as_(volunteer)
    )
    assert checked_in.status_code == 200, checked_in.text

    # The plates' codes are for coordinators to print; the volunteer scans them on the spot.
    codes = [
        c["code"]
        for c in (await client.get(f"/api/v1/routes/{patrol['route']['id']}", headers=as_(coordinator))).json()[
            "checkpoints"
        ]
    ]
    assert (
        "code"
        not in (await client.get(f"/api/v1/routes/{patrol['route']['id']}", headers=as_(volunteer))).json()[
            "checkpoints"
        ][0]
    )
    for code in (codes[0], codes[2]):
        scanned = await client.post(
            f"/api/v1/shifts/{shift_id}/checkpoints/{code.lower()}/scan", headers=as_(volunteer)
        )
        assert scanned.status_code == 200, scanned.text
    assert scanned.json()["missed"] == [2]

    # An hour passes: the shift began 50 minutes ago and the volunteer was there from its start.
    earlier = timedelta(minutes=70)
    await Shift.update({Shift.starts_at: Shift.starts_at - earlier, Shift.ends_at: Shift.ends_at - earlier}).where(
        Shift.id == shift_id
    )
    shift = await Shift.objects().where(Shift.id == shift_id).first()
    await ShiftSignup.update({ShiftSignup.checked_in_at: shift.starts_at}).where(ShiftSignup.shift == shift_id)
    out = await client.post(f"/api/v1/shifts/{shift_id}/check-out", headers=as_(volunteer))
    assert out.status_code == 200, out.text
    body = out.json()
    assert body["required_minutes"] == 36 and body["credited_minutes"] == 50
    assert body["hours_entry"]["status"] == "pending"
    assert any(flag.startswith("missed_checkpoint") or flag == "missed_checkpoints" for flag in body["flags"])
    entry_id = body["hours_entry"]["id"]

    # Not the volunteer, and not the coordinator of another community's team.
    own = await client.post(f"/api/v1/hours/{entry_id}/verify", headers=as_(volunteer))
    assert own.status_code in (403, 404)
    cross = await client.post(f"/api/v1/hours/{entry_id}/verify", headers=as_(patrol["other_coordinator"]))
    assert cross.status_code == 404
    assert (await HoursEntry.select(HoursEntry.status).where(HoursEntry.id == entry_id).first())["status"] == "pending"

    sheet = await client.get(f"/api/v1/shifts/{shift_id}/signups", headers=as_(coordinator))
    assert sheet.status_code == 200
    verified = await client.post(f"/api/v1/hours/{entry_id}/verify", headers=as_(coordinator))
    assert verified.status_code == 200 and verified.json()["status"] == "verified"

    hours = (await client.get("/api/v1/me/hours?lang=en", headers=as_(volunteer))).json()
    assert hours["totals"]["verified_minutes"] == 50

    record = await client.get("/api/v1/me/hours/record", headers=as_(volunteer))
    assert record.status_code == 200 and record.headers["content-type"].startswith("application/pdf")
    text = re.sub(
        r"[\s\x00]", "", "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(record.content)).pages)
    )
    assert "李华明" in text and "11010519491231002X" not in text
    code = next(c for c in re.findall(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", text))
    check = await client.get(f"/api/v1/hours/records/{code}")
    assert check.status_code == 200, check.text
    assert check.json()["valid"] is True and check.json()["holder"] == "李*明"
    assert "李华明" not in check.text

    month = shift.starts_at.astimezone(CITY_TZ).strftime("%Y-%m")
    sheet_csv = await client.get(f"/api/v1/teams/{patrol['team_id']}/hours.csv?month={month}", headers=as_(coordinator))
    assert sheet_csv.status_code == 200 and sheet_csv.content.startswith(b"\xef\xbb\xbf")
    assert (
        await client.get(
            f"/api/v1/teams/{patrol['team_id']}/hours.csv?month={month}", headers=as_(patrol["other_coordinator"])
        )
    ).status_code == 403


async def test_an_incident_goes_to_its_party_and_is_followed_to_resolved(
    client: Client, patrol: dict[str, Any]
) -> None:
    tree, coordinator = patrol["tree"], patrol["coordinator"]
    company = await factories.organisation(OrganisationKind.property_company, tree["community_a"], "南园物业")
    company_staff = await factories.staff(Role.organiser, company)
    routed = await client.put(
        f"/api/v1/communities/{tree['community_a'].id}/incident-routing",
        json={"routes": [{"kind": "group_renting", "party": "property_company", "organisation_id": str(company.id)}]},
        headers=as_(coordinator),
    )
    assert routed.status_code == 200, routed.text
    volunteer = await join_as_volunteer(client, patrol["team_id"], "zhangwei", "张伟")
    reported = await client.post(
        "/api/v1/incidents",
        json={
            "community_id": str(tree["community_a"].id),
            "kind": "group_renting",
            "text": "5幢302疑似群租，夜间进出人员多",
            "team_id": patrol["team_id"],
            "latitude": 31.295,
            "longitude": 120.629,
        },
        headers=as_(volunteer),
    )
    assert reported.status_code == 201, reported.text
    incident_id = reported.json()["id"]
    assert reported.json()["party"] == "property_company"
    assert (await client.get(f"/api/v1/incidents/{incident_id}", headers=as_(company_staff))).status_code == 404

    for status, who in (("acknowledged", coordinator), ("forwarded", coordinator), ("resolved", company_staff)):
        changed = await client.patch(
            f"/api/v1/incidents/{incident_id}", json={"status": status, "note": "已处理"}, headers=as_(who)
        )
        assert changed.status_code == 200, changed.text
    seen = (await client.get(f"/api/v1/incidents/{incident_id}?lang=en", headers=as_(volunteer))).json()
    assert seen["status"] == "resolved"
    assert [change["status"] for change in seen["history"]] == ["reported", "acknowledged", "forwarded", "resolved"]
    assert all(change["at"] for change in seen["history"])
    assert (
        await client.get(f"/api/v1/incidents/{incident_id}", headers=as_(patrol["other_coordinator"]))
    ).status_code == 404


async def test_closing_a_volunteer_account_frees_the_shift_and_keeps_the_ledger(
    client: Client, patrol: dict[str, Any]
) -> None:
    volunteer = await join_as_volunteer(client, patrol["team_id"], "wangfang", "王芳")
    assert (
        await client.post(f"/api/v1/shifts/{patrol['shift_id']}/signups", headers=as_(volunteer))
    ).status_code == 201
    claim = await client.post(
        f"/api/v1/teams/{patrol['team_id']}/hours",
        json={
            "minutes": 90,
            "service_date": now().astimezone(CITY_TZ).date().isoformat(),
            "content": "社区防疫值守",
            "reason": "忘记签到，由队长确认",
        },
        headers=as_(volunteer),
    )
    assert claim.status_code == 201, claim.text

    export = (await client.get("/api/v1/me/export", headers=as_(volunteer))).json()["domains"]["volunteers"]
    assert export["profile"]["real_name"] == "王芳"
    assert [s["shift"] for s in export["shift_signups"]] == [patrol["shift_id"]]
    assert [h["minutes"] for h in export["hours"]] == [90]

    assert (await client.delete("/api/v1/me", headers=as_(volunteer))).status_code == 204
    assert (await Shift.select(Shift.seats_taken).where(Shift.id == patrol["shift_id"]).first())["seats_taken"] == 0
    assert not await VolunteerProfile.exists().where(VolunteerProfile.user == volunteer.id)
    assert await HoursEntry.count().where(HoursEntry.user == volunteer.id) == 1  # the ledger keeps its row
