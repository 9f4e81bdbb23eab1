"""Counts by place over HTTP: participation per estate and per estate kind and month, small cells
suppressed as in the community statistics, read by community staff and by a property company for
its own estates, as CSV (audited), and on the alliance page; on both databases."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Organisation, OrganisationKind, Role, User
from backend.core.tables import AuditEntry
from backend.places.tables import Residence
from tests import factories
from tests.inclusion.test_statistics import attend, months_ago, past_event, text

Client = httpx.AsyncClient
BY_PLACE = "/api/v1/stats/participation/by-place"


async def _resident_of(estate: str, count: int) -> list[User]:
    people = []
    for _ in range(count):
        user = await factories.resident()
        moment = datetime.now(UTC) - timedelta(days=200)
        await Residence(user=user.id, estate=estate, consented_at=moment, updated_at=moment).save()
        people.append(user)
    return people


async def _estate(client: Client, staff: User, community: Organisation, name: str, **body: Any) -> str:
    data = factories.estate_body(community, name={"zh-Hans": name, "en": name}, **body)
    made = await client.post("/api/v1/estates", json=data, headers=factories.token_for(staff))
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


@pytest.fixture
async def story(client: Client) -> dict[str, Any]:
    """Community A: 南园新村 (commercial, company 1) with 7 residents, 6 of whom came in month 1 (one
    twice) and 2 in month 2; 南园安置小区 (resettlement, company 2) with 6 residents, 2 came in
    month 1; 安置二区 (resettlement, no company) with 3 residents who all came in month 1."""
    tree = await factories.city_tree()
    a = tree["community_a"]
    staff = await factories.staff(Role.organiser, a)
    company_1 = await factories.organisation(OrganisationKind.property_company, a, "苏房物业")
    company_2 = await factories.organisation(OrganisationKind.property_company, a, "安居物业")
    xincun = await _estate(client, staff, a, "南园新村", property_company_id=str(company_1.id))
    anzhi = await _estate(client, staff, a, "南园安置小区", kind="resettlement", property_company_id=str(company_2.id))
    erqu = await _estate(client, staff, a, "安置二区", kind="resettlement")
    m1, m2 = months_ago(2), months_ago(1)
    venue = await factories.venue(a, a)
    e1, e1b = await past_event(tree["street_a"], venue, m1), await past_event(tree["street_a"], venue, m1, day=20)
    e2 = await past_event(tree["street_a"], venue, m2)
    xincun_people = await _resident_of(xincun, 7)
    for someone in xincun_people[:6]:
        await attend(e1, someone)
    await attend(e1b, xincun_people[0])
    for someone in xincun_people[:2]:
        await attend(e2, someone)
    anzhi_people = await _resident_of(anzhi, 6)
    for someone in anzhi_people[:2]:
        await attend(e1, someone)
    await attend(e1b, anzhi_people[2], status="confirmed")  # never checked in: not counted
    for someone in await _resident_of(erqu, 3):
        await attend(e1, someone)
    # Someone who came but says they live nowhere counts for no estate.
    await attend(e1, await factories.resident())
    return {
        "tree": tree,
        "a": a,
        "staff": staff,
        "company_1_staff": await factories.staff(Role.organiser, company_1),
        "company_2_staff": await factories.staff(Role.organiser, company_2),
        "xincun": xincun,
        "anzhi": anzhi,
        "erqu": erqu,
        "m1": text(m1),
        "m2": text(m2),
    }


async def _read(client: Client, user: User, community: Organisation, **params: str) -> httpx.Response:
    query = {"community_id": str(community.id), **params}
    return await client.get(BY_PLACE, params=query, headers={**factories.token_for(user), "Accept-Language": "en"})


def _rows(body: dict[str, Any], key: str, name: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row[name], row["month"]): row for row in body[key]}


async def test_participation_by_estate_and_kind_with_small_cells_hidden(client: Client, story: dict[str, Any]) -> None:
    answered = await _read(client, story["staff"], story["a"], **{"from": story["m1"], "to": story["m2"]})
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["months"] == [story["m1"], story["m2"]] and body["min_cell_size"] == 5
    estates = _rows(body, "estates", "estate_name")
    m1, m2 = story["m1"], story["m2"]
    assert estates[("南园新村", m1)] | {"suppressed": []} == {
        "month": m1,
        "residents": 7,
        "participants": 6,
        "attendances": 7,
        "participation_rate": 0.857,
        "suppressed": [],
        "estate_id": story["xincun"],
        "estate_name": "南园新村",
        "kind": "commercial",
        "kind_name": "Commercial housing",
    }
    assert estates[("南园新村", m2)]["participants"] is None and estates[("南园新村", m2)]["attendances"] is None
    assert set(estates[("南园新村", m2)]["suppressed"]) == {"participants", "attendances", "participation_rate"}
    assert estates[("南园安置小区", m1)]["residents"] == 6 and estates[("南园安置小区", m1)]["participants"] is None
    assert estates[("安置二区", m1)]["residents"] is None and "residents" in estates[("安置二区", m1)]["suppressed"]

    # By kind, the two resettlement estates add up to a figure that can be shown: 5 of 9 came.
    kinds = _rows(body, "kinds", "kind")
    resettlement = kinds[("resettlement", m1)]
    assert (resettlement["residents"], resettlement["participants"], resettlement["estates"]) == (9, 5, 2)
    assert resettlement["participation_rate"] == 0.556 and resettlement["kind_name"] == "Resettlement housing"
    assert kinds[("commercial", m1)]["participation_rate"] == 0.857
    assert ("affordable", m1) not in kinds  # no estate of that kind here


async def test_a_property_company_reads_its_own_estates_only(client: Client, story: dict[str, Any]) -> None:
    own = (await _read(client, story["company_1_staff"], story["a"])).json()
    assert {row["estate_id"] for row in own["estates"]} == {story["xincun"]} and own["kinds"] == []
    other = (await _read(client, story["company_2_staff"], story["a"])).json()
    assert {row["estate_id"] for row in other["estates"]} == {story["anzhi"]}
    # Anyone else is refused: a resident, staff of another community, a company elsewhere.
    outsider_company = await factories.organisation(OrganisationKind.property_company, story["tree"]["community_b"])
    for user in (
        await factories.resident(),
        await factories.staff(Role.organiser, story["tree"]["community_b"]),
        await factories.staff(Role.organiser, outsider_company),
    ):
        assert (await _read(client, user, story["a"])).status_code == 403
    anonymous = await client.get(BY_PLACE, params={"community_id": str(story["a"].id)})
    assert anonymous.status_code == 401
    street_staff = await factories.staff(Role.organiser, story["tree"]["street_a"])
    street = await _read(client, street_staff, story["tree"]["street_a"])
    assert street.status_code == 422 and street.json()["code"] == "place_stats_not_a_community"
    assert (await _read(client, story["staff"], story["tree"]["street_a"])).status_code == 403
    backwards = await _read(client, story["staff"], story["a"], **{"from": story["m2"], "to": story["m1"]})
    assert backwards.status_code == 422 and backwards.json()["code"] == "stats_range_invalid"


async def test_the_csv_is_audited_and_suppressed(client: Client, story: dict[str, Any]) -> None:
    assert await AuditEntry.count().where(AuditEntry.action == "inclusion.place_statistics_exported") == 0
    answered = await _read(client, story["staff"], story["a"], format="csv", **{"from": story["m1"], "to": story["m1"]})
    assert answered.status_code == 200 and answered.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(answered.content.decode("utf-8-sig"))))
    assert lines[0] == [
        "Estate",
        "Estate kind",
        "Month",
        "Residents",
        "Participants",
        "Attendances",
        "Participation rate",
    ]
    assert ["南园新村", "Commercial housing", story["m1"], "7", "6", "7", "85.7%"] in lines
    assert ["安置二区", "Resettlement housing", story["m1"], "<5", "<5", "<5", "<5"] in lines
    assert ["All estates of this kind", "Resettlement housing", story["m1"], "9", "5", "5", "55.6%"] in lines
    [entry] = await AuditEntry.select().where(AuditEntry.action == "inclusion.place_statistics_exported")
    assert entry["organisation"] == story["a"].id and entry["permission"] == "view_statistics"
    # The JSON on screen is not audited; a company's CSV is, under its own say.
    await _read(client, story["staff"], story["a"])
    await _read(client, story["company_1_staff"], story["a"], format="csv")
    entries = await AuditEntry.select().where(AuditEntry.action == "inclusion.place_statistics_exported")
    assert sorted(e["permission"] for e in entries) == ["property_company", "view_statistics"]


async def test_the_alliance_page_shows_member_estates_figures(client: Client, story: dict[str, Any]) -> None:
    members = [
        {"estate_id": story["xincun"], "role": "flagship"},
        {"estate_id": story["anzhi"], "role": "partner"},
        {"estate_id": story["erqu"], "role": "allied"},
    ]
    body = {"community_id": str(story["a"].id), "name": {"zh-Hans": "南园小区联盟"}, "members": members}
    made = await client.post("/api/v1/alliances", json=body, headers=factories.token_for(story["staff"]))
    assert made.status_code == 201, made.text
    page = (await client.get(f"/api/v1/alliances/{made.json()['id']}")).json()
    figures = {m["name"]: {f["month"]: f for f in m["participation"]} for m in page["members"]}
    assert len(figures["南园新村"]) == 3 and story["m1"] in figures["南园新村"]
    assert figures["南园新村"][story["m1"]] == {
        "month": story["m1"],
        "residents": 7,
        "participants": 6,
        "participation_rate": 0.857,
    }
    assert figures["南园新村"][story["m2"]]["participants"] is None
    assert figures["南园安置小区"][story["m1"]]["participants"] is None
    assert figures["安置二区"][story["m1"]]["residents"] is None
