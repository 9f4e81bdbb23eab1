"""Reports by place over HTTP: a report's location resolves to estate and grid, routing by place
sends it to the estate's own property company or owners' committee or to the grid's workers, the
community's routing stays the fallback, and those receivers see only what was routed to them; on
both databases."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role, User
from backend.core.tables import AuditEntry
from tests import factories
from tests.web.console import send, sign_in

Client = httpx.AsyncClient
V1 = "/api/v1"
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-Hans"}
# 南园新村's gate, and 南环公寓's some 500 metres north of it; the far point is 2 km away.
NEAR_XINCUN = (31.2951, 120.6289)
XINCUN = (31.2950, 120.6288)
NANHUAN = (31.2995, 120.6288)
NEAR_NANHUAN = (31.2993, 120.6290)
FAR = (31.3130, 120.6288)


def auth(user: User, **extra: str) -> dict[str, str]:
    return {**factories.token_for(user), **extra}


async def _estate(client: Client, staff: User, community: Any, point: tuple[float, float], **body: Any) -> str:
    data = factories.estate_body(community, latitude=point[0], longitude=point[1], **body)
    made = await client.post(f"{V1}/estates", json=data, headers=auth(staff))
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def _grid(client: Client, staff: User, community: Any, name: str, areas: list[dict[str, str]]) -> str:
    body = {"community_id": str(community.id), "name": {"zh-Hans": name}, "areas": areas}
    made = await client.post(f"{V1}/grids", json=body, headers=auth(staff))
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


@pytest.fixture
async def town(client: Client) -> dict[str, Any]:
    """南园: 南园新村 (its own property company and owners' committee, grid 1) and 南环公寓 (another
    company, no owners' committee, grid 2), a coordinator, each body's staff and each grid's worker."""
    tree = await factories.city_tree()
    a = tree["community_a"]
    staff = await factories.staff(Role.admin, a)
    company_1 = await factories.organisation(OrganisationKind.property_company, a, "苏房物业")
    company_2 = await factories.organisation(OrganisationKind.property_company, a, "南环物业")
    committee = await factories.organisation(OrganisationKind.owners_committee, a, "南园新村业委会")
    xincun = await _estate(
        client,
        staff,
        a,
        XINCUN,
        name={"zh-Hans": "南园新村", "en": "Nanyuan New Village"},
        property_company_id=str(company_1.id),
        owners_committee_id=str(committee.id),
    )
    nanhuan = await _estate(
        client,
        staff,
        a,
        NANHUAN,
        name={"zh-Hans": "南环公寓", "en": "Nanhuan Apartments"},
        kind="affordable",
        property_company_id=str(company_2.id),
    )
    grid_1 = await _grid(client, staff, a, "南园第一网格", [{"estate_id": xincun}])
    grid_2 = await _grid(client, staff, a, "南园第二网格", [{"estate_id": nanhuan}])
    workers = []
    for grid in (grid_1, grid_2):
        worker = await factories.staff()
        put = await client.put(f"{V1}/grids/{grid}/workers/{worker.id}", headers=auth(staff))
        assert put.status_code == 200, put.text
        workers.append(worker)
    town = {
        "tree": tree,
        "a": a,
        "staff": staff,
        "coordinator": await factories.staff(Role.coordinator, a),
        "company_1": company_1,
        "company_2": company_2,
        "committee": committee,
        "company_1_staff": await factories.staff(Role.organiser, company_1),
        "company_2_staff": await factories.staff(Role.organiser, company_2),
        "committee_staff": await factories.staff(Role.organiser, committee),
        "xincun": xincun,
        "nanhuan": nanhuan,
        "grid_1": grid_1,
        "grid_2": grid_2,
        "worker_1": workers[0],
        "worker_2": workers[1],
        "reporter": await factories.resident("小王"),
    }
    routes = [
        {"kind": "group_renting", "party": "property_company", "receiver": "estate_property_company"},
        {"kind": "illegal_construction", "party": "owners_committee", "receiver": "estate_owners_committee"},
        {"kind": "safety_hazard", "party": "residents_committee", "receiver": "grid_worker"},
    ]
    routed = await _routing(client, town, routes)
    assert routed.status_code == 200, routed.text
    return town


async def _routing(client: Client, town: dict[str, Any], routes: list[dict[str, Any]]) -> httpx.Response:
    url = f"{V1}/communities/{town['a'].id}/incident-routing"
    return await client.put(url, json={"routes": routes}, headers=auth(town["coordinator"], **EN))


async def _report(client: Client, town: dict[str, Any], kind: str, **place: Any) -> httpx.Response:
    body = {"community_id": str(town["a"].id), "kind": kind, "text": "5幢302夜间进出人员多，疑似群租", **place}
    return await client.post(f"{V1}/incidents", json=body, headers=auth(town["reporter"], **EN))


async def _reported(client: Client, town: dict[str, Any], kind: str, point: tuple[float, float]) -> dict[str, Any]:
    made = await _report(client, town, kind, latitude=point[0], longitude=point[1])
    assert made.status_code == 201, made.text
    return dict(made.json())


async def _forward(client: Client, town: dict[str, Any], incident_id: str, **body: Any) -> httpx.Response:
    url = f"{V1}/incidents/{incident_id}"
    headers = auth(town["coordinator"], **EN)
    acknowledged = await client.patch(url, json={"status": "acknowledged"}, headers=headers)
    assert acknowledged.status_code == 200, acknowledged.text
    return await client.patch(url, json={"status": "forwarded", **body}, headers=headers)


async def _assigned(client: Client, user: User) -> list[str]:
    listed = await client.get(f"{V1}/incidents", params={"scope": "assigned"}, headers=auth(user))
    assert listed.status_code == 200, listed.text
    return [item["id"] for item in listed.json()["items"]]


async def test_a_report_by_location_goes_to_its_estates_property_company(client: Client, town: dict[str, Any]) -> None:
    at_xincun = await _reported(client, town, "group_renting", NEAR_XINCUN)
    assert at_xincun["estate"] == {"id": town["xincun"], "name": "Nanyuan New Village"}
    assert at_xincun["grid"]["id"] == town["grid_1"]
    assert at_xincun["party"] == "property_company"
    assert at_xincun["party_organisation"] == {"id": str(town["company_1"].id), "name": "苏房物业"}
    assert at_xincun["routed"] == {
        "reason": "estate_property_company",
        "text": "Routed to the property company of Nanyuan New Village, where it happened.",
    }
    at_nanhuan = await _reported(client, town, "group_renting", NEAR_NANHUAN)
    assert at_nanhuan["party_organisation"]["id"] == str(town["company_2"].id)

    # Each company sees its own estate's report once it is forwarded, and not the other's.
    assert await _assigned(client, town["company_1_staff"]) == []
    for incident in (at_xincun, at_nanhuan):
        forwarded = await _forward(client, town, incident["id"])
        assert forwarded.status_code == 200 and forwarded.json()["party_organisation"] == incident["party_organisation"]
    assert await _assigned(client, town["company_1_staff"]) == [at_xincun["id"]]
    assert await _assigned(client, town["company_2_staff"]) == [at_nanhuan["id"]]
    hidden = await client.get(f"{V1}/incidents/{at_nanhuan['id']}", headers=auth(town["company_1_staff"]))
    assert hidden.status_code == 404
    resolved = await client.patch(
        f"{V1}/incidents/{at_xincun['id']}",
        json={"status": "resolved", "note": "已上门核查并劝离"},
        headers=auth(town["company_1_staff"]),
    )
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    [entry] = await AuditEntry.select().where(AuditEntry.action == "volunteers.incident_resolved")
    assert entry["organisation"] == town["company_1"].id and entry["permission"] == "responsible_party"

    # The reporter's own export says where each report was placed and why it went where it did.
    exported = await client.get(f"{V1}/me/export", headers=auth(town["reporter"]))
    reports = {r["id"]: r for r in exported.json()["domains"]["governance"]["incidents_reported"]}
    placed = reports[at_xincun["id"]]
    assert (placed["estate"], placed["estate_name"]["zh-Hans"]) == (town["xincun"], "南园新村")
    assert (placed["grid"], placed["route_reason"]) == (town["grid_1"], "estate_property_company")


async def test_a_place_in_no_estate_falls_back_and_says_why(client: Client, town: dict[str, Any]) -> None:
    far = await _reported(client, town, "group_renting", FAR)
    assert far["estate"] is None and far["grid"] is None
    assert far["party"] == "residents_committee" and far["party_organisation"]["id"] == str(town["a"].id)
    assert far["routed"]["reason"] == "no_estate"
    # A report without a point and without an estate falls back the same way.
    made = await _report(client, town, "group_renting")
    assert made.status_code == 201 and made.json()["routed"]["reason"] == "no_estate"


async def test_an_estate_without_owners_committee_falls_back(client: Client, town: dict[str, Any]) -> None:
    at_xincun = await _reported(client, town, "illegal_construction", NEAR_XINCUN)
    assert at_xincun["party"] == "owners_committee"
    assert at_xincun["party_organisation"]["id"] == str(town["committee"].id)
    at_nanhuan = await _reported(client, town, "illegal_construction", NEAR_NANHUAN)
    assert at_nanhuan["estate"]["id"] == town["nanhuan"]
    assert at_nanhuan["party"] == "residents_committee"
    assert at_nanhuan["party_organisation"]["id"] == str(town["a"].id)
    assert at_nanhuan["routed"]["reason"] == "no_owners_committee"
    assert "Nanhuan Apartments has no owners' committee" in at_nanhuan["routed"]["text"]
    # With the rule's own organisation as fallback, that organisation receives it instead.
    spare = await factories.organisation(OrganisationKind.owners_committee, town["a"], "南园社区业主联络组")
    rule = {
        "kind": "illegal_construction",
        "party": "owners_committee",
        "receiver": "estate_owners_committee",
        "organisation_id": str(spare.id),
    }
    assert (await _routing(client, town, [rule])).status_code == 200
    again = await _reported(client, town, "illegal_construction", NEAR_NANHUAN)
    assert again["party"] == "owners_committee" and again["party_organisation"]["id"] == str(spare.id)
    assert again["routed"]["reason"] == "no_owners_committee"


async def test_a_grid_worker_sees_their_grids_reports_and_not_others(client: Client, town: dict[str, Any]) -> None:
    one = await _reported(client, town, "safety_hazard", NEAR_XINCUN)
    two = await _reported(client, town, "safety_hazard", NEAR_NANHUAN)
    assert one["party"] == "residents_committee" and one["party_organisation"]["id"] == town["grid_1"]
    assert two["party_organisation"]["id"] == town["grid_2"]
    assert one["routed"]["text"] == "Routed to the workers of 南园第一网格, which covers Nanyuan New Village."
    for incident in (one, two):
        assert (await _forward(client, town, incident["id"])).status_code == 200
    assert await _assigned(client, town["worker_1"]) == [one["id"]]
    assert await _assigned(client, town["worker_2"]) == [two["id"]]
    other = await client.get(f"{V1}/incidents/{two['id']}", headers=auth(town["worker_1"]))
    assert other.status_code == 404
    mine = await client.get(f"{V1}/incidents/{one['id']}", headers=auth(town["worker_1"]))
    assert mine.status_code == 200 and mine.json()["viewed_as"] == "responsible_party"
    assert mine.json()["reporter_name"] is None
    refused = await client.patch(
        f"{V1}/incidents/{two['id']}", json={"status": "resolved"}, headers=auth(town["worker_1"])
    )
    assert refused.status_code == 404
    # The console's reports room opens for a grid worker with their grid's report only.
    await sign_in(client, town["worker_1"])
    assert 'href="/console/reports"' in (await client.get("/console")).text
    room = await client.get("/console/reports")
    assert room.status_code == 200 and one["id"] in room.text and two["id"] not in room.text
    client.cookies.clear()


async def test_a_building_or_estate_named_wins_over_the_point(client: Client, town: dict[str, Any]) -> None:
    building = await client.post(
        f"{V1}/estates/{town['nanhuan']}/buildings", json={"label": "A座"}, headers=auth(town["staff"])
    )
    assert building.status_code == 201, building.text
    building_id = building.json()["id"]
    made = await _report(
        client, town, "group_renting", building_id=building_id, latitude=NEAR_XINCUN[0], longitude=NEAR_XINCUN[1]
    )
    assert made.status_code == 201, made.text
    assert made.json()["estate"]["id"] == town["nanhuan"] and made.json()["grid"]["id"] == town["grid_2"]
    named = await _report(client, town, "group_renting", estate_id=town["xincun"])
    assert named.status_code == 201 and named.json()["party_organisation"]["id"] == str(town["company_1"].id)

    # An estate or building of another community, or a building of another estate, is refused.
    elsewhere = await factories.estate(town["tree"]["community_b"])
    for place in (
        {"estate_id": str(elsewhere)},
        {"building_id": building_id, "estate_id": town["xincun"]},
        {"building_id": str(elsewhere)},
    ):
        refused = await _report(client, town, "group_renting", **place)
        assert refused.status_code == 422 and refused.json()["code"] == "place_not_in_community", place


async def test_routing_by_place_and_forwarding_keep_their_limits(client: Client, town: dict[str, Any]) -> None:
    wrong = await _routing(client, town, [{"kind": "noise", "party": "police", "receiver": "grid_worker"}])
    assert wrong.status_code == 422 and wrong.json()["code"] == "routing_receiver_party"
    listed = await client.get(
        f"{V1}/communities/{town['a'].id}/incident-routing", headers=auth(town["coordinator"], **ZH)
    )
    rules = {rule["kind"]: rule for rule in listed.json()}
    assert rules["safety_hazard"]["receiver"] == "grid_worker" and rules["safety_hazard"]["organisation"] is None
    assert rules["noise"]["receiver"] == "named" and rules["noise"]["is_default"] is True

    # A coordinator may forward to a grid of the community (for the residents' committee), never to
    # a grid of another community.
    other_grid = await factories.organisation(OrganisationKind.grid, town["tree"]["community_b"], "斜塘网格")
    incident = await _reported(client, town, "group_renting", NEAR_XINCUN)
    refused = await _forward(
        client, town, incident["id"], party="residents_committee", party_organisation_id=str(other_grid.id)
    )
    assert refused.status_code == 422 and refused.json()["code"] == "party_organisation_elsewhere"
    moved = await client.patch(
        f"{V1}/incidents/{incident['id']}",
        json={"status": "forwarded", "party": "residents_committee", "party_organisation_id": town["grid_2"]},
        headers=auth(town["coordinator"], **EN),
    )
    assert moved.status_code == 200 and moved.json()["party_organisation"]["id"] == town["grid_2"]
    assert await _assigned(client, town["worker_2"]) == [incident["id"]]
    # A grid is not a property company.
    wrong_kind = await _routing(
        client,
        town,
        [{"kind": "noise", "party": "property_company", "organisation_id": town["grid_1"]}],
    )
    assert wrong_kind.status_code == 422 and wrong_kind.json()["code"] == "party_organisation_wrong_kind"


async def test_the_consoles_routing_table_sets_and_keeps_receivers_by_place(
    client: Client, town: dict[str, Any]
) -> None:
    csrf = await sign_in(client, town["coordinator"])
    table_path = f"/console/reports/routing/{town['a'].id}"
    table = await client.get(table_path)
    assert table.status_code == 200 and 'value="place:grid_worker" selected' in table.text
    assert "所在网格的网格员" in table.text
    saved = await send(client, f"{table_path}/noise", csrf, htmx=True, target="place:estate_owners_committee")
    assert saved.status_code == 200, saved.text
    # Saving one row sends the whole table: the other rules by place stay as they were.
    listed = await client.get(
        f"{V1}/communities/{town['a'].id}/incident-routing", headers=auth(town["coordinator"], **EN)
    )
    rules = {rule["kind"]: rule for rule in listed.json()}
    assert (rules["noise"]["party"], rules["noise"]["receiver"]) == ("owners_committee", "estate_owners_committee")
    assert rules["safety_hazard"]["receiver"] == "grid_worker"
    assert rules["group_renting"]["receiver"] == "estate_property_company"
    refused = await send(client, f"{table_path}/noise", csrf, htmx=True, target="place:somebody")
    assert refused.status_code == 422
    client.cookies.clear()
