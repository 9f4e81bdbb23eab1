"""Estate alliances over HTTP: one per community, an estate in one at most (also when two staff
race), the page, versioned documents and residents' acknowledgements counted per estate."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role
from backend.places.tables import Acknowledgement, AllianceMember
from tests import factories

Client = httpx.AsyncClient
V1 = "/api/v1"


@pytest.fixture
async def nanyuan(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    staff = await factories.staff(Role.organiser, tree["community_a"])
    company = await factories.organisation(OrganisationKind.property_company, tree["community_a"], "南园物业")
    estates = [
        await factories.estate(tree["community_a"], kind=kind, property_company_id=str(company.id))
        for kind in ("commercial", "improved", "affordable", "resettlement")
    ]
    return {"tree": tree, "staff": staff, "auth": factories.token_for(staff), "estates": estates}


def alliance_body(place: dict[str, Any], members: list[tuple[Any, str]]) -> dict[str, Any]:
    return {
        "community_id": str(place["tree"]["community_a"].id),
        "name": {"zh-Hans": "南园小区联盟", "en": "Nanyuan Estate Alliance"},
        "members": [{"estate_id": str(e), "role": r} for e, r in members],
    }


async def found(client: Client, place: dict[str, Any]) -> dict[str, Any]:
    e = place["estates"]
    body = alliance_body(place, [(e[0], "flagship"), (e[1], "partner"), (e[2], "allied"), (e[3], "allied")])
    made = await client.post(f"{V1}/alliances", json=body, headers=place["auth"])
    assert made.status_code == 201, made.text
    return made.json()


async def test_an_alliance_page(client: Client, nanyuan: dict[str, Any]) -> None:
    alliance = await found(client, nanyuan)
    assert [m["role"] for m in alliance["members"]] == ["flagship", "partner", "allied", "allied"]
    assert alliance["shared_property_company"]["name"] == "南园物业"
    estate = await client.get(f"{V1}/estates/{nanyuan['estates'][0]}")
    assert estate.json()["alliance"]["role"] == "flagship"
    again = await client.post(f"{V1}/alliances", json=alliance_body(nanyuan, []), headers=nanyuan["auth"])
    assert again.status_code == 409 and again.json()["code"] == "alliance_exists"
    listed = await client.get(f"{V1}/alliances", params={"community_id": str(nanyuan["tree"]["community_a"].id)})
    assert listed.json()[0]["members"] == 4


async def test_members_roles_and_one_flagship(client: Client, nanyuan: dict[str, Any]) -> None:
    e = nanyuan["estates"]
    made = await client.post(
        f"{V1}/alliances", json=alliance_body(nanyuan, [(e[0], "flagship")]), headers=nanyuan["auth"]
    )
    alliance = made.json()["id"]
    second = await client.put(
        f"{V1}/alliances/{alliance}/members/{e[1]}", json={"role": "flagship"}, headers=nanyuan["auth"]
    )
    assert second.status_code == 409 and second.json()["code"] == "one_flagship"
    joined = await client.put(
        f"{V1}/alliances/{alliance}/members/{e[1]}", json={"role": "partner"}, headers=nanyuan["auth"]
    )
    assert joined.status_code == 200 and len(joined.json()["members"]) == 2
    left = await client.delete(f"{V1}/alliances/{alliance}/members/{e[1]}", headers=nanyuan["auth"])
    assert left.status_code == 204
    far = await factories.estate(nanyuan["tree"]["community_b"])
    refused = await client.put(
        f"{V1}/alliances/{alliance}/members/{far}", json={"role": "allied"}, headers=nanyuan["auth"]
    )
    assert refused.status_code == 422 and refused.json()["code"] == "estate_outside_community"
    other = await factories.staff(Role.organiser, nanyuan["tree"]["community_b"])
    refused = await client.put(
        f"{V1}/alliances/{alliance}/members/{e[2]}", json={"role": "allied"}, headers=factories.token_for(other)
    )
    assert refused.status_code == 403


async def test_two_staff_adding_one_estate_at_once_one_wins(client: Client, nanyuan: dict[str, Any]) -> None:
    """Two alliances cannot exist in one community, so the race is two staff adding the same
    estate to the alliance at once with different roles: one row, whichever came first."""
    e = nanyuan["estates"]
    made = await client.post(
        f"{V1}/alliances", json=alliance_body(nanyuan, [(e[0], "flagship")]), headers=nanyuan["auth"]
    )
    alliance = made.json()["id"]
    colleague = await factories.staff(Role.admin, nanyuan["tree"]["community_a"])
    answers = await asyncio.gather(
        client.put(f"{V1}/alliances/{alliance}/members/{e[1]}", json={"role": "partner"}, headers=nanyuan["auth"]),
        client.put(
            f"{V1}/alliances/{alliance}/members/{e[1]}", json={"role": "allied"}, headers=factories.token_for(colleague)
        ),
    )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert await AllianceMember.count().where(AllianceMember.estate == e[1]) == 1


async def test_two_alliances_founded_at_once_one_wins(client: Client, nanyuan: dict[str, Any]) -> None:
    e = nanyuan["estates"]
    colleague = await factories.staff(Role.admin, nanyuan["tree"]["community_a"])
    answers = await asyncio.gather(
        client.post(f"{V1}/alliances", json=alliance_body(nanyuan, [(e[0], "flagship")]), headers=nanyuan["auth"]),
        client.post(
            f"{V1}/alliances",
            json=alliance_body(nanyuan, [(e[0], "partner")]),
            headers=factories.token_for(colleague),
        ),
    )
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert await AllianceMember.count().where(AllianceMember.estate == e[0]) == 1


async def _live_in(client: Client, estate: Any) -> dict[str, str]:
    resident = await factories.resident()
    me = factories.token_for(resident)
    said = await client.put(f"{V1}/me/residence", json={"estate_id": str(estate), "consent": True}, headers=me)
    assert said.status_code == 200
    return me


async def test_a_joint_convention_versions_and_acknowledgements(client: Client, nanyuan: dict[str, Any]) -> None:
    alliance = await found(client, nanyuan)
    body = {
        "title": {"zh-Hans": "共同业主公约", "en": "Joint Owners' Convention"},
        "body": {"zh-Hans": "第一条 爱护公共绿地。", "en": "Article 1. Look after the green spaces."},
    }
    made = await client.post(f"{V1}/alliances/{alliance['id']}/documents", json=body, headers=nanyuan["auth"])
    assert made.status_code == 201, made.text
    document = made.json()
    assert document["version"] == 1
    read = await client.get(f"{V1}/alliance-documents/{document['id']}", headers={"Accept-Language": "en"})
    assert read.json()["body"] == "Article 1. Look after the green spaces."
    # Residents of member estates acknowledge; again changes nothing; outsiders may not.
    neighbours = [await _live_in(client, nanyuan["estates"][0]) for _ in range(5)]
    for me in neighbours:
        done = await client.post(f"{V1}/alliance-documents/{document['id']}/acknowledgements", headers=me)
        assert done.status_code == 200 and done.json()["version"] == 1
    again = await client.post(f"{V1}/alliance-documents/{document['id']}/acknowledgements", headers=neighbours[0])
    assert again.status_code == 200
    stranger = await factories.resident()
    refused = await client.post(
        f"{V1}/alliance-documents/{document['id']}/acknowledgements", headers=factories.token_for(stranger)
    )
    assert refused.status_code == 403 and refused.json()["code"] == "not_alliance_resident"
    read = (await client.get(f"{V1}/alliance-documents/{document['id']}", headers=neighbours[0])).json()
    assert read["acknowledged_by_me"] is True
    counts = {a["estate_id"]: a["acknowledged"] for a in read["acknowledgements"]}
    assert counts[str(nanyuan["estates"][0])] == 5 and counts[str(nanyuan["estates"][1])] == 0
    # A new version starts its own count.
    published = await client.post(
        f"{V1}/alliance-documents/{document['id']}/versions",
        json={"body": {"zh-Hans": "第一条 爱护公共绿地。第二条 不群租。"}},
        headers=nanyuan["auth"],
    )
    assert published.status_code == 201 and published.json()["version"] == 2
    assert published.json()["acknowledgements"][0]["acknowledged"] == 0


async def test_two_acknowledgements_at_once_count_once(client: Client, nanyuan: dict[str, Any]) -> None:
    alliance = await found(client, nanyuan)
    body = {"title": {"zh-Hans": "公约"}, "body": {"zh-Hans": "第一条"}}
    document = (
        await client.post(f"{V1}/alliances/{alliance['id']}/documents", json=body, headers=nanyuan["auth"])
    ).json()
    me = await _live_in(client, nanyuan["estates"][3])
    answers = await asyncio.gather(
        *(client.post(f"{V1}/alliance-documents/{document['id']}/acknowledgements", headers=me) for _ in range(2))
    )
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json()["acknowledged_at"] == answers[1].json()["acknowledged_at"]
    assert await Acknowledgement.count() == 1
