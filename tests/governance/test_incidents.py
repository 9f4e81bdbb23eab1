"""Incidents over HTTP: routing per community, who sees what, the status flow, text safety, photos."""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import Any

import httpx
import pytest
from PIL import Image
from redis.asyncio import Redis

from backend.accounts.services import _upsert_wechat_user
from backend.accounts.tables import OrganisationKind, Role, User
from backend.core.tables import OutboxSignal
from backend.governance.api import IncidentChanged
from backend.governance.incidents.tables import Incident, IncidentChange
from backend.settings import Settings
from backend.volunteers.teams.tables import MemberRole
from tests import factories
from tests.conftest import build_app, serve_in_process
from tests.core.test_images import jpeg_with_gps
from tests.fakes.wechat import FakeWechat
from tests.volunteers import builders

INCIDENT_CHANGED = IncidentChanged.NAME

Client = httpx.AsyncClient
EN = {"Accept-Language": "en"}
TEXT = "3号楼东侧绿地被围起来堆放建材"


# --- the place and the people ------------------------------------------------------------------


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    a, b = tree["community_a"], tree["community_b"]
    property_a = await factories.organisation(OrganisationKind.property_company, a, "南园物业")
    police_b = await factories.organisation(OrganisationKind.police_station, tree["street_b"], "斜塘派出所")
    police_a = await factories.organisation(OrganisationKind.police_station, tree["street_a"], "双塔派出所")
    return {
        "tree": tree,
        "a": a,
        "b": b,
        "property_a": property_a,
        "police_b": police_b,
        "police_a": police_a,
        "police_a_staff": await factories.staff(Role.organiser, police_a),
        "coordinator_a": await factories.staff(Role.coordinator, a),
        "coordinator_b": await factories.staff(Role.coordinator, b),
        "property_staff": await factories.staff(Role.organiser, property_a),
        "police_staff": await factories.staff(Role.organiser, police_b),
        "reporter": await factories.resident("小王"),
        "neighbour": await factories.resident("小李"),
    }


def auth(user: User, **extra: str) -> dict[str, str]:
    return {**factories.token_for(user), **extra}


async def report(client: Client, user: User, community: Any, **overrides: Any) -> httpx.Response:
    body = {"community_id": str(community.id), "kind": "noise", "text": TEXT, **overrides}
    return await client.post("/api/v1/incidents", json=body, headers=auth(user, **EN))


async def reported(client: Client, user: User, community: Any, **overrides: Any) -> dict[str, Any]:
    response = await report(client, user, community, **overrides)
    assert response.status_code == 201, response.text
    return response.json()


async def move(client: Client, user: User, incident_id: str, status: str, **body: Any) -> httpx.Response:
    return await client.patch(
        f"/api/v1/incidents/{incident_id}", json={"status": status, **body}, headers=auth(user, **EN)
    )


async def read(client: Client, user: User, incident_id: str) -> httpx.Response:
    return await client.get(f"/api/v1/incidents/{incident_id}", headers=auth(user, **EN))


async def listed(client: Client, user: User, **params: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/incidents", params=params, headers=auth(user, **EN))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def set_routing(client: Client, user: User, community: Any, routes: list[dict[str, Any]]) -> httpx.Response:
    return await client.put(
        f"/api/v1/communities/{community.id}/incident-routing", json={"routes": routes}, headers=auth(user, **EN)
    )


async def wechat_resident(openid: str = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M") -> User:
    user, _ = await _upsert_wechat_user(openid=openid, unionid=None, session_key=None, display_name="小张")
    await factories.signed_in(user)
    return user


async def forward(client: Client, world: dict[str, Any], incident_id: str) -> None:
    assert (await move(client, world["coordinator_a"], incident_id, "acknowledged")).status_code == 200
    assert (await move(client, world["coordinator_a"], incident_id, "forwarded")).status_code == 200


async def route_noise_to_property(client: Client, world: dict[str, Any]) -> None:
    response = await set_routing(
        client,
        world["coordinator_a"],
        world["a"],
        [{"kind": "noise", "party": "property_company", "organisation_id": str(world["property_a"].id)}],
    )
    assert response.status_code == 200, response.text


# --- routing ---------------------------------------------------------------------------------------


async def test_each_community_routes_noise_to_its_own_party(client: Client, world: dict[str, Any]) -> None:
    await route_noise_to_property(client, world)
    response = await set_routing(
        client,
        world["coordinator_b"],
        world["b"],
        [{"kind": "noise", "party": "police", "organisation_id": str(world["police_b"].id)}],
    )
    assert response.status_code == 200, response.text

    in_a = await reported(client, world["reporter"], world["a"])
    in_b = await reported(client, world["reporter"], world["b"])
    hazard = await reported(client, world["reporter"], world["a"], kind="safety_hazard")

    assert (in_a["party"], in_a["party_organisation"]["id"]) == ("property_company", str(world["property_a"].id))
    assert in_a["party_name"] == "Property management company"
    assert (in_b["party"], in_b["party_organisation"]["id"]) == ("police", str(world["police_b"].id))
    assert (in_b["party_name"], in_b["party_organisation"]["name"]) == ("Police station", "斜塘派出所")
    # Unset: the residents' committee, which is the community itself.
    assert (hazard["party"], hazard["party_organisation"]["id"]) == ("residents_committee", str(world["a"].id))
    assert (hazard["kind_name"], hazard["party_name"]) == ("Safety hazard", "Residents' committee")


async def test_the_routing_lists_every_kind_and_a_put_replaces_it(client: Client, world: dict[str, Any]) -> None:
    await route_noise_to_property(client, world)
    url = f"/api/v1/communities/{world['a'].id}/incident-routing"

    routes = (await client.get(url, headers=auth(world["coordinator_a"], **EN))).json()

    assert [r["kind"] for r in routes] == [
        "illegal_construction",
        "occupied_green_space",
        "group_renting",
        "safety_hazard",
        "noise",
        "other",
    ]
    noise = next(r for r in routes if r["kind"] == "noise")
    assert noise == {
        "kind": "noise",
        "kind_name": "Noise nuisance",
        "party": "property_company",
        "party_name": "Property management company",
        "organisation": {"id": str(world["property_a"].id), "name": "南园物业"},
        "is_default": False,
        "receiver": "named",
        "receiver_name": "The organisation named",
    }
    others = [r for r in routes if r["kind"] != "noise"]
    assert {(r["party"], r["organisation"]["id"], r["is_default"]) for r in others} == {
        ("residents_committee", str(world["a"].id), True)
    }

    cleared = await set_routing(client, world["coordinator_a"], world["a"], [])
    assert all(r["is_default"] for r in cleared.json())
    assert (await reported(client, world["reporter"], world["a"]))["party"] == "residents_committee"


async def test_routing_is_only_for_the_communitys_coordinators(client: Client, world: dict[str, Any]) -> None:
    url = f"/api/v1/communities/{world['a'].id}/incident-routing"
    rule = [{"kind": "noise", "party": "police"}]

    for outsider in (world["coordinator_b"], world["reporter"], world["property_staff"]):
        assert (await client.get(url, headers=auth(outsider))).status_code == 403
        refused = await set_routing(client, outsider, world["a"], rule)
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    street_admin = await factories.staff(Role.admin, world["tree"]["street_a"])
    assert (await set_routing(client, street_admin, world["a"], rule)).status_code == 200
    unknown = await client.get(
        f"/api/v1/communities/{uuid.uuid4()}/incident-routing", headers=auth(world["coordinator_a"])
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "community_not_found")


async def test_routing_refuses_a_kind_twice_and_unknown_organisations(client: Client, world: dict[str, Any]) -> None:
    twice = await set_routing(
        client,
        world["coordinator_a"],
        world["a"],
        [{"kind": "noise", "party": "police"}, {"kind": "noise", "party": "city_management"}],
    )
    assert (twice.status_code, twice.json()["code"], twice.json()["params"]) == (
        422,
        "incident_routing_duplicate",
        {"kind": "noise"},
    )
    unknown = await set_routing(
        client,
        world["coordinator_a"],
        world["a"],
        [{"kind": "noise", "party": "police", "organisation_id": str(uuid.uuid4())}],
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "organisation_not_found")
    bad_party = await set_routing(client, world["coordinator_a"], world["a"], [{"kind": "noise", "party": "mayor"}])
    assert (bad_party.status_code, bad_party.json()["errors"][0]["code"]) == (422, "invalid_choice")


# --- who sees what ---------------------------------------------------------------------------------


async def test_visibility_before_and_after_forwarding(client: Client, world: dict[str, Any]) -> None:
    await route_noise_to_property(client, world)
    incident = await reported(client, world["reporter"], world["a"], latitude=31.2946, longitude=120.6285)
    iid = incident["id"]
    assert (incident["viewed_as"], incident["reporter_name"], incident["text"]) == ("reporter", "小王", TEXT)

    assert (await read(client, world["neighbour"], iid)).json()["code"] == "incident_not_found"
    assert (await read(client, world["coordinator_b"], iid)).status_code == 404
    assert (await read(client, world["property_staff"], iid)).status_code == 404
    assert await listed(client, world["property_staff"], scope="assigned") == []
    seen = (await read(client, world["coordinator_a"], iid)).json()
    # Need to know: coordinators act on the report, they see who wrote it only masked.
    assert (seen["viewed_as"], seen["reporter_name"], seen["community"]["name"]) == ("coordinator", "小*", "南园社区")
    assert [i["id"] for i in await listed(client, world["coordinator_a"], scope="coordinating")] == [iid]
    assert await listed(client, world["coordinator_b"], scope="coordinating") == []

    await forward(client, world, iid)

    party = (await read(client, world["property_staff"], iid)).json()
    assert (party["viewed_as"], party["reporter_name"], party["text"]) == ("responsible_party", None, TEXT)
    assert (party["latitude"], party["longitude"]) == (31.2946, 120.6285)
    assert all(change["actor_name"] is None for change in party["history"])
    assigned = await listed(client, world["property_staff"], scope="assigned")
    assert [(i["id"], i["reporter_name"]) for i in assigned] == [(iid, None)]
    # Another party's staff and a resident who only reads the list see nothing of it.
    assert (await read(client, world["police_staff"], iid)).status_code == 404
    assert await listed(client, world["police_staff"], scope="assigned") == []
    assert await listed(client, world["neighbour"], scope="coordinating") == []
    assert [i["id"] for i in await listed(client, world["reporter"])] == [iid]


async def test_a_team_coordinator_sees_the_teams_reports(client: Client, world: dict[str, Any]) -> None:
    team = await builders.team(world["a"])
    shift = await builders.shift(team)
    lead = await factories.resident("队长")
    await builders.coordinator(team, lead)
    volunteer = await factories.resident("队员")
    await builders.member(team, volunteer, MemberRole.member)

    from_patrol = await reported(client, volunteer, world["a"], shift_id=str(shift.id))
    other = await reported(client, world["reporter"], world["a"])

    assert from_patrol["team_id"] == str(team.id)
    assert (await read(client, lead, from_patrol["id"])).json()["viewed_as"] == "coordinator"
    assert (await read(client, lead, other["id"])).status_code == 404
    assert [i["id"] for i in await listed(client, lead, scope="coordinating")] == [from_patrol["id"]]
    assert (await move(client, lead, from_patrol["id"], "acknowledged")).status_code == 200


async def test_lists_filter_by_status_and_community_and_page(client: Client, world: dict[str, Any]) -> None:
    first = await reported(client, world["reporter"], world["a"])
    second = await reported(client, world["reporter"], world["a"])
    third = await reported(client, world["reporter"], world["b"])
    await move(client, world["coordinator_a"], first["id"], "acknowledged")

    assert [i["id"] for i in await listed(client, world["reporter"])] == [third["id"], second["id"], first["id"]]
    assert [i["id"] for i in await listed(client, world["reporter"], status="acknowledged")] == [first["id"]]
    assert [i["id"] for i in await listed(client, world["reporter"], community_id=str(world["b"].id))] == [third["id"]]
    page = (
        await client.get("/api/v1/incidents", params={"limit": 2, "offset": 1}, headers=auth(world["reporter"]))
    ).json()
    assert ([i["id"] for i in page["items"]], page["has_more"]) == ([second["id"], first["id"]], False)
    too_many = await client.get("/api/v1/incidents", params={"limit": 101}, headers=auth(world["reporter"]))
    assert too_many.status_code == 422
    assert (
        await client.get("/api/v1/incidents", params={"scope": "everyone"}, headers=auth(world["reporter"]))
    ).status_code == 422
    assert (await client.get("/api/v1/incidents")).status_code == 401


# --- the status flow -------------------------------------------------------------------------------


async def test_reported_acknowledged_forwarded_resolved_by_the_party(client: Client, world: dict[str, Any]) -> None:
    await route_noise_to_property(client, world)
    iid = (await reported(client, world["reporter"], world["a"]))["id"]

    acknowledged = await move(client, world["coordinator_a"], iid, "acknowledged", note="已收到，马上处理")
    assert (acknowledged.status_code, acknowledged.json()["status"], acknowledged.json()["status_name"]) == (
        200,
        "acknowledged",
        "Acknowledged",
    )
    assert (await move(client, world["coordinator_a"], iid, "forwarded", note="转物业")).status_code == 200
    resolved = await move(client, world["property_staff"], iid, "resolved", note="已清理")
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["viewed_as"] == "responsible_party"

    mine = (await read(client, world["reporter"], iid)).json()
    assert mine["status"] == "resolved"
    assert [(h["status"], h["actor_role"], h["actor_role_name"], h["note"]) for h in mine["history"]] == [
        ("reported", "reporter", "Reporter", ""),
        ("acknowledged", "coordinator", "Coordinator", "已收到，马上处理"),
        ("forwarded", "coordinator", "Coordinator", "转物业"),
        ("resolved", "responsible_party", "Responsible party", "已清理"),
    ]
    assert all(h["actor_name"] is None and h["at"] and h["at_text"] for h in mine["history"])
    assert [h["at"] for h in mine["history"]] == sorted(h["at"] for h in mine["history"])
    coordinator_view = (await read(client, world["coordinator_a"], iid)).json()
    assert [h["actor_name"] for h in coordinator_view["history"]][:2] == ["小*", world["coordinator_a"].display_name]
    signals = (
        await OutboxSignal.select(OutboxSignal.payload)
        .where(OutboxSignal.name == INCIDENT_CHANGED)
        .output(load_json=True)
    )
    statuses = sorted(s["payload"]["status"] for s in signals if s["payload"]["incident_id"] == iid)
    assert statuses == ["acknowledged", "forwarded", "reported", "resolved"]
    assert all(s["payload"]["reporter_id"] == str(world["reporter"].id) for s in signals)


async def test_invalid_transitions_are_conflicts_and_strangers_are_refused(
    client: Client, world: dict[str, Any]
) -> None:
    iid = (await reported(client, world["reporter"], world["a"]))["id"]

    skipped = await move(client, world["coordinator_a"], iid, "forwarded")
    assert (skipped.status_code, skipped.json()["code"]) == (409, "incident_transition_invalid")
    assert {"from": "reported", "to": "forwarded"}.items() <= skipped.json()["params"].items()
    assert skipped.json()["detail"] == "This incident cannot go from Reported to Forwarded."
    assert (await move(client, world["reporter"], iid, "acknowledged")).status_code == 403
    assert (await move(client, world["neighbour"], iid, "acknowledged")).status_code == 404
    assert (await move(client, world["coordinator_b"], iid, "acknowledged")).status_code == 404
    assert (await move(client, world["coordinator_a"], iid, "acknowledged")).status_code == 200
    assert (await move(client, world["coordinator_a"], iid, "reported")).status_code == 409
    assert (await move(client, world["coordinator_a"], iid, "resolved", note="当场劝离")).status_code == 200
    again = await move(client, world["coordinator_a"], iid, "acknowledged")
    assert (again.status_code, again.json()["params"]["from"]) == (409, "resolved")
    assert await IncidentChange.count().where(IncidentChange.incident == iid) == 3


async def test_forwarding_can_name_another_party(client: Client, world: dict[str, Any]) -> None:
    iid = (await reported(client, world["reporter"], world["a"]))["id"]
    early = await move(client, world["coordinator_a"], iid, "acknowledged", party="police")
    assert (early.status_code, early.json()["code"]) == (422, "incident_party_fixed")
    await move(client, world["coordinator_a"], iid, "acknowledged")
    unknown = await move(
        client, world["coordinator_a"], iid, "forwarded", party="police", party_organisation_id=str(uuid.uuid4())
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "organisation_not_found")

    forwarded = await move(
        client,
        world["coordinator_a"],
        iid,
        "forwarded",
        party="police",
        party_organisation_id=str(world["police_a"].id),
    )

    assert forwarded.status_code == 200, forwarded.text
    assert (forwarded.json()["party"], forwarded.json()["party_organisation"]["id"]) == (
        "police",
        str(world["police_a"].id),
    )
    assert forwarded.json()["history"][-1]["party"] == "police"
    assert (await read(client, world["police_a_staff"], iid)).status_code == 200
    assert (await read(client, world["police_staff"], iid)).status_code == 404
    assert (await move(client, world["property_staff"], iid, "resolved")).status_code == 404
    assert (await move(client, world["police_a_staff"], iid, "resolved")).status_code == 200


async def test_two_coordinators_acknowledging_at_once_record_one_change(client: Client, world: dict[str, Any]) -> None:
    iid = (await reported(client, world["reporter"], world["a"]))["id"]
    second = await factories.staff(Role.coordinator, world["a"])

    answers = await asyncio.gather(
        move(client, world["coordinator_a"], iid, "acknowledged"), move(client, second, iid, "acknowledged")
    )

    assert sorted(a.status_code for a in answers) == [200, 409]
    assert (
        await IncidentChange.count().where((IncidentChange.incident == iid) & (IncidentChange.status == "acknowledged"))
        == 1
    )
    signals = (
        await OutboxSignal.select(OutboxSignal.payload)
        .where(OutboxSignal.name == INCIDENT_CHANGED)
        .output(load_json=True)
    )
    assert sorted(s["payload"]["status"] for s in signals) == ["acknowledged", "reported"]


# --- text safety -----------------------------------------------------------------------------------


async def test_risky_text_is_refused_and_nothing_is_stored(
    client: Client, world: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    fake_wechat.risky_words = {"违禁"}
    resident = await wechat_resident()

    refused = await report(client, resident, world["a"], text="这里有违禁内容")

    assert (refused.status_code, refused.json()["code"]) == (422, "text_refused")
    assert refused.json()["detail"] == "This text cannot be sent. Please describe the problem in other words."
    assert await Incident.count() == 0 and await IncidentChange.count() == 0
    assert await OutboxSignal.count().where(OutboxSignal.name == INCIDENT_CHANGED) == 0
    assert fake_wechat.sec_checks[0]["openid"] == resident.openid


async def test_text_for_review_is_held_until_a_coordinator_acknowledges(
    client: Client, world: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    fake_wechat.review_words = {"可疑"}
    resident = await wechat_resident()

    incident = await reported(client, resident, world["a"], text="楼下有可疑人员徘徊")

    assert (incident["text"], incident["text_held"]) == ("楼下有可疑人员徘徊", True)
    coordinating = await listed(client, world["coordinator_a"], scope="coordinating")
    assert [(i["text"], i["text_held"]) for i in coordinating] == [("楼下有可疑人员徘徊", True)]
    acknowledged = (await move(client, world["coordinator_a"], incident["id"], "acknowledged")).json()
    assert (acknowledged["text"], acknowledged["text_held"]) == ("楼下有可疑人员徘徊", False)


async def test_the_party_never_reads_held_text(client: Client, world: dict[str, Any]) -> None:
    iid = (await reported(client, world["reporter"], world["a"]))["id"]
    await forward(client, world, iid)
    # Held after forwarding cannot happen through the API; the rule must hold all the same.
    await Incident.update({Incident.moderation: "held"}).where(Incident.id == iid)
    organiser = await factories.staff(Role.organiser, world["a"])  # staff of the residents' committee

    party = (await read(client, organiser, iid)).json()

    assert (party["viewed_as"], party["text"], party["text_held"]) == ("responsible_party", None, True)
    assert (await read(client, world["reporter"], iid)).json()["text"] == TEXT


async def test_plain_text_passes_and_dev_logins_are_not_checked(
    client: Client, world: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    dev = await reported(client, world["reporter"], world["a"])
    assert fake_wechat.sec_checks == []
    resident = await wechat_resident()

    checked = await reported(client, resident, world["a"])

    assert (dev["text_held"], checked["text_held"]) == (False, False)
    assert [c["content"] for c in fake_wechat.sec_checks] == [TEXT]


async def test_a_wechat_error_holds_the_report(client: Client, world: dict[str, Any], fake_wechat: FakeWechat) -> None:
    resident = await wechat_resident()
    fake_wechat.mark_inactive(resident.openid or "")

    incident = await reported(client, resident, world["a"])

    assert incident["text_held"] is True
    assert await Incident.count() == 1


async def test_wechat_unreachable_holds_the_report_instead_of_losing_it(
    client: Client, world: dict[str, Any], settings: Settings, shared_redis: Redis | None
) -> None:
    resident = await wechat_resident()
    app = build_app(settings, shared_redis, wechat_api_base="http://127.0.0.1:9")
    async with serve_in_process(app) as cut_off:
        response = await report(cut_off, resident, world["a"])

    assert response.status_code == 201, response.text
    assert response.json()["text_held"] is True
    rows = await Incident.select(Incident.text, Incident.moderation)
    assert rows == [{"text": TEXT, "moderation": "held"}]


# --- photos ----------------------------------------------------------------------------------------


async def upload(
    client: Client, user: User, incident_id: str, data: bytes, filename: str = "photo.jpg"
) -> httpx.Response:
    return await client.post(
        f"/api/v1/incidents/{incident_id}/photo",
        files={"file": (filename, data, "image/jpeg")},
        headers=auth(user, **EN),
    )


async def stored_photo(incident_id: str) -> dict[str, str]:
    row = await Incident.select(Incident.photo).where(Incident.id == incident_id).output(load_json=True).first()
    assert row is not None
    return row["photo"]


async def test_the_reporters_photo_is_stored_without_exif(client: Client, world: dict[str, Any]) -> None:
    iid = (await reported(client, world["reporter"], world["a"]))["id"]

    response = await upload(client, world["reporter"], iid, jpeg_with_gps())

    assert response.status_code == 200, response.text
    urls = response.json()["photo_urls"]
    assert urls and set(urls.values()) == {f"/api/v1/incidents/{iid}/photo/{key}" for key in urls}
    for url in urls.values():
        served = await client.get(url, headers=auth(world["reporter"]))
        assert served.status_code == 200
        image = Image.open(io.BytesIO(served.content))
        assert not image.getexif() and "exif" not in image.info
    assert (await read(client, world["coordinator_a"], iid)).json()["photo_urls"] == urls
    assert set(await stored_photo(iid)) == set(urls)


async def test_a_file_that_is_not_a_whole_image_sets_no_photo(client: Client, world: dict[str, Any]) -> None:
    iid = (await reported(client, world["reporter"], world["a"]))["id"]

    text = await upload(client, world["reporter"], iid, b"just some words, not a picture", "photo.jpg")
    truncated = await upload(client, world["reporter"], iid, jpeg_with_gps()[:2000])

    assert (text.status_code, text.json()["code"]) == (422, "image_unsupported")
    assert (truncated.status_code, truncated.json()["code"]) == (422, "image_invalid")
    assert await stored_photo(iid) == {}


async def test_only_the_reporter_adds_a_photo_and_only_while_new(client: Client, world: dict[str, Any]) -> None:
    iid = (await reported(client, world["reporter"], world["a"]))["id"]
    photo = jpeg_with_gps((300, 200))

    assert (await upload(client, world["coordinator_a"], iid, photo)).status_code == 403
    assert (await upload(client, world["neighbour"], iid, photo)).status_code == 404
    await move(client, world["coordinator_a"], iid, "acknowledged")
    late = await upload(client, world["reporter"], iid, photo)
    assert (late.status_code, late.json()["code"]) == (409, "incident_photo_closed")
    assert await stored_photo(iid) == {}


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"kind": "ufo"}, 422, "validation_failed"),
        ({"text": "长" * 1001}, 422, "validation_failed"),
        ({"text": "   "}, 422, "incident_text_empty"),
        ({"text": "bell\x07"}, 422, "incident_text_invalid"),
        ({"latitude": 31.29}, 422, "incident_location_incomplete"),
        ({"latitude": 91, "longitude": 120.6}, 422, "validation_failed"),
        ({"shift_id": str(uuid.UUID(int=1))}, 404, "shift_not_found"),
        ({"team_id": str(uuid.UUID(int=2))}, 404, "team_not_found"),
        ({"colour": "red"}, 422, "validation_failed"),
    ],
)
async def test_bad_reports_are_refused_in_the_callers_language(
    client: Client, world: dict[str, Any], overrides: dict[str, Any], status: int, code: str
) -> None:
    response = await report(client, world["reporter"], world["a"], **overrides)

    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.headers["content-language"] == "en"
    assert response.json()["detail"].isascii()
    assert await Incident.count() == 0


async def test_reports_need_a_community_and_a_team_that_serves_it(client: Client, world: dict[str, Any]) -> None:
    street = await report(client, world["reporter"], world["tree"]["street_a"])
    assert (street.status_code, street.json()["code"]) == (404, "community_not_found")
    team_b = await builders.team(world["b"])
    elsewhere = await report(client, world["reporter"], world["a"], team_id=str(team_b.id))
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (422, "incident_team_elsewhere")
    team_a = await builders.team(world["a"])
    shift_b = await builders.shift(team_b)
    mismatch = await report(client, world["reporter"], world["a"], team_id=str(team_a.id), shift_id=str(shift_b.id))
    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "incident_shift_elsewhere")
    street_team = await builders.team(world["tree"]["street_a"])
    assert (await report(client, world["reporter"], world["a"], team_id=str(street_team.id))).status_code == 201
    anonymous = await client.post(
        "/api/v1/incidents", json={"community_id": str(world["a"].id), "kind": "noise", "text": TEXT}
    )
    assert anonymous.status_code == 401


async def test_a_long_note_is_refused(client: Client, world: dict[str, Any]) -> None:
    iid = (await reported(client, world["reporter"], world["a"]))["id"]

    response = await move(client, world["coordinator_a"], iid, "acknowledged", note="长" * 501)

    assert (response.status_code, response.json()["errors"][0]["code"]) == (422, "too_long")
    assert (await read(client, world["reporter"], iid)).json()["status"] == "reported"


# --- the party's organisation must be one that serves the community -------------------------------


async def test_a_party_organisation_must_be_of_its_kind_and_serve_the_community(
    client: Client, world: dict[str, Any]
) -> None:
    tree = world["tree"]
    chengguan_a = await factories.organisation(OrganisationKind.city_management, tree["district_a"], "姑苏城管")
    refusals = [
        ("police", world["police_b"], "party_organisation_elsewhere"),  # another street's station
        ("police", world["property_a"], "party_organisation_wrong_kind"),
        ("property_company", world["police_a"], "party_organisation_wrong_kind"),
        ("residents_committee", world["b"], "party_organisation_elsewhere"),  # another community
        ("residents_committee", world["property_a"], "party_organisation_wrong_kind"),
    ]
    for party, organisation, code in refusals:
        rule = {"kind": "noise", "party": party, "organisation_id": str(organisation.id)}
        routed = await set_routing(client, world["coordinator_a"], world["a"], [rule])
        assert (routed.status_code, routed.json()["code"]) == (422, code), (party, routed.text)
        assert routed.json()["params"]["organisation"] == organisation.name["zh-Hans"]
        iid = (await reported(client, world["reporter"], world["a"]))["id"]
        await move(client, world["coordinator_a"], iid, "acknowledged")
        forwarded = await move(
            client, world["coordinator_a"], iid, "forwarded", party=party, party_organisation_id=str(organisation.id)
        )
        assert (forwarded.status_code, forwarded.json()["code"]) == (422, code), (party, forwarded.text)
        assert (await read(client, world["coordinator_a"], iid)).json()["status"] == "acknowledged"
    chinese = await set_routing(
        client,
        world["coordinator_a"],
        world["a"],
        [{"kind": "noise", "party": "police", "organisation_id": str(world["police_b"].id)}],
    )
    assert chinese.status_code == 422
    localised = await client.put(
        f"/api/v1/communities/{world['a'].id}/incident-routing?lang=zh-Hans",
        json={"routes": [{"kind": "noise", "party": "police", "organisation_id": str(world["police_b"].id)}]},
        headers=auth(world["coordinator_a"]),
    )
    assert "斜塘派出所" in localised.json()["detail"] and not localised.json()["detail"].isascii()

    accepted = [
        {"kind": "noise", "party": "police", "organisation_id": str(world["police_a"].id)},  # the street's
        {"kind": "illegal_construction", "party": "city_management", "organisation_id": str(chengguan_a.id)},
        {"kind": "group_renting", "party": "property_company", "organisation_id": str(world["property_a"].id)},
        {"kind": "safety_hazard", "party": "residents_committee", "organisation_id": str(world["a"].id)},
    ]
    routed = await set_routing(client, world["coordinator_a"], world["a"], accepted)
    assert routed.status_code == 200, routed.text
    iid = (await reported(client, world["reporter"], world["a"]))["id"]
    await move(client, world["coordinator_a"], iid, "acknowledged")
    onwards = await move(
        client,
        world["coordinator_a"],
        iid,
        "forwarded",
        party="city_management",
        party_organisation_id=str(chengguan_a.id),
    )
    assert onwards.status_code == 200, onwards.text


# --- photos are private ----------------------------------------------------------------------------


async def test_photos_are_served_only_to_those_who_see_the_incident(
    client: Client, world: dict[str, Any], settings: Settings
) -> None:
    await route_noise_to_property(client, world)
    picture = jpeg_with_gps()
    iid = (await reported(client, world["reporter"], world["a"]))["id"]
    other = (await reported(client, world["neighbour"], world["a"]))["id"]
    urls = (await upload(client, world["reporter"], iid, picture)).json()["photo_urls"]
    assert (await upload(client, world["neighbour"], other, picture)).status_code == 200
    url = urls["w480.webp"]

    assert (await client.get(url)).status_code == 401
    for stranger in ("neighbour", "coordinator_b", "property_staff", "police_staff"):
        refused = await client.get(url, headers=auth(world[stranger]))
        assert (refused.status_code, refused.json()["code"]) == (404, "incident_not_found"), stranger
    for reader in ("reporter", "coordinator_a"):
        served = await client.get(url, headers=auth(world[reader]))
        assert served.status_code == 200, reader
        assert served.headers["cache-control"] == "private, no-store"
        assert served.headers["content-type"] == "image/webp"
    await forward(client, world, iid)
    assert (await client.get(url, headers=auth(world["property_staff"]))).status_code == 200
    missing = await client.get(f"/api/v1/incidents/{iid}/photo/w9999.webp", headers=auth(world["reporter"]))
    assert (missing.status_code, missing.json()["code"]) == (404, "incident_photo_not_found")

    # Stored outside the public media root, under random names: the same picture twice, two names.
    mine, theirs = await stored_photo(iid), await stored_photo(other)
    assert set(mine.values()).isdisjoint(theirs.values())
    for path in mine.values():
        assert path.startswith("incident-photos/")
        assert (settings.media_root.parent / "private" / path).is_file()
        assert not (settings.media_root / path).exists()
        assert (await client.get(f"/media/{path}")).status_code == 404


async def test_a_photo_stored_before_photos_were_private_is_served_by_the_route(
    client: Client, world: dict[str, Any], settings: Settings
) -> None:
    iid = (await reported(client, world["reporter"], world["a"]))["id"]
    legacy = f"incidents/{uuid.uuid4().hex[:16]}-w240.jpg"
    (settings.media_root / "incidents").mkdir(parents=True, exist_ok=True)
    (settings.media_root / legacy).write_bytes(jpeg_with_gps())
    await Incident.update({Incident.photo: {"w240.jpg": legacy}}).where(Incident.id == iid)

    shown = (await read(client, world["coordinator_a"], iid)).json()["photo_urls"]
    assert shown == {"w240.jpg": f"/api/v1/incidents/{iid}/photo/w240.jpg"}
    served = await client.get(shown["w240.jpg"], headers=auth(world["coordinator_a"]))
    assert (served.status_code, served.headers["cache-control"]) == (200, "private, no-store")
    assert (await client.get(shown["w240.jpg"], headers=auth(world["neighbour"]))).status_code == 404


# --- rate limits -----------------------------------------------------------------------------------


async def test_reports_and_photos_are_limited_per_resident(
    client: Client, world: dict[str, Any], settings: Settings, shared_redis: Redis | None
) -> None:
    app = build_app(settings, shared_redis, incident_rate_limit=2, incident_photo_rate_limit=1)
    async with serve_in_process(app) as limited:
        answers = [await report(limited, world["reporter"], world["a"]) for _ in range(3)]
        assert [a.status_code for a in answers] == [201, 201, 429]
        assert answers[2].json()["code"] == "rate_limited" and int(answers[2].headers["retry-after"]) > 60
        # Another resident has a limit of their own.
        assert (await report(limited, world["neighbour"], world["a"])).status_code == 201
        iid = answers[0].json()["id"]
        photos = [await upload(limited, world["reporter"], iid, jpeg_with_gps()) for _ in range(2)]
        assert [p.status_code for p in photos] == [200, 429]
    assert await Incident.count() == 3
    document = (await client.get("/schema/openapi.json")).json()["paths"]
    for path, method in (("/api/v1/incidents", "post"), ("/api/v1/incidents/{incident_id}/photo", "post")):
        assert "429" in document[path][method]["responses"], path


# --- the audit trail ---------------------------------------------------------------------------------


async def test_each_step_of_staff_leaves_one_audit_entry(client: Client, world: dict[str, Any]) -> None:
    await route_noise_to_property(client, world)
    [routing] = await builders.audit_entries("volunteers.incident_routing_changed")
    assert (routing["actor"], routing["organisation"], routing["permission"], routing["object_id"]) == (
        str(world["coordinator_a"].id),
        str(world["a"].id),
        "coordinate_volunteers",
        str(world["a"].id),
    )
    assert routing["changes"] == {"noise": [None, ["property_company", str(world["property_a"].id)]]}

    iid = (await reported(client, world["reporter"], world["a"]))["id"]
    assert await builders.audit_entries() == [routing]  # a resident's report is theirs: not audited
    assert (await move(client, world["coordinator_b"], iid, "acknowledged")).status_code == 404
    await forward(client, world, iid)
    assert (await move(client, world["property_staff"], iid, "resolved", note="已处理")).status_code == 200

    steps = [entry for entry in await builders.audit_entries() if entry["object_type"] == "incident"]
    assert [(e["action"], e["actor"], e["organisation"], e["permission"]) for e in steps] == [
        (
            "volunteers.incident_acknowledged",
            str(world["coordinator_a"].id),
            str(world["a"].id),
            "coordinate_volunteers",
        ),
        ("volunteers.incident_forwarded", str(world["coordinator_a"].id), str(world["a"].id), "coordinate_volunteers"),
        (
            "volunteers.incident_resolved",
            str(world["property_staff"].id),
            str(world["property_a"].id),
            "responsible_party",
        ),
    ]
    assert steps[0]["changes"]["status"] == ["reported", "acknowledged"]
    assert steps[2]["changes"]["status"] == ["forwarded", "resolved"]
    assert all(step["object_id"] == iid and step["actor_kind"] == "staff" for step in steps)
    assert TEXT not in str(steps)
