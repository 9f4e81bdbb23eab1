"""The advisory owners' poll (业主表决) over HTTP on both databases, and article 278's thresholds
as a rule: by head and by floor area, participation and approval, always worded as advisory."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backend.core import clock
from backend.governance.surveys.results import measure_poll
from backend.places import estates
from tests import factories
from tests.governance.survey_world import living, window, world

Client = httpx.AsyncClient
V1 = "/api/v1"
EN = {"Accept-Language": "en"}


@pytest.fixture
async def w(client: Client) -> dict[str, Any]:
    return await world()


def poll_body(w: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    opens, closes, _ = window()
    return {
        "estate_id": str(w["estate"]),
        "title": {"zh-Hans": "是否同意选聘新的物业服务企业", "en": "Choose a new property company?"},
        "opens_at": opens,
        "closes_at": closes,
        **overrides,
    }


def tallies(
    for_: tuple[int, float], against: tuple[int, float], abstain: tuple[int, float] = (0, 0.0)
) -> dict[Any, Any]:
    return {(0, 0): for_, (0, 1): against, (0, 2): abstain}


@pytest.mark.parametrize(
    ("major", "units", "area", "summed", "participation", "approval"),
    [
        # Exactly two thirds by head and by area take part: 以上 includes the mark.
        (False, 9, 900.0, tallies((4, 400.0), (2, 200.0)), True, True),
        # One unit short of two thirds by head.
        (False, 9, 900.0, tallies((4, 500.0), (1, 200.0)), False, True),
        # Enough heads, too little area.
        (False, 9, 900.0, tallies((4, 300.0), (2, 200.0)), False, True),
        # Ordinary matters need more than half: exactly half is not enough.
        (False, 6, 600.0, tallies((3, 300.0), (3, 300.0)), True, False),
        # Major matters need three quarters of both: 3 of 4 by head and by area pass …
        (True, 6, 600.0, tallies((3, 300.0), (1, 100.0)), True, True),
        # … 3 of 5 by head do not, however large their area.
        (True, 6, 600.0, tallies((3, 480.0), (2, 20.0)), True, False),
        # Abstaining is taking part without approving.
        (False, 6, 600.0, tallies((2, 200.0), (0, 0.0), (2, 200.0)), True, False),
    ],
)
def test_article_278_thresholds(
    major: bool, units: int, area: float, summed: dict[Any, Any], participation: bool, approval: bool
) -> None:
    counts = measure_poll({"major": major}, units, units, area, summed)
    assert counts.participation is participation
    assert counts.approval is approval


def test_without_every_floor_area_the_poll_judges_by_head_only() -> None:
    counts = measure_poll({"major": False}, 9, 8, 800.0, tallies((6, 600.0), (0, 0.0)))
    assert counts.area is None and counts.participation_by_area is None and counts.participation is None
    assert counts.participation_by_head is True and counts.approval_by_head is True


async def test_a_poll_needs_the_estates_units(client: Client, w: dict[str, Any]) -> None:
    staff_b = factories.token_for(w["other_staff"])
    refused = await client.post(
        f"{V1}/owner-polls", json=poll_body(w, estate_id=str(w["other_estate"])), headers=staff_b
    )
    assert refused.status_code == 422 and refused.json()["code"] == "no_units"
    refused = await client.post(f"{V1}/owner-polls", json=poll_body(w), headers=staff_b)
    assert refused.status_code == 403


async def test_an_owners_poll_counts_by_head_and_area_and_says_it_is_advisory(
    client: Client, w: dict[str, Any]
) -> None:
    made = await client.post(
        f"{V1}/owner-polls", json=poll_body(w, major=True), headers={**factories.token_for(w["staff"]), **EN}
    )
    assert made.status_code == 201, made.text
    poll = made.json()
    assert poll["kind"] == "poll" and poll["per_household"] is True and poll["major"] is True
    assert "advisory" in poll["advisory"] and "owners' assembly" in poll["advisory"]
    assert poll["questions"][0]["options"] == ["For", "Against", "Abstain"]
    url = f"{V1}/surveys/{poll['id']}/answers"
    # Units 3–8 (floor areas 120–170 m², 870 of 1170 m²) take part; 3–7 for, 8 against.
    for index in range(3, 9):
        owner = await living(w, index)
        vote = {"answers": [{"question": 0, "choices": [0 if index < 8 else 1]}]}
        assert (await client.post(url, json=vote, headers=factories.token_for(owner))).status_code == 204
    _, _, after = window()
    with clock.frozen(after):
        result = (await client.get(f"{V1}/surveys/{poll['id']}/results", headers=EN)).json()
        chinese = (await client.get(f"{V1}/surveys/{poll['id']}/results")).json()
    counts = result["poll"]
    assert counts["units"] == 9 and counts["area"] == 1170.0
    assert counts["participating_units"] == 6 and counts["participating_area"] == 870.0
    # One household against: those for are not shown, since taking part less for would name it
    # (870 - 700 = 170 m², unit 8's floor area); the thresholds still say what was reached.
    assert counts["for_units"] is None and counts["for_area"] is None
    assert counts["participation"] == {"by_head": True, "by_area": True, "reached": True}
    assert counts["approval"] == {"by_head": True, "by_area": True, "reached": True}
    assert "advisory" in counts["verdict"] and "article 278" in counts["basis"]
    assert "民法典" in chinese["poll"]["basis"] and "仅供参考" in chinese["poll"]["advisory"]


async def test_a_unit_without_floor_area_leaves_the_area_unknown(client: Client, w: dict[str, Any]) -> None:
    await estates.add_unit(user_id=None, building_id=w["building"], label="999", floor_area=None)
    made = await client.post(f"{V1}/owner-polls", json=poll_body(w), headers=factories.token_for(w["staff"]))
    _, _, after = window()
    with clock.frozen(after):
        result = (await client.get(f"{V1}/surveys/{made.json()['id']}/results", headers=EN)).json()
    assert result["poll"]["area"] is None and result["poll"]["participation"]["by_area"] is None
    assert result["poll"]["participating_units"] == 0
    assert "by head only" in result["poll"]["verdict"]


async def test_those_for_are_shown_when_the_rest_are_none_or_five_or_more(client: Client, w: dict[str, Any]) -> None:
    """The complement of a shown count must not be a small cell: with every household that took
    part for (no one else to name), the counts are shown."""
    made = await client.post(f"{V1}/owner-polls", json=poll_body(w), headers=factories.token_for(w["staff"]))
    url = f"{V1}/surveys/{made.json()['id']}/answers"
    for index in range(3, 9):
        vote = {"answers": [{"question": 0, "choices": [0]}]}
        owner = await living(w, index)
        assert (await client.post(url, json=vote, headers=factories.token_for(owner))).status_code == 204
    _, _, after = window()
    with clock.frozen(after):
        counts = (await client.get(f"{V1}/surveys/{made.json()['id']}/results", headers=EN)).json()["poll"]
    assert (counts["participating_units"], counts["for_units"]) == (6, 6)
    assert counts["for_area"] == counts["participating_area"] == 870.0
