"""The 南园 demo shows reports by place and counts by place: its reports went to the estate's
property company and to the grid's workers by where they fell, and its estates, estate kinds and
alliance page carry participation figures (small cells hidden); on both databases."""

from __future__ import annotations

import httpx

from backend.accounts.tables import User
from backend.core.wiring import seed_demo
from backend.domains import DOMAINS
from backend.governance.incidents.tables import Incident
from backend.inclusion.insight.statistics import month_range, month_text
from backend.places.tables import Alliance
from backend.settings import Settings
from tests import factories


async def _staff(username: str) -> dict[str, str]:
    user = await User.objects().where(User.username == username).first()
    assert user is not None
    return await factories.signed_in(user)


async def test_the_demo_shows_reports_and_counts_by_place(client: httpx.AsyncClient, settings: Settings) -> None:
    summary = await seed_demo(DOMAINS, keys=settings.sealing_keys)
    assert "43 residents who said where they live" in summary and "attendances in 南园's last three months" in summary
    admin = await _staff("demo-admin")

    # Reports: group renting at 南园新村 went to its property company, a hazard at 南园安置小区 to grid 2.
    rows = await Incident.select(Incident.id, Incident.kind).order_by(Incident.created_at)
    seen = {}
    for row in rows:
        read = await client.get(f"/api/v1/incidents/{row['id']}", headers={**admin, "Accept-Language": "zh-Hans"})
        assert read.status_code == 200, read.text
        seen[row["kind"]] = read.json()
    renting = seen["group_renting"]
    assert renting["estate"]["name"] == "南园新村" and renting["routed"]["reason"] == "estate_property_company"
    assert renting["status"] == "forwarded" and renting["party"] == "property_company"
    hazard = seen["safety_hazard"]
    assert hazard["grid"]["name"] == "南园第二网格" and hazard["routed"]["reason"] == "grid_worker"
    worker = await _staff("demo-grid-2")
    assigned = await client.get("/api/v1/incidents", params={"scope": "assigned"}, headers=worker)
    assert [item["id"] for item in assigned.json()["items"]] == [hazard["id"]]

    # Counts: last month, by estate and by kind; the resettlement estate's gap is visible.
    last = month_text(month_range(None, None)[-2])
    community = renting["community"]["id"]
    answer = await client.get(
        "/api/v1/stats/participation/by-place",
        params={"community_id": community, "from": last, "to": last},
        headers={**admin, "Accept-Language": "en"},
    )
    assert answer.status_code == 200, answer.text
    estates = {row["estate_name"]: row for row in answer.json()["estates"]}
    # 南园新村: the fourteen of the past evenings and the seven households of the governance demo's
    # survey live there; eleven of them took part last month.
    assert (estates["Nanyuan New Village"]["residents"], estates["Nanyuan New Village"]["participants"]) == (21, 11)
    assert (
        estates["Nanyuan Resettlement Estate"]["residents"],
        estates["Nanyuan Resettlement Estate"]["participants"],
    ) == (12, 6)
    kinds = {row["kind"]: row for row in answer.json()["kinds"]}
    assert kinds["resettlement"]["participation_rate"] == 0.5 < kinds["commercial"]["participation_rate"]

    alliance = await Alliance.select(Alliance.id).first()
    page = (await client.get(f"/api/v1/alliances/{alliance['id']}")).json()
    figures = {member["name"]: member["participation"] for member in page["members"]}
    assert {f["month"]: f["participants"] for f in figures["南园新村"]}[last] == 11
    assert all(len(months) == 3 for months in figures.values())
