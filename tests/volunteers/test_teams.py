"""Teams over HTTP: who may start one, the public list, joining, approvals and coordinators."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role, User
from backend.volunteers.teams.tables import MemberRole, MemberStatus, TeamKind, TeamMember
from tests import factories
from tests.volunteers import builders

Client = httpx.AsyncClient


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    return {"tree": tree, "staff": await factories.staff(Role.coordinator, tree["community_a"])}


def team_body(community: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "community_id": str(community.id),
        "kind": "patrol",
        "name": {"zh-Hans": "南园巡逻队", "en": "Nanyuan Patrol"},
        "description": {"zh-Hans": "每晚七点南门集合", "en": "South gate, 7 pm"},
        "join_mode": "open",
    }
    body.update(overrides)
    return body


async def volunteer(client: Client, name: str | None = None) -> User:
    """A resident who has opted in to volunteering."""
    user = await factories.resident(name)
    answer = await client.post("/api/v1/volunteers", json={"consent": True}, headers=factories.token_for(user))
    assert answer.status_code == 201, answer.text
    return user


async def join(client: Client, team_id: uuid.UUID, user: User) -> httpx.Response:
    return await client.post(f"/api/v1/teams/{team_id}/members", headers=factories.token_for(user))


# --- starting a team ------------------------------------------------------------------------------


async def test_who_may_start_a_team(client: Client, place: dict[str, Any]) -> None:
    tree = place["tree"]
    body = team_body(tree["community_a"])
    made = await client.post("/api/v1/teams", json=body, headers=factories.token_for(place["staff"]))
    assert made.status_code == 201, made.text
    assert (made.json()["name"], made.json()["community"]["name"]) == ("南园巡逻队", "南园社区")
    elsewhere = await factories.staff(Role.coordinator, tree["community_b"])
    assert (await client.post("/api/v1/teams", json=body, headers=factories.token_for(elsewhere))).status_code == 403
    organiser = await factories.staff(Role.organiser, tree["community_a"])
    assert (await client.post("/api/v1/teams", json=body, headers=factories.token_for(organiser))).status_code == 403
    resident = await factories.resident()
    assert (await client.post("/api/v1/teams", json=body, headers=factories.token_for(resident))).status_code == 403
    assert (await client.post("/api/v1/teams", json=body)).status_code == 401
    street_admin = await factories.staff(Role.admin, tree["street_a"])
    on_street = await client.post(
        "/api/v1/teams", json=team_body(tree["street_a"]), headers=factories.token_for(street_admin)
    )
    assert on_street.status_code == 201, on_street.text


async def test_a_team_serves_a_community_or_a_street(client: Client, place: dict[str, Any]) -> None:
    admin = await factories.staff(Role.admin, place["tree"]["street_a"])
    library = await client.post(
        "/api/v1/teams", json=team_body(place["tree"]["library_a"]), headers=factories.token_for(admin)
    )
    assert (library.status_code, library.json()["code"]) == (422, "team_community_invalid")
    unknown = await client.post(
        "/api/v1/teams",
        json=team_body(place["tree"]["library_a"], community_id=str(uuid.uuid4())),
        headers=factories.token_for(admin),
    )
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"name": {}}, "validation_failed"),
        ({"name": {"zh-Hans": "   "}}, "team_name_required"),
        ({"name": {"fr": "Patrouille"}}, "validation_failed"),
        ({"name": {"zh-Hans": "队" * 61}}, "validation_failed"),
        ({"kind": "army"}, "validation_failed"),
        ({"join_mode": "invite"}, "validation_failed"),
        ({"description": {"en": "x" * 1001}}, "validation_failed"),
        ({"coordinator_user_ids": [str(uuid.uuid4())]}, "user_not_found"),
    ],
)
async def test_bad_team_input_is_refused(
    client: Client, place: dict[str, Any], overrides: dict[str, Any], code: str
) -> None:
    answer = await client.post(
        "/api/v1/teams",
        json=team_body(place["tree"]["community_a"], **overrides),
        headers=factories.token_for(place["staff"]),
    )
    assert (answer.status_code, answer.json()["code"]) == (422, code), answer.text


async def test_coordinators_named_at_creation(client: Client, place: dict[str, Any]) -> None:
    lead = await factories.resident("王队长")
    made = await client.post(
        "/api/v1/teams",
        json=team_body(place["tree"]["community_a"], coordinator_user_ids=[str(lead.id)]),
        headers=factories.token_for(place["staff"]),
    )
    assert made.status_code == 201, made.text
    assert made.json()["coordinator_names"] == ["王队长"]
    assert made.json()["member_count"] == 1


# --- the public list -----------------------------------------------------------------------------------


async def test_the_list_is_public_and_localised(client: Client, place: dict[str, Any]) -> None:
    tree = place["tree"]
    team = await builders.team(tree["community_a"])
    await builders.team(tree["community_b"], TeamKind.red_armband, name="莲花红袖标")
    lead = await factories.resident("王队长")
    await builders.coordinator(team, lead)
    await builders.member(team, await factories.resident())
    await builders.member(team, await factories.resident(), status=MemberStatus.pending)
    everyone = await client.get("/api/v1/teams")
    assert everyone.status_code == 200 and len(everyone.json()) == 2
    english = (
        await client.get("/api/v1/teams", params={"community_id": str(tree["street_a"].id), "lang": "en"})
    ).json()
    assert [t["id"] for t in english] == [str(team.id)]
    item = english[0]
    assert (item["name"], item["locale"], item["kind"], item["kind_name"]) == (
        "Nanyuan Patrol",
        "en",
        "patrol",
        "Patrol",
    )
    # Need to know: the public sees a coordinator's name masked, those who coordinate the team in full.
    assert (item["member_count"], item["coordinator_names"], item["my_membership"]) == (2, ["王*长"], None)
    assert item["converted"] is False
    for who in (lead, place["staff"]):
        seen = (await client.get(f"/api/v1/teams/{team.id}", headers=factories.token_for(who))).json()
        assert seen["coordinator_names"] == ["王队长"]
    assert item["community"] == {"id": str(tree["community_a"].id), "name": "南园社区"}
    chinese = (await client.get(f"/api/v1/teams/{team.id}")).json()
    assert (chinese["name"], chinese["locale"]) == ("南园巡逻队", "zh-Hans")
    # A Traditional reader of a name written in Simplified gets it converted, and is told so.
    traditional = (await client.get(f"/api/v1/teams/{team.id}", params={"lang": "zh-Hant"})).json()
    assert (traditional["name"], traditional["locale"], traditional["converted"]) == ("南園巡邏隊", "zh-Hant", True)
    red = (await client.get("/api/v1/teams", params={"kind": "red_armband"})).json()
    assert [t["name"] for t in red] == ["莲花红袖标"]
    assert (
        await client.get("/api/v1/teams", params={"community_id": str(tree["community_b"].id), "kind": "patrol"})
    ).json() == []
    assert (await client.get(f"/api/v1/teams/{uuid.uuid4()}")).status_code == 404


async def test_my_membership_shows_for_a_logged_in_caller(client: Client, place: dict[str, Any]) -> None:
    team = await builders.team(place["tree"]["community_a"], join_mode="approval")
    user = await volunteer(client)
    await join(client, team.id, user)
    mine = (await client.get(f"/api/v1/teams/{team.id}", headers=factories.token_for(user))).json()
    assert mine["my_membership"] == {"role": "member", "status": "pending"}
    assert mine["member_count"] == 0


# --- joining -------------------------------------------------------------------------------------------


async def test_joining_needs_a_volunteer_profile(client: Client, place: dict[str, Any]) -> None:
    team = await builders.team(place["tree"]["community_a"])
    refused = await join(client, team.id, await factories.resident())
    assert (refused.status_code, refused.json()["code"]) == (409, "volunteer_profile_required")
    assert (await join(client, uuid.uuid4(), await volunteer(client))).status_code == 404


async def test_an_open_team_takes_people_at_once(client: Client, place: dict[str, Any]) -> None:
    team = await builders.team(place["tree"]["community_a"])
    user = await volunteer(client)
    first = await join(client, team.id, user)
    assert (first.status_code, first.json()["status"], first.json()["role"]) == (201, "active", "member")
    again = await join(client, team.id, user)
    assert (again.status_code, again.json()["status"]) == (200, "active")
    left = await client.delete(f"/api/v1/teams/{team.id}/members/me", headers=factories.token_for(user))
    assert (left.status_code, left.json()["status"]) == (200, "left")
    twice = await client.delete(f"/api/v1/teams/{team.id}/members/me", headers=factories.token_for(user))
    assert (twice.status_code, twice.json()["code"]) == (404, "membership_not_found")
    back = await join(client, team.id, user)
    assert (back.status_code, back.json()["status"]) == (201, "active")
    assert await TeamMember.count().where(TeamMember.user == user.id) == 1


async def test_an_approval_team_waits_for_its_coordinator(client: Client, place: dict[str, Any]) -> None:
    team = await builders.team(place["tree"]["community_a"], join_mode="approval")
    lead = await factories.resident("王队长")
    await builders.coordinator(team, lead)
    alice, bob = await volunteer(client, "Alice"), await volunteer(client, "Bob")
    asked = await join(client, team.id, alice)
    assert (asked.status_code, asked.json()["status"]) == (201, "pending")
    assert (await join(client, team.id, alice)).json()["status"] == "pending"
    await join(client, team.id, bob)
    coordinator = factories.token_for(lead)
    pending = (
        await client.get(f"/api/v1/teams/{team.id}/members", params={"status": "pending"}, headers=coordinator)
    ).json()
    assert sorted(m["display_name"] for m in pending) == ["Alice", "Bob"]
    approved = await client.post(f"/api/v1/teams/{team.id}/members/{alice.id}/approve", headers=coordinator)
    assert (approved.status_code, approved.json()["status"]) == (200, "active")
    assert (
        await client.post(f"/api/v1/teams/{team.id}/members/{alice.id}/approve", headers=coordinator)
    ).status_code == 200
    undone = await client.post(f"/api/v1/teams/{team.id}/members/{alice.id}/reject", headers=coordinator)
    assert (undone.status_code, undone.json()["code"]) == (409, "membership_not_pending")
    rejected = await client.post(f"/api/v1/teams/{team.id}/members/{bob.id}/reject", headers=coordinator)
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    again = await join(client, team.id, bob)
    assert (again.status_code, again.json()["status"]) == (201, "pending")
    stranger = await client.post(f"/api/v1/teams/{team.id}/members/{uuid.uuid4()}/approve", headers=coordinator)
    assert stranger.status_code == 404


async def test_a_coordinator_of_another_team_has_no_say(client: Client, place: dict[str, Any]) -> None:
    team = await builders.team(place["tree"]["community_a"], join_mode="approval")
    other = await builders.team(place["tree"]["community_a"], name="另一队")
    outsider = await factories.resident()
    await builders.coordinator(other, outsider)
    applicant = await volunteer(client)
    await join(client, team.id, applicant)
    headers = factories.token_for(outsider)
    assert (
        await client.post(f"/api/v1/teams/{team.id}/members/{applicant.id}/approve", headers=headers)
    ).status_code == 403
    assert (await client.get(f"/api/v1/teams/{team.id}/members", headers=headers)).status_code == 403
    assert (
        await client.patch(f"/api/v1/teams/{team.id}", json={"join_mode": "open"}, headers=headers)
    ).status_code == 403
    assert (await client.put(f"/api/v1/teams/{team.id}/coordinators/{outsider.id}", headers=headers)).status_code == 403
    member = factories.token_for(applicant)
    assert (await client.get(f"/api/v1/teams/{team.id}/members", headers=member)).status_code == 403
    staff_elsewhere = await factories.staff(Role.coordinator, place["tree"]["community_b"])
    assert (
        await client.get(f"/api/v1/teams/{team.id}/members", headers=factories.token_for(staff_elsewhere))
    ).status_code == 403
    assert (
        await client.get(f"/api/v1/teams/{team.id}/members", headers=factories.token_for(place["staff"]))
    ).status_code == 200


async def test_concurrent_duplicate_joins_make_one_membership(client: Client, place: dict[str, Any]) -> None:
    team = await builders.team(place["tree"]["community_a"])
    user = await volunteer(client)
    answers = await asyncio.gather(*(join(client, team.id, user) for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert {a.json()["status"] for a in answers} == {"active"}
    assert await TeamMember.count().where((TeamMember.user == user.id) & (TeamMember.team == team.id)) == 1


# --- what coordinators see and do ----------------------------------------------------------------


async def test_members_are_listed_masked(client: Client, place: dict[str, Any]) -> None:
    team = await builders.team(place["tree"]["community_a"])
    user = await factories.resident("小梅")
    await User.update({User.phone: "13812345678"}).where(User.id == user.id)
    saved = await client.post(
        "/api/v1/volunteers", json={"consent": True, "real_name": "李小梅"}, headers=factories.token_for(user)
    )
    assert saved.status_code == 201
    await join(client, team.id, user)
    listed = await client.get(f"/api/v1/teams/{team.id}/members", headers=factories.token_for(place["staff"]))
    assert listed.status_code == 200, listed.text
    [row] = listed.json()
    assert (row["display_name"], row["real_name_masked"], row["phone_masked"]) == ("小梅", "李*梅", "138****5678")
    assert (row["role"], row["status"]) == ("member", "active")
    assert "13812345678" not in listed.text and "李小梅" not in listed.text


async def test_coordinators_are_appointed_and_dismissed(client: Client, place: dict[str, Any]) -> None:
    team = await builders.team(place["tree"]["community_a"])
    lead = await factories.resident("王队长")
    await builders.coordinator(team, lead)
    helper = await volunteer(client, "小张")
    await join(client, team.id, helper)
    appointed = await client.put(f"/api/v1/teams/{team.id}/coordinators/{helper.id}", headers=factories.token_for(lead))
    assert (appointed.status_code, appointed.json()["role"], appointed.json()["status"]) == (
        200,
        "coordinator",
        "active",
    )
    assert (
        await client.get(f"/api/v1/teams/{team.id}/members", headers=factories.token_for(helper))
    ).status_code == 200
    renamed = await client.patch(
        f"/api/v1/teams/{team.id}",
        json={"name": {"zh-Hans": "南园夜巡队"}, "join_mode": "approval"},
        headers=factories.token_for(helper),
    )
    assert (renamed.status_code, renamed.json()["name"], renamed.json()["join_mode"]) == (200, "南园夜巡队", "approval")
    dismissed = await client.delete(
        f"/api/v1/teams/{team.id}/coordinators/{helper.id}", headers=factories.token_for(lead)
    )
    assert (dismissed.status_code, dismissed.json()["role"]) == (200, "member")
    assert (
        await client.get(f"/api/v1/teams/{team.id}/members", headers=factories.token_for(helper))
    ).status_code == 403
    again = await client.delete(f"/api/v1/teams/{team.id}/coordinators/{helper.id}", headers=factories.token_for(lead))
    assert (again.status_code, again.json()["code"]) == (404, "coordinator_not_found")


async def test_only_members_or_staff_of_the_community_may_be_appointed(client: Client, place: dict[str, Any]) -> None:
    tree, headers = place["tree"], factories.token_for(place["staff"])
    team = await builders.team(tree["community_a"])

    async def appoint(user: User) -> httpx.Response:
        return await client.put(f"/api/v1/teams/{team.id}/coordinators/{user.id}", headers=headers)

    # Someone with an account but no place in the team, or whose place is pending or left: refused.
    newcomer, applicant, former = [await factories.resident(name) for name in ("赵阿姨", "钱叔", "孙姐")]
    await builders.member(team, applicant, status=MemberStatus.pending)
    await builders.member(team, former, status=MemberStatus.left)
    elsewhere = await factories.staff(Role.coordinator, tree["community_b"])
    for user in (newcomer, applicant, former, elsewhere):
        refused = await appoint(user)
        assert (refused.status_code, refused.json()["code"]) == (422, "coordinator_not_eligible"), refused.text
    assert await TeamMember.count().where((TeamMember.team == team.id) & (TeamMember.role == "coordinator")) == 0

    # An active member, or staff holding a role in the community or above it: appointed.
    member, street_staff = await factories.resident("周伯"), await factories.staff(Role.organiser, tree["street_a"])
    await builders.member(team, member)
    for user in (member, street_staff):
        appointed = await appoint(user)
        assert (appointed.status_code, appointed.json()["role"], appointed.json()["status"]) == (
            200,
            "coordinator",
            "active",
        )
        row = await TeamMember.objects().where((TeamMember.team == team.id) & (TeamMember.user == user.id)).first()
        assert (row.role, row.status) == (MemberRole.coordinator.value, MemberStatus.active.value)
    assert (await appoint(member)).status_code == 200  # again: nothing changes
    assert [
        entry["changes"]["user"][1] for entry in await builders.audit_entries("volunteers.coordinator_appointed")
    ] == [
        str(member.id),
        str(street_staff.id),
    ]
    nobody = await client.put(f"/api/v1/teams/{team.id}/coordinators/{uuid.uuid4()}", headers=headers)
    assert nobody.status_code == 404


async def test_a_coordinator_who_leaves_stops_coordinating(client: Client, place: dict[str, Any]) -> None:
    team = await builders.team(place["tree"]["community_a"])
    lead = await volunteer(client)
    await builders.coordinator(team, lead)
    left = await client.delete(f"/api/v1/teams/{team.id}/members/me", headers=factories.token_for(lead))
    assert (left.json()["status"], left.json()["role"]) == ("left", "member")
    assert (await client.get(f"/api/v1/teams/{team.id}/members", headers=factories.token_for(lead))).status_code == 403
