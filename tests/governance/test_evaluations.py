"""Yearly evaluations (民主评议) over HTTP on both databases: of an estate's property company or
residents' committee, one answer per household on the five criteria, scores published with
suppression beside the company's response, last year's change and its report-handling record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.core import clock
from backend.core.tables import AuditEntry
from backend.governance.incidents.tables import Incident, IncidentChange
from tests import factories
from tests.governance.survey_world import living, window, world

Client = httpx.AsyncClient
V1 = "/api/v1"
EN = {"Accept-Language": "en"}
YEAR = clock.now().year


@pytest.fixture
async def w(client: Client) -> dict[str, Any]:
    return await world()


def evaluation_body(w: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    opens, closes, _ = window()
    return {
        "estate_id": str(w["estate"]),
        "subject": "property_company",
        "year": YEAR,
        "opens_at": opens,
        "closes_at": closes,
        **overrides,
    }


def scores(*values: int) -> dict[str, Any]:
    return {"answers": [{"question": i, "rating": value} for i, value in enumerate(values)]}


async def evaluate(
    client: Client, survey_id: str, households: list[tuple[int, tuple[int, ...]]], w: dict[str, Any]
) -> None:
    for unit, given in households:
        person = await living(w, unit)
        done = await client.post(
            f"{V1}/surveys/{survey_id}/answers", json=scores(*given), headers=factories.token_for(person)
        )
        assert done.status_code == 204, done.text


async def report(w: dict[str, Any], *, hours_to_resolve: float | None) -> None:
    """A report routed to the estate's property company this year, resolved after so many hours."""
    made = clock.now() - timedelta(days=2)
    incident = Incident(
        community=w["tree"]["community_a"].id,
        kind="noise",
        text="楼下装修噪音",
        party="property_company",
        party_organisation=w["company"].id,
        status="resolved" if hours_to_resolve is not None else "forwarded",
        created_at=made,
        updated_at=made,
    )
    await incident.save()
    if hours_to_resolve is not None:
        await IncidentChange(
            incident=incident.id, status="resolved", note="", created_at=made + timedelta(hours=hours_to_resolve)
        ).save()


async def test_staff_start_an_evaluation_once_a_year(client: Client, w: dict[str, Any]) -> None:
    auth = {**factories.token_for(w["staff"]), **EN}
    made = await client.post(f"{V1}/evaluations", json=evaluation_body(w), headers=auth)
    assert made.status_code == 201, made.text
    evaluation = made.json()
    assert evaluation["kind"] == "evaluation" and evaluation["per_household"] is True
    assert evaluation["subject_id"] == str(w["company"].id) and evaluation["title"] == f"{YEAR} evaluation of 南园物业"
    assert [q["criterion"] for q in evaluation["questions"]] == [
        "service",
        "cleanliness",
        "safety",
        "openness",
        "responsiveness",
    ]
    assert evaluation["questions"][3]["text"] == "Openness of accounts and fees"
    [entry] = await AuditEntry.select().where(AuditEntry.action == "governance.evaluation_created")
    assert entry["actor"] == w["staff"].id
    again = await client.post(f"{V1}/evaluations", json=evaluation_body(w), headers=auth)
    assert again.status_code == 409 and again.json()["code"] == "evaluation_exists"
    committee = await client.post(
        f"{V1}/evaluations", json=evaluation_body(w, subject="residents_committee"), headers=auth
    )
    assert committee.status_code == 201 and committee.json()["subject_id"] == str(w["tree"]["community_a"].id)
    no_company = evaluation_body(w, estate_id=str(w["other_estate"]))
    refused = await client.post(f"{V1}/evaluations", json=no_company, headers=factories.token_for(w["other_staff"]))
    assert refused.status_code == 422 and refused.json()["code"] == "no_property_company"
    refused = await client.post(
        f"{V1}/evaluations", json=evaluation_body(w), headers=factories.token_for(w["company_staff"])
    )
    assert refused.status_code == 403  # the company does not evaluate itself


async def test_published_scores_with_the_response_the_change_and_the_record(client: Client, w: dict[str, Any]) -> None:
    auth = factories.token_for(w["staff"])
    last = await client.post(f"{V1}/evaluations", json=evaluation_body(w, year=YEAR - 1), headers=auth)
    this = await client.post(f"{V1}/evaluations", json=evaluation_body(w), headers=auth)
    last_id, this_id = last.json()["id"], this.json()["id"]
    # Last year five households gave 3 everywhere; this year six give 4 (and one 5 on openness).
    await evaluate(client, last_id, [(i, (3, 3, 3, 3, 3)) for i in range(5)], w)
    await evaluate(client, this_id, [(i, (4, 4, 4, 5 if i == 0 else 4, 4)) for i in range(6)], w)
    second = await living(w, 0)
    refused = await client.post(
        f"{V1}/surveys/{this_id}/answers", json=scores(1, 1, 1, 1, 1), headers=factories.token_for(second)
    )
    assert refused.status_code == 409 and refused.json()["code"] == "household_answered"
    await report(w, hours_to_resolve=10)
    await report(w, hours_to_resolve=30)
    await report(w, hours_to_resolve=50)
    await report(w, hours_to_resolve=None)

    # The company's staff write the response; the community's staff and residents may not.
    response = {"text": {"zh-Hans": "感谢业主监督，我们将增加夜间巡逻。", "en": "Thank you; we will patrol at night."}}
    for headers, status in ((factories.token_for(second), 403), (auth, 403), ({}, 401)):
        assert (
            await client.put(f"{V1}/evaluations/{this_id}/response", json=response, headers=headers)
        ).status_code == status
    written = await client.put(
        f"{V1}/evaluations/{this_id}/response", json=response, headers=factories.token_for(w["company_staff"])
    )
    assert written.status_code == 204, written.text
    [entry] = await AuditEntry.select().where(AuditEntry.action == "governance.evaluation_response_written")
    assert entry["organisation"] == w["company"].id and entry["actor"] == w["company_staff"].id

    _, _, after = window()
    with clock.frozen(after):
        result = (await client.get(f"{V1}/surveys/{this_id}/results", headers=EN)).json()
        company = (
            await client.get(
                f"{V1}/property-companies/{w['company'].id}/evaluations", params={"year": YEAR}, headers=EN
            )
        ).json()
    evaluation = result["evaluation"]
    assert result["answers"] == 6
    assert evaluation["overall"] == pytest.approx(121 / 30, abs=0.01)
    assert evaluation["last_year"] == 3.0 and evaluation["change"] == pytest.approx(121 / 30 - 3, abs=0.01)
    assert evaluation["response"]["text"] == "Thank you; we will patrol at night."
    assert evaluation["record"] == {"reports": 4, "resolved": 3, "open": 1, "median_hours": 30.0, "longest_hours": 50.0}
    openness = result["questions"][3]
    assert openness["average"] == pytest.approx(25 / 6, abs=0.01)
    # One 5 among six is a cell of one: hidden, and the 4s with it.
    assert openness["options"][4]["count"] is None and openness["options"][3]["count"] is None
    assert result["questions"][0]["options"][3]["count"] == 6

    assert company["overall"] == pytest.approx(121 / 30, abs=0.01)
    assert [(e["evaluation_id"], e["change"]) for e in company["estates"]] == [
        (this_id, pytest.approx(121 / 30 - 3, abs=0.01))
    ]
    assert company["record"]["reports"] == 4


async def test_a_small_evaluation_publishes_no_scores(client: Client, w: dict[str, Any]) -> None:
    made = await client.post(f"{V1}/evaluations", json=evaluation_body(w), headers=factories.token_for(w["staff"]))
    await evaluate(client, made.json()["id"], [(i, (5, 5, 5, 5, 5)) for i in range(4)], w)
    _, _, after = window()
    with clock.frozen(after):
        result = (await client.get(f"{V1}/surveys/{made.json()['id']}/results")).json()
        company = (
            await client.get(f"{V1}/property-companies/{w['company'].id}/evaluations", params={"year": YEAR})
        ).json()
    assert result["answers"] is None and result["evaluation"]["overall"] is None
    assert all(q["average"] is None for q in result["questions"])
    assert company["overall"] is None and company["estates"][0]["overall"] is None
    unknown = await client.get(
        f"{V1}/property-companies/{w['tree']['community_a'].id}/evaluations", params={"year": YEAR}
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "company_not_found"
