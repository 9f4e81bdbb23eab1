"""A volunteer's data: what each staff view shows of them (need to know), what their export holds
(everything, identity unmasked), and what their account's deletion leaves (nothing personal)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from backend.accounts.tables import OrganisationKind, Role, User
from backend.core.clock import city_today
from backend.governance.incidents.tables import Incident
from backend.settings import Settings
from backend.volunteers.hours.tables import HoursEntry, HoursStatus, ServiceRecord
from tests import factories
from tests.volunteers import builders
from tests.volunteers.test_hours import entry

Client = httpx.AsyncClient
REAL_NAME, ID_NUMBER, PHONE = "王芳芳", "11010519491231002X", "13912345678"


def as_(user: User, lang: str = "en") -> dict[str, str]:
    return {**factories.token_for(user), "Accept-Language": lang}


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 120, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"])
    lead = await factories.resident("王队长")
    await builders.coordinator(team, lead)
    volunteer = await factories.resident("芳姐")
    await User.update({User.phone: PHONE}).where(User.id == volunteer.id)
    saved = await client.post(
        "/api/v1/volunteers",
        json={"consent": True, "real_name": REAL_NAME, "id_document": "resident_id", "id_number": ID_NUMBER},
        headers=as_(volunteer),
    )
    assert saved.status_code == 201, saved.text
    assert (await client.post(f"/api/v1/teams/{team.id}/members", headers=as_(volunteer))).status_code == 201
    company = await factories.organisation(OrganisationKind.property_company, tree["community_a"], "南园物业")
    routed = await client.put(
        f"/api/v1/communities/{tree['community_a'].id}/incident-routing",
        json={"routes": [{"kind": "noise", "party": "property_company", "organisation_id": str(company.id)}]},
        headers=as_(await factories.staff(Role.admin, tree["community_a"])),
    )
    assert routed.status_code == 200, routed.text
    return {
        "tree": tree,
        "team": team,
        "lead": lead,
        "volunteer": volunteer,
        "party": await factories.staff(Role.organiser, company),
        "neighbour": await factories.resident("邻居"),
    }


async def report_with_photo(client: Client, place: dict[str, Any]) -> str:
    reported = await client.post(
        "/api/v1/incidents",
        json={
            "community_id": str(place["tree"]["community_a"].id),
            "kind": "noise",
            "text": "5幢302半夜装修",
            "latitude": 31.2946,
            "longitude": 120.6285,
            "team_id": str(place["team"].id),
        },
        headers=as_(place["volunteer"]),
    )
    assert reported.status_code == 201, reported.text
    incident_id = reported.json()["id"]
    photo = await client.post(
        f"/api/v1/incidents/{incident_id}/photo",
        files={"file": ("p.jpg", jpeg(), "image/jpeg")},
        headers=as_(place["volunteer"]),
    )
    assert photo.status_code == 200, photo.text
    return str(incident_id)


# --- need to know -------------------------------------------------------------------------------------


async def test_each_staff_view_shows_only_what_its_work_needs(client: Client, place: dict[str, Any]) -> None:
    team, lead, volunteer = place["team"], place["lead"], place["volunteer"]
    shift = await builders.shift(team)
    await builders.signup(shift, volunteer)
    await entry(team, volunteer, 60)
    incident_id = await report_with_photo(client, place)
    for status in ("acknowledged", "forwarded"):
        moved = await client.patch(f"/api/v1/incidents/{incident_id}", json={"status": status}, headers=as_(lead))
        assert moved.status_code == 200, moved.text

    # The team's coordinator calls members to shifts: display names in full, phones and identity masked.
    members = (await client.get(f"/api/v1/teams/{team.id}/members", headers=as_(lead))).json()
    mine = next(m for m in members if m["user_id"] == str(volunteer.id))
    assert (mine["display_name"], mine["phone_masked"], mine["real_name_masked"]) == ("芳姐", "139****5678", "王*芳")
    sheet = (await client.get(f"/api/v1/shifts/{shift.id}/signups", headers=as_(lead))).json()
    assert [(row["display_name"], row["phone"]) for row in sheet["signups"]] == [("芳姐", "139****5678")]
    hours = (await client.get(f"/api/v1/teams/{team.id}/hours", headers=as_(lead))).json()
    assert [(row["volunteer"]["display_name"], row["volunteer"]["real_name_masked"]) for row in hours] == [
        ("芳姐", "王*芳")
    ]
    # Handling a report needs its words and place, not who wrote it.
    coordinating = (await client.get(f"/api/v1/incidents/{incident_id}", headers=as_(lead))).json()
    assert coordinating["reporter_name"] == "芳*"
    assert coordinating["history"][0]["actor_name"] == "芳*"
    handled = (await client.get(f"/api/v1/incidents/{incident_id}", headers=as_(place["party"]))).json()
    assert (handled["reporter_name"], handled["text"]) == (None, "5幢302半夜装修")
    # The public sees the team's coordinators masked.
    public = (await client.get(f"/api/v1/teams/{team.id}")).json()
    assert public["coordinator_names"] == ["王*长"]

    answers = [members, sheet, hours, coordinating, handled, public]
    for answer in answers:
        for secret in (REAL_NAME, ID_NUMBER, PHONE):
            assert secret not in str(answer), secret
    # Only the volunteer's own export carries the identity unmasked.
    assert (await client.get("/api/v1/volunteers/me", headers=as_(volunteer))).json()["real_name_masked"] == "王*芳"


# --- the export -----------------------------------------------------------------------------------------


async def test_the_export_holds_everything_kept_about_the_volunteer(client: Client, place: dict[str, Any]) -> None:
    team, volunteer = place["team"], place["volunteer"]
    verified = await entry(team, volunteer, 120, status=HoursStatus.verified)
    await HoursEntry.update({HoursEntry.title: {"zh-Hans": "夜间巡逻", "en": "Night patrol"}}).where(
        HoursEntry.id == verified.id
    )
    assert (await client.get("/api/v1/me/hours/record", headers=as_(volunteer))).status_code == 200
    incident_id = await report_with_photo(client, place)

    answer = await client.get("/api/v1/me/export", headers=as_(volunteer))
    assert answer.status_code == 200
    assert "no-store" in answer.headers["cache-control"]
    mine = answer.json()["domains"]["volunteers"]
    profile = mine["profile"]
    assert (profile["real_name"], profile["id_number"], profile["id_document"]) == (REAL_NAME, ID_NUMBER, "resident_id")
    assert [(h["minutes"], h["title"]) for h in mine["hours"]] == [(120, {"zh-Hans": "夜间巡逻", "en": "Night patrol"})]
    [record] = mine["service_records"]
    assert record["total_minutes"] == 120 and record["code"] and record["summary"]["teams"]
    [report] = answer.json()["domains"]["governance"]["incidents_reported"]
    assert (report["id"], report["text"], report["latitude"]) == (incident_id, "5幢302半夜装修", 31.2946)
    assert set(report["photo_urls"].values()) == {
        f"/api/v1/incidents/{incident_id}/photo/{key}" for key in report["photo_urls"]
    }
    assert [step["status"] for step in report["history"]] == ["reported"]
    assert [m["status"] for m in mine["team_memberships"]] == ["active"]


# --- closing the account ----------------------------------------------------------------------------------


async def test_closing_the_account_leaves_nothing_personal(
    client: Client, place: dict[str, Any], settings: Settings
) -> None:
    team, lead, volunteer = place["team"], place["lead"], place["volunteer"]
    kept = await entry(team, volunteer, 120, status=HoursStatus.verified, service_date=city_today() - timedelta(days=3))
    claim = await client.post(
        f"/api/v1/teams/{team.id}/hours",
        json={"minutes": 60, "service_date": city_today().isoformat(), "reason": "我妈住院那天替班"},
        headers=as_(volunteer),
    )
    assert claim.status_code == 201, claim.text
    assert (await client.get("/api/v1/me/hours/record", headers=as_(volunteer))).status_code == 200
    record = await ServiceRecord.objects().where(ServiceRecord.user == volunteer.id).first()
    incident_id = await report_with_photo(client, place)
    photo_files = list((await Incident.select(Incident.photo).output(load_json=True).first())["photo"].values())
    private = settings.media_root.parent / "private"
    assert all((private / path).is_file() for path in photo_files)
    assert (private / "service-records" / str(volunteer.id)).is_dir()

    assert (await client.delete("/api/v1/me", headers=as_(volunteer))).status_code == 204

    # The report stays for the community, without the reporter's words, place or photo.
    seen = (await client.get(f"/api/v1/incidents/{incident_id}", headers=as_(lead))).json()
    assert seen["text"] == "The reporter has deleted their account; the report's words were removed."
    assert (seen["latitude"], seen["longitude"], seen["photo_urls"], seen["reporter_name"]) == (None, None, {}, None)
    assert not any((private / path).exists() for path in photo_files)
    chinese = (await client.get(f"/api/v1/incidents/{incident_id}", headers=as_(lead, "zh-Hans"))).json()
    assert chinese["text"] and not chinese["text"].isascii()

    # The pending claim is withdrawn: nobody can verify it any more; the person's words are gone.
    withdrawn = claim.json()["id"]
    refused = await client.post(f"/api/v1/hours/{withdrawn}/verify", headers=as_(lead))
    assert (refused.status_code, refused.json()["code"]) == (409, "hours_entry_decided")
    listed = {row["id"]: row for row in (await client.get(f"/api/v1/teams/{team.id}/hours", headers=as_(lead))).json()}
    assert (listed[withdrawn]["status"], listed[withdrawn]["status_name"], listed[withdrawn]["reason"]) == (
        "withdrawn",
        "Withdrawn",
        "",
    )
    # Verified history stays (team totals add up), pointing at an anonymised account.
    assert listed[str(kept.id)]["status"] == "verified"
    assert "我妈住院" not in str(listed) and REAL_NAME not in str(listed)

    # The record still checks, without a holder; its PDF (which printed the real name) is gone.
    check = (await client.get(f"/api/v1/hours/records/{record.code}")).json()
    assert (check["valid"], check["holder"], check["total_hours"]) == (True, "", 2.0)
    assert not (private / "service-records" / str(volunteer.id)).exists()
    assert not any(REAL_NAME in path.name for path in Path(private).rglob("*"))
