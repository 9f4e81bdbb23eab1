"""The audit trail of the volunteers domain: every change coordinators and staff make leaves exactly
one entry (who, by which permission, in which community, what changed), written with the change;
a refusal, a repeat that changes nothing, and a volunteer's own doings leave none. Incidents' steps
are checked with the incidents (test_incidents.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role, User
from backend.core.clock import city_today
from backend.volunteers.hours.tables import HoursStatus
from backend.volunteers.teams.tables import MemberStatus
from tests import factories
from tests.volunteers import builders
from tests.volunteers.test_hours import entry

Client = httpx.AsyncClient


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"], join_mode="approval")
    lead, volunteer = await factories.resident("王队长"), await factories.resident("张志愿")
    await builders.coordinator(team, lead)
    await builders.member(team, volunteer)
    return {
        "tree": tree,
        "team": team,
        "lead": lead,
        "volunteer": volunteer,
        "staff": await factories.staff(Role.coordinator, tree["community_a"]),
        "outsider": await factories.staff(Role.coordinator, tree["community_b"]),
    }


class Trail:
    """The entries written since the last look."""

    def __init__(self) -> None:
        self.seen = 0

    async def new(self) -> list[dict[str, Any]]:
        entries = await builders.audit_entries()
        fresh, self.seen = entries[self.seen :], len(entries)
        return fresh

    async def one(self, action: str, actor: User, permission: str, community: Any) -> dict[str, Any]:
        fresh = await self.new()
        assert [entry["action"] for entry in fresh] == [action], fresh
        [only] = fresh
        assert (only["actor"], only["actor_kind"], only["permission"], only["organisation"]) == (
            str(actor.id),
            "staff" if actor.is_staff else "resident",
            permission,
            str(community.id),
        )
        assert only["request_id"] and only["address"]
        return only

    async def none(self) -> None:
        assert await self.new() == []


def as_(user: User) -> dict[str, str]:
    return factories.token_for(user)


async def test_teams_members_and_coordinators(client: Client, place: dict[str, Any]) -> None:
    trail, community, staff, lead = Trail(), place["tree"]["community_a"], place["staff"], place["lead"]
    body = {"community_id": str(community.id), "kind": "patrol", "name": {"zh-Hans": "新巡逻队"}}
    assert (await client.post("/api/v1/teams", json=body, headers=as_(place["outsider"]))).status_code == 403
    await trail.none()
    made = await client.post("/api/v1/teams", json=body, headers=as_(staff))
    created = await trail.one("volunteers.team_created", staff, "coordinate_volunteers", community)
    assert (created["object_type"], created["object_id"]) == ("team", made.json()["id"])
    assert created["changes"]["name"] == [None, {"zh-Hans": "新巡逻队"}]

    team = place["team"]
    renamed = await client.patch(f"/api/v1/teams/{team.id}", json={"join_mode": "open"}, headers=as_(lead))
    assert renamed.status_code == 200
    changed = await trail.one("volunteers.team_changed", lead, "coordinate_team", community)
    assert changed["changes"] == {"join_mode": ["approval", "open"]}
    await client.patch(f"/api/v1/teams/{team.id}", json={"join_mode": "open"}, headers=as_(lead))
    await trail.none()  # nothing changed

    await client.patch(f"/api/v1/teams/{team.id}", json={"join_mode": "approval"}, headers=as_(lead))
    await trail.new()
    applicants = [await factories.resident(name) for name in ("甲", "乙")]
    for person in applicants:
        await builders.member(team, person, status=MemberStatus.pending)
    approve = f"/api/v1/teams/{team.id}/members/{applicants[0].id}/approve"
    assert (await client.post(approve, headers=as_(place["volunteer"]))).status_code == 403
    await trail.none()
    assert (await client.post(approve, headers=as_(lead))).status_code == 200
    approved = await trail.one("volunteers.member_approved", lead, "coordinate_team", community)
    assert approved["changes"] == {
        "status": ["pending", "active"],
        "team": [None, str(team.id)],
        "user": [None, str(applicants[0].id)],
    }
    assert (await client.post(approve, headers=as_(lead))).status_code == 200
    await trail.none()  # deciding the same way twice changes nothing
    rejected = await client.post(f"/api/v1/teams/{team.id}/members/{applicants[1].id}/reject", headers=as_(staff))
    assert rejected.status_code == 200
    await trail.one("volunteers.member_rejected", staff, "coordinate_volunteers", community)

    appoint = f"/api/v1/teams/{team.id}/coordinators/{place['volunteer'].id}"
    assert (await client.put(appoint, headers=as_(lead))).status_code == 200
    appointed = await trail.one("volunteers.coordinator_appointed", lead, "coordinate_team", community)
    assert appointed["changes"]["role"] == ["member", "coordinator"]
    assert (await client.delete(appoint, headers=as_(lead))).status_code == 200
    dismissed = await trail.one("volunteers.coordinator_dismissed", lead, "coordinate_team", community)
    assert dismissed["changes"]["role"] == ["coordinator", "member"]

    # A volunteer's own joining and leaving are theirs: not audited.
    await client.patch(f"/api/v1/teams/{team.id}", json={"join_mode": "open"}, headers=as_(lead))
    await trail.new()
    joiner = await factories.resident("丙")
    assert (await client.post("/api/v1/volunteers", json={"consent": True}, headers=as_(joiner))).status_code == 201
    assert (await client.post(f"/api/v1/teams/{team.id}/members", headers=as_(joiner))).status_code == 201
    assert (await client.delete(f"/api/v1/teams/{team.id}/members/me", headers=as_(joiner))).status_code == 200
    await trail.none()


async def test_routes_and_shifts(client: Client, place: dict[str, Any]) -> None:
    trail, community, team, lead = Trail(), place["tree"]["community_a"], place["team"], place["lead"]
    stops = [{"name": {"zh-Hans": "南门"}, "latitude": 31.29, "longitude": 120.62}]
    route = {"name": {"zh-Hans": "东线"}, "checkpoints": stops}
    made = await client.post(f"/api/v1/teams/{team.id}/routes", json=route, headers=as_(lead))
    assert made.status_code == 201, made.text
    created = await trail.one("volunteers.route_created", lead, "coordinate_team", community)
    assert created["object_id"] == made.json()["id"]
    assert made.json()["checkpoints"][0]["code"] not in str(created)  # the plates' codes are never logged
    replaced = await client.put(
        f"/api/v1/routes/{made.json()['id']}/checkpoints",
        json={"checkpoints": [*stops, {"name": {"zh-Hans": "北门"}, "latitude": 31.3, "longitude": 120.62}]},
        headers=as_(place["staff"]),
    )
    assert replaced.status_code == 200
    entry_ = await trail.one("volunteers.checkpoints_replaced", place["staff"], "coordinate_volunteers", community)
    assert len(entry_["changes"]["checkpoints"][1]) == 2

    start = builders.now() + timedelta(days=3)
    shift = {
        "title": {"zh-Hans": "夜巡"},
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 3,
    }
    assert (
        await client.post(f"/api/v1/teams/{team.id}/shifts", json=shift, headers=as_(place["volunteer"]))
    ).status_code == 403
    await trail.none()
    planned = await client.post(f"/api/v1/teams/{team.id}/shifts", json=shift, headers=as_(lead))
    assert planned.status_code == 201
    entry_ = await trail.one("volunteers.shift_planned", lead, "coordinate_team", community)
    assert (entry_["object_id"], entry_["changes"]["capacity"]) == (planned.json()["id"], [None, 3])
    shift_id = planned.json()["id"]
    assert (await client.post(f"/api/v1/shifts/{shift_id}/signups", headers=as_(place["volunteer"]))).status_code == 201
    await trail.none()  # taking a place is the volunteer's own doing
    assert (await client.post(f"/api/v1/shifts/{shift_id}/cancel", headers=as_(lead))).status_code == 200
    cancelled = await trail.one("volunteers.shift_cancelled", lead, "coordinate_team", community)
    assert cancelled["changes"] == {"places_taken": [1, 0], "status": ["scheduled", "cancelled"]}
    assert (await client.post(f"/api/v1/shifts/{shift_id}/cancel", headers=as_(lead))).status_code == 409
    await trail.none()


async def test_hours_decisions_and_the_csv(client: Client, place: dict[str, Any]) -> None:
    trail, community, team, lead, volunteer = (
        Trail(),
        place["tree"]["community_a"],
        place["team"],
        place["lead"],
        place["volunteer"],
    )
    claim = {"minutes": 60, "service_date": city_today().isoformat(), "reason": "忘记签到"}
    assert (await client.post(f"/api/v1/teams/{team.id}/hours", json=claim, headers=as_(volunteer))).status_code == 201
    await trail.none()  # a volunteer's own claim
    entered = await client.post(
        f"/api/v1/teams/{team.id}/hours",
        json={**claim, "user_id": str(volunteer.id)},
        headers={**as_(lead), "Idempotency-Key": "enter-1"},
    )
    assert entered.status_code == 201
    audited = await trail.one("volunteers.hours_entered", lead, "coordinate_team", community)
    assert (audited["object_id"], audited["changes"]["minutes"]) == (entered.json()["id"], [None, 60])
    again = await client.post(
        f"/api/v1/teams/{team.id}/hours",
        json={**claim, "user_id": str(volunteer.id)},
        headers={**as_(lead), "Idempotency-Key": "enter-1"},
    )
    assert (again.status_code, again.json()["id"]) == (201, entered.json()["id"])
    await trail.none()  # the same request again: the same entry, no second entry

    pending = await entry(team, volunteer, 90)
    assert (await client.post(f"/api/v1/hours/{pending.id}/verify", headers=as_(place["outsider"]))).status_code == 404
    await trail.none()
    assert (await client.post(f"/api/v1/hours/{pending.id}/verify", headers=as_(lead))).status_code == 200
    verified = await trail.one("volunteers.hours_verified", lead, "coordinate_team", community)
    assert verified["changes"]["status"] == ["pending", "verified"]
    assert (await client.post(f"/api/v1/hours/{pending.id}/verify", headers=as_(lead))).status_code == 200
    await trail.none()  # verified already

    many = [await entry(team, volunteer, 30) for _ in range(2)]
    bulk = await client.post(
        f"/api/v1/teams/{team.id}/hours/verify",
        json={"entry_ids": [str(row.id) for row in many]},
        headers=as_(place["staff"]),
    )
    assert len(bulk.json()["verified"]) == 2
    fresh = await trail.new()
    assert sorted(e["object_id"] for e in fresh) == sorted(str(row.id) for row in many)
    assert {(e["action"], e["permission"]) for e in fresh} == {("volunteers.hours_verified", "coordinate_volunteers")}

    doubtful = await entry(team, volunteer, 45)
    rejected = await client.post(f"/api/v1/hours/{doubtful.id}/reject", json={"note": "当天未排班"}, headers=as_(lead))
    assert rejected.status_code == 200
    entry_ = await trail.one("volunteers.hours_rejected", lead, "coordinate_team", community)
    assert entry_["changes"]["status"] == ["pending", "rejected"]

    corrected = await client.post(
        f"/api/v1/hours/{pending.id}/corrections", json={"minutes": -30, "reason": "多记了半小时"}, headers=as_(lead)
    )
    assert corrected.status_code == 201
    entry_ = await trail.one("volunteers.hours_corrected", lead, "coordinate_team", community)
    assert (entry_["object_id"], entry_["changes"]["balance_minutes"]) == (str(pending.id), [90, 60])

    own = await entry(team, lead, 60, status=HoursStatus.pending)
    assert (await client.post(f"/api/v1/hours/{own.id}/verify", headers=as_(lead))).status_code == 403
    await trail.none()

    month = city_today().strftime("%Y-%m")
    assert (await client.get(f"/api/v1/teams/{team.id}/hours", headers=as_(lead))).status_code == 200
    await trail.none()  # the verification queue is their daily work, not an export
    exported = await client.get(f"/api/v1/teams/{team.id}/hours.csv?month={month}", headers=as_(lead))
    assert (exported.status_code, exported.headers["cache-control"]) == (200, "private, no-store")
    read = await trail.one("volunteers.team_hours_exported", lead, "coordinate_team", community)
    assert (read["object_type"], read["object_id"]) == ("team", str(team.id))
    assert read["changes"] == {"entries": [None, 8], "month": [None, month]}
    refused = await client.get(f"/api/v1/teams/{team.id}/hours.csv?month={month}", headers=as_(place["outsider"]))
    assert refused.status_code == 403
    await trail.none()
