"""The issue's check on the demo: an evaluation and a household survey run, and their published,
suppressed results read as anyone reads them."""

from __future__ import annotations

import httpx
import pytest

from backend.core.wiring import seed_demo
from backend.domains import DOMAINS
from backend.governance.surveys.tables import Survey
from backend.settings import Settings

Client = httpx.AsyncClient
V1 = "/api/v1"


async def test_the_demo_evaluation_is_published_and_the_lift_survey_open(client: Client, settings: Settings) -> None:
    await seed_demo(DOMAINS, keys=settings.sealing_keys)
    evaluation = (
        await Survey.select(Survey.id, Survey.subject, Survey.year)
        .where(Survey.kind == "evaluation")
        .order_by(Survey.year, ascending=False)
        .first()
    )
    result = (await client.get(f"{V1}/surveys/{evaluation['id']}/results", headers={"Accept-Language": "en"})).json()
    assert result["answers"] == 7
    scores = result["evaluation"]
    assert scores["overall"] == pytest.approx(3.94, abs=0.01) and scores["last_year"] == pytest.approx(
        86 / 30, abs=0.01
    )
    assert scores["change"] == pytest.approx(3.94 - 2.87, abs=0.01)
    assert scores["response"]["text"].startswith("Thank you for your evaluation")
    assert scores["record"] is not None
    # Openness: 3 ×5, 4 ×2 (a cell of two): the twos hidden, and the fives with them (7 − 5 gives 2).
    openness = result["questions"][3]
    assert openness["average"] == pytest.approx(23 / 7, abs=0.01)
    assert [o["count"] for o in openness["options"]] == [0, 0, None, None, 0]
    company = await client.get(
        f"{V1}/property-companies/{evaluation['subject']}/evaluations", params={"year": evaluation["year"]}
    )
    assert company.json()["estates"][0]["change"] == pytest.approx(3.94 - 2.87, abs=0.01)

    lifts = await Survey.select(Survey.id).where(Survey.kind == "survey").first()
    survey = (await client.get(f"{V1}/surveys/{lifts['id']}")).json()
    assert survey["state"] == "open" and survey["per_household"] is True and survey["answers"] is None
    early = await client.get(f"{V1}/surveys/{lifts['id']}/results")
    assert early.status_code == 409

    again = await seed_demo(DOMAINS, keys=settings.sealing_keys)
    assert await Survey.count() == 3 and not any(line.startswith("surveys:") for line in again)
