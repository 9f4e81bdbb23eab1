"""Places over HTTP: estates, buildings and units (with the CSV import), grids and their workers,
where a resident lives, on both databases."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role
from backend.core.tables import AuditEntry
from tests import factories

Client = httpx.AsyncClient
V1 = "/api/v1"


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    staff = await factories.staff(Role.organiser, tree["community_a"])
    property_company = await factories.organisation(OrganisationKind.property_company, tree["community_a"], "南园物业")
    company_staff = await factories.staff(Role.organiser, property_company)
    body = factories.estate_body(tree["community_a"], property_company_id=str(property_company.id))
    created = await client.post(f"{V1}/estates", json=body, headers=factories.token_for(staff))
    assert created.status_code == 201, created.text
    return {
        "tree": tree,
        "staff": staff,
        "auth": factories.token_for(staff),
        "company": property_company,
        "company_staff": company_staff,
        "estate": created.json(),
    }


async def audited(action: str) -> list[dict[str, Any]]:
    return await AuditEntry.select().where(AuditEntry.action == action).output(load_json=True)


def upload(content: bytes) -> dict[str, Any]:
    return {"file": ("units.csv", content, "text/csv")}


async def test_community_staff_keep_their_estates(client: Client, place: dict[str, Any]) -> None:
    estate = place["estate"]
    assert estate["kind"] == "commercial" and estate["property_company"]["name"] == "南园物业"
    assert estate["has_owners_committee"] is False and estate["buildings"] == 0
    [entry] = await audited("places.estate_created")
    assert entry["organisation"] == place["tree"]["community_a"].id and entry["permission"] == "manage_places"

    changed = await client.patch(
        f"{V1}/estates/{estate['id']}", json={"kind": "resettlement", "households": 600}, headers=place["auth"]
    )
    assert changed.status_code == 200 and changed.json()["kind"] == "resettlement"
    [entry] = await audited("places.estate_changed")
    assert entry["changes"]["kind"] == ["commercial", "resettlement"]

    # Staff of another community, residents and the anonymous may not; everyone may read.
    other = await factories.staff(Role.organiser, place["tree"]["community_b"])
    resident = await factories.resident()
    for headers, status in ((factories.token_for(other), 403), (factories.token_for(resident), 403), ({}, 401)):
        refused = await client.patch(f"{V1}/estates/{estate['id']}", json={"households": 1}, headers=headers)
        assert refused.status_code == status
    listed = await client.get(f"{V1}/estates", params={"community_id": place["tree"]["community_a"].id})
    assert [e["id"] for e in listed.json()] == [estate["id"]]


async def test_an_estates_bodies_must_be_of_their_kind_and_place(client: Client, place: dict[str, Any]) -> None:
    far_company = await factories.organisation(OrganisationKind.property_company, place["tree"]["community_b"])
    body = factories.estate_body(place["tree"]["community_a"], property_company_id=str(far_company.id))
    refused = await client.post(f"{V1}/estates", json=body, headers=place["auth"])
    assert refused.status_code == 422 and refused.json()["code"] == "organisation_kind_wrong"
    committee = await factories.organisation(OrganisationKind.owners_committee, place["tree"]["community_a"])
    body = factories.estate_body(place["tree"]["community_a"], owners_committee_id=str(committee.id))
    made = await client.post(f"{V1}/estates", json=body, headers=place["auth"])
    assert made.status_code == 201 and made.json()["has_owners_committee"] is True
    not_community = factories.estate_body(place["tree"]["street_a"])
    refused = await client.post(f"{V1}/estates", json=not_community, headers=place["auth"])
    assert refused.status_code == 422 and refused.json()["code"] == "not_a_community"


async def test_buildings_and_units(client: Client, place: dict[str, Any]) -> None:
    estate_id = place["estate"]["id"]
    added = await client.post(f"{V1}/estates/{estate_id}/buildings", json={"label": "3幢"}, headers=place["auth"])
    assert added.status_code == 201, added.text
    again = await client.post(f"{V1}/estates/{estate_id}/buildings", json={"label": "3幢"}, headers=place["auth"])
    assert again.status_code == 409 and again.json()["code"] == "label_taken"
    building = added.json()["id"]
    unit = await client.post(
        f"{V1}/buildings/{building}/units", json={"label": "301", "floor_area": 89.5}, headers=place["auth"]
    )
    assert unit.status_code == 201
    units = await client.get(f"{V1}/buildings/{building}/units")
    assert [(u["label"], u["floor_area"]) for u in units.json()] == [("301", 89.5)]
    buildings = await client.get(f"{V1}/estates/{estate_id}/buildings")
    assert [(b["label"], b["units"]) for b in buildings.json()] == [("3幢", 1)]


async def test_the_csv_import_takes_a_bom_file_whole(client: Client, place: dict[str, Any]) -> None:
    estate_id = place["estate"]["id"]
    content = "楼栋,门牌,面积\n1幢,101,88.5\n1幢,102,\n2幢,201,120\n".encode("utf-8-sig")
    done = await client.post(f"{V1}/estates/{estate_id}/units/import", files=upload(content), headers=place["auth"])
    assert done.status_code == 200, done.text
    assert done.json() == {"buildings_added": 2, "units_added": 3, "units_updated": 0}
    # Again with a changed floor area: one update, nothing added.
    content = b"building,unit,floor_area\n1\xe5\xb9\xa2,101,90\n"
    done = await client.post(f"{V1}/estates/{estate_id}/units/import", files=upload(content), headers=place["auth"])
    assert done.json() == {"buildings_added": 0, "units_added": 0, "units_updated": 1}
    assert len(await audited("places.units_imported")) == 2


async def test_a_broken_csv_imports_nothing_and_names_each_line(client: Client, place: dict[str, Any]) -> None:
    estate_id = place["estate"]["id"]
    content = "building,unit,floor_area\n1幢,101,88\n1幢,,70\n2幢,201,lots\n1幢,101,88\n".encode()
    refused = await client.post(
        f"{V1}/estates/{estate_id}/units/import",
        files=upload(content),
        headers={**place["auth"], "Accept-Language": "en"},
    )
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["code"] == "import_invalid"
    assert [line["line"] for line in problem["params"]["lines"]] == [3, 4, 5]
    assert "Line 3" in problem["detail"] and "nothing was imported" in problem["detail"].lower()
    assert "line 2" in problem["params"]["lines"][2]["problem"]
    buildings = await client.get(f"{V1}/estates/{estate_id}/buildings")
    assert buildings.json() == []
    not_utf8 = await client.post(
        f"{V1}/estates/{estate_id}/units/import", files=upload("楼栋,门牌\n".encode("gbk")), headers=place["auth"]
    )
    assert not_utf8.status_code == 422 and not_utf8.json()["params"]["lines"][0]["line"] == 1
    no_header = await client.post(
        f"{V1}/estates/{estate_id}/units/import", files=upload(b"1,101\n"), headers=place["auth"]
    )
    assert no_header.status_code == 422
    localised = await client.post(
        f"{V1}/estates/{estate_id}/units/import",
        files=upload(content),
        headers={**place["auth"], "Accept-Language": "zh-Hans"},
    )
    assert "第 3 行" in localised.json()["detail"] or "3" in localised.json()["detail"]


async def _grid(client: Client, place: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {
        "community_id": str(place["tree"]["community_a"].id),
        "name": {"zh-Hans": "第一网格"},
        "areas": [{"estate_id": place["estate"]["id"]}],
        **extra,
    }
    made = await client.post(f"{V1}/grids", json=body, headers=place["auth"])
    assert made.status_code == 201, made.text
    return made.json()


async def test_grids_their_workers_and_one_answer_to_may_act_here(client: Client, place: dict[str, Any]) -> None:
    grid = await _grid(client, place)
    assert [a["estate_id"] for a in grid["areas"]] == [place["estate"]["id"]]
    worker = await factories.staff()
    appointed = await client.put(f"{V1}/grids/{grid['id']}/workers/{worker.id}", headers=place["auth"])
    assert appointed.status_code == 200 and appointed.json()["workers"][0]["user_id"] == str(worker.id)
    assert any(e["object_id"] == str(worker.id) for e in await audited("accounts.role_granted"))
    # The worker reads their grid and its estate's counts; a resident cannot be a grid worker.
    seen = await client.get(f"{V1}/grids/{grid['id']}", headers=factories.token_for(worker))
    assert seen.status_code == 200
    counts = await client.get(f"{V1}/estates/{place['estate']['id']}/residents", headers=factories.token_for(worker))
    assert counts.status_code == 200
    resident = await factories.resident()
    refused = await client.put(f"{V1}/grids/{grid['id']}/workers/{resident.id}", headers=place["auth"])
    assert refused.status_code == 404
    # An estate is in one grid.
    refused = await client.post(
        f"{V1}/grids",
        json={
            "community_id": str(place["tree"]["community_a"].id),
            "name": {"zh-Hans": "第二网格"},
            "areas": [{"estate_id": place["estate"]["id"]}],
        },
        headers=place["auth"],
    )
    assert refused.status_code == 409 and refused.json()["code"] == "area_taken"
    dismissed = await client.delete(f"{V1}/grids/{grid['id']}/workers/{worker.id}", headers=place["auth"])
    assert dismissed.status_code == 204


async def test_a_grid_covers_its_own_community_only(client: Client, place: dict[str, Any]) -> None:
    far = await factories.estate(place["tree"]["community_b"])
    body = {
        "community_id": str(place["tree"]["community_a"].id),
        "name": {"zh-Hans": "越界网格"},
        "areas": [{"estate_id": str(far)}],
    }
    refused = await client.post(f"{V1}/grids", json=body, headers=place["auth"])
    assert refused.status_code == 422 and refused.json()["code"] == "area_outside_community"


async def test_building_heads_are_residents_shown_masked(client: Client, place: dict[str, Any]) -> None:
    building = (
        await client.post(
            f"{V1}/estates/{place['estate']['id']}/buildings", json={"label": "1幢"}, headers=place["auth"]
        )
    ).json()["id"]
    head = await factories.resident("李秀梅")
    appointed = await client.put(f"{V1}/buildings/{building}/heads/{head.id}", headers=place["auth"])
    assert appointed.status_code == 200
    assert appointed.json()[0]["display_name"] == "李*梅"
    other = await factories.staff(Role.organiser, place["tree"]["community_b"])
    refused = await client.get(f"{V1}/buildings/{building}/heads", headers=factories.token_for(other))
    assert refused.status_code == 403
    gone = await client.delete(f"{V1}/buildings/{building}/heads/{head.id}", headers=place["auth"])
    assert gone.status_code == 204


async def test_where_i_live_with_consent(client: Client, place: dict[str, Any]) -> None:
    resident = await factories.resident()
    me = factories.token_for(resident)
    estate_id = place["estate"]["id"]
    assert (await client.get(f"{V1}/me/residence", headers=me)).json()["code"] == "residence_not_set"
    refused = await client.put(f"{V1}/me/residence", json={"estate_id": estate_id, "consent": False}, headers=me)
    assert refused.status_code == 422 and refused.json()["code"] == "consent_required"
    building = (
        await client.post(f"{V1}/estates/{estate_id}/buildings", json={"label": "2幢"}, headers=place["auth"])
    ).json()["id"]
    unit = (await client.post(f"{V1}/buildings/{building}/units", json={"label": "502"}, headers=place["auth"])).json()
    said = await client.put(
        f"{V1}/me/residence",
        json={"estate_id": estate_id, "building_id": building, "unit_id": unit["id"], "consent": True},
        headers=me,
    )
    assert said.status_code == 200, said.text
    assert said.json()["unit"]["name"] == "502" and said.json()["building"]["name"] == "2幢"
    # A unit of another building is refused; changing to the estate alone works.
    wrong = await client.put(
        f"{V1}/me/residence", json={"estate_id": estate_id, "unit_id": unit["id"], "consent": True}, headers=me
    )
    assert wrong.status_code == 404 and wrong.json()["code"] == "unit_not_found"
    moved = await client.put(f"{V1}/me/residence", json={"estate_id": estate_id, "consent": True}, headers=me)
    assert moved.json()["building"] is None
    exported = (await client.get(f"{V1}/me/export", headers=me)).json()
    assert exported["domains"]["places"]["residence"]["estate"] == estate_id
    # Another resident sees nothing of it; staff see counts only, and small ones not at all.
    other = await factories.resident()
    assert (await client.get(f"{V1}/me/residence", headers=factories.token_for(other))).status_code == 404
    counts = await client.get(f"{V1}/estates/{estate_id}/residents", headers=place["auth"])
    assert counts.json()["residents"] is None
    company = await client.get(
        f"{V1}/estates/{estate_id}/residents", headers=factories.token_for(place["company_staff"])
    )
    assert company.status_code == 200
    refused = await client.get(f"{V1}/estates/{estate_id}/residents", headers=factories.token_for(other))
    assert refused.status_code == 403
    cleared = await client.delete(f"{V1}/me/residence", headers=me)
    assert cleared.status_code == 204
    assert (await client.get(f"{V1}/me/residence", headers=me)).status_code == 404


async def test_counts_show_from_five_residents(client: Client, place: dict[str, Any]) -> None:
    estate_id = place["estate"]["id"]
    for _ in range(5):
        resident = await factories.resident()
        said = await client.put(
            f"{V1}/me/residence",
            json={"estate_id": estate_id, "consent": True},
            headers=factories.token_for(resident),
        )
        assert said.status_code == 200
    counts = await client.get(f"{V1}/estates/{estate_id}/residents", headers=place["auth"])
    assert counts.json()["residents"] == 5


async def test_closing_the_account_erases_where_one_lives(client: Client, place: dict[str, Any]) -> None:
    resident = await factories.resident()
    me = factories.token_for(resident)
    await client.put(f"{V1}/me/residence", json={"estate_id": place["estate"]["id"], "consent": True}, headers=me)
    from backend.places.tables import Residence

    assert await Residence.count().where(Residence.user == resident.id) == 1
    assert (await client.delete(f"{V1}/me", headers=me)).status_code == 204
    assert await Residence.count().where(Residence.user == resident.id) == 0


async def test_unknown_places_answer_404(client: Client, place: dict[str, Any]) -> None:
    nowhere = uuid.uuid4()
    assert (await client.get(f"{V1}/estates/{nowhere}")).json()["code"] == "estate_not_found"
    assert (await client.get(f"{V1}/buildings/{nowhere}/units")).status_code == 404
    assert (await client.get(f"{V1}/grids/{nowhere}", headers=place["auth"])).status_code == 404
