"""Surveys and votes over HTTP on both databases: made by community staff, answered once per
resident or per household by residents who live in the audience, counted anonymously, and
published with small counts suppressed when they close."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from piccolo.query.functions.aggregate import Sum

from backend.core import clock
from backend.core.tables import AuditEntry
from backend.governance.surveys.tables import HouseholdVote, Participation, Tally
from tests import factories
from tests.governance.survey_world import living, window, world

Client = httpx.AsyncClient
V1 = "/api/v1"
EN = {"Accept-Language": "en"}


def survey_body(w: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    opens, closes, _ = window()
    return {
        "community_id": str(w["tree"]["community_a"].id),
        "title": {"zh-Hans": "南园新村加装电梯意愿调查", "en": "Lifts for Nanyuan"},
        "audience": "estate",
        "audience_id": str(w["estate"]),
        "opens_at": opens,
        "closes_at": closes,
        "questions": [
            {
                "kind": "single",
                "text": {"zh-Hans": "是否同意加装电梯？", "en": "Add a lift?"},
                "options": [{"zh-Hans": "同意", "en": "Yes"}, {"zh-Hans": "不同意", "en": "No"}],
            },
            {
                "kind": "multiple",
                "text": {"zh-Hans": "您关心什么？", "en": "What matters to you?"},
                "options": [{"zh-Hans": "费用"}, {"zh-Hans": "噪音"}, {"zh-Hans": "采光"}],
            },
            {"kind": "rating", "text": {"zh-Hans": "对现状的满意度", "en": "How satisfied are you now?"}},
        ],
        **overrides,
    }


def answers(choice: int, concerns: list[int], rating: int) -> dict[str, Any]:
    return {
        "answers": [
            {"question": 0, "choices": [choice]},
            {"question": 1, "choices": concerns},
            {"question": 2, "rating": rating},
        ]
    }


@pytest.fixture
async def w(client: Client) -> dict[str, Any]:
    return await world()


async def test_community_staff_start_a_survey_and_others_may_not(client: Client, w: dict[str, Any]) -> None:
    made = await client.post(f"{V1}/surveys", json=survey_body(w), headers=factories.token_for(w["staff"]))
    assert made.status_code == 201, made.text
    survey = made.json()
    assert survey["state"] == "open" and survey["answers"] == 0 and survey["results_published"] is False
    assert [q["kind"] for q in survey["questions"]] == ["single", "multiple", "rating"]
    [entry] = await AuditEntry.select().where(AuditEntry.action == "governance.survey_created")
    assert entry["organisation"] == w["tree"]["community_a"].id and entry["permission"] == "manage_places"

    resident = await factories.resident()
    for headers, status in (
        (factories.token_for(w["other_staff"]), 403),
        (factories.token_for(resident), 403),
        (factories.token_for(w["company_staff"]), 403),
        ({}, 401),
    ):
        refused = await client.post(f"{V1}/surveys", json=survey_body(w), headers=headers)
        assert refused.status_code == status
    # Anyone reads what is asked, in their language; only staff see how many answered.
    read = await client.get(f"{V1}/surveys/{survey['id']}", headers=EN)
    assert read.json()["title"] == "Lifts for Nanyuan" and read.json()["answers"] is None
    listed = await client.get(f"{V1}/surveys", params={"community_id": str(w["tree"]["community_a"].id)})
    assert [s["id"] for s in listed.json()] == [survey["id"]]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"closes_at": "2020-01-01T00:00:00Z"}, "closes_before_opening"),
        ({"closes_at": "2030-01-01T00:00:00"}, "validation_failed"),  # a time without its zone
        ({"questions": [{"kind": "rating", "text": {"en": "x"}, "options": [{"en": "a"}]}]}, "question_invalid"),
        ({"questions": [{"kind": "single", "text": {"en": "x"}, "options": [{"en": "a"}]}]}, "question_invalid"),
        (
            {"audience": "community", "audience_id": "00000000-0000-4000-8000-000000000000"},
            "audience_outside_community",
        ),
    ],
)
async def test_a_broken_survey_is_refused_and_nothing_written(
    client: Client, w: dict[str, Any], change: dict[str, Any], code: str
) -> None:
    refused = await client.post(
        f"{V1}/surveys", json=survey_body(w, **change), headers={**factories.token_for(w["staff"]), **EN}
    )
    assert refused.status_code == 422 and refused.json()["code"] == code, refused.text
    assert await Tally.count() == 0


async def test_an_estate_of_another_community_is_not_an_audience(client: Client, w: dict[str, Any]) -> None:
    body = survey_body(w, audience_id=str(w["other_estate"]))
    refused = await client.post(f"{V1}/surveys", json=body, headers=factories.token_for(w["staff"]))
    assert refused.status_code == 422 and refused.json()["code"] == "audience_outside_community"


async def test_who_may_answer_is_said_with_a_reason(client: Client, w: dict[str, Any]) -> None:
    made = await client.post(f"{V1}/surveys", json=survey_body(w), headers=factories.token_for(w["staff"]))
    url = f"{V1}/surveys/{made.json()['id']}/answers"
    nowhere = await factories.resident()
    refused = await client.post(url, json=answers(0, [1], 4), headers={**factories.token_for(nowhere), **EN})
    assert refused.status_code == 403 and refused.json()["code"] == "residence_required"
    assert "where you live" in refused.json()["detail"]
    elsewhere = await living(w, None, estate=w["other_estate"])
    refused = await client.post(url, json=answers(0, [1], 4), headers=factories.token_for(elsewhere))
    assert refused.status_code == 403 and refused.json()["code"] == "not_in_audience"
    assert "小区" in refused.json()["detail"]  # the estate's name, in the reader's language
    here = await living(w, None)
    done = await client.post(url, json=answers(0, [1, 2], 4), headers=factories.token_for(here))
    assert done.status_code == 204, done.text
    again = await client.post(url, json=answers(1, [0], 2), headers=factories.token_for(here))
    assert again.status_code == 409 and again.json()["code"] == "already_answered"
    assert await Participation.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"answers": [{"question": 0, "choices": [0]}]},  # not every question
        answers(0, [], 3),  # a multiple choice with nothing chosen
        answers(5, [0], 3),  # no such option
        {
            "answers": [
                {"question": 0, "choices": [0, 1]},
                {"question": 1, "choices": [0]},
                {"question": 2, "rating": 3},
            ]
        },
        {
            "answers": [
                {"question": 0, "choices": [0]},
                {"question": 1, "choices": [0, 0]},
                {"question": 2, "rating": 3},
            ]
        },
        {
            "answers": [
                {"question": 0, "choices": [0]},
                {"question": 1, "choices": [0]},
                {"question": 2, "choices": [1]},
            ]
        },
        {"answers": [{"question": 9, "choices": [0]}]},
    ],
)
async def test_a_broken_answer_is_refused_and_counts_nothing(
    client: Client, w: dict[str, Any], body: dict[str, Any]
) -> None:
    made = await client.post(f"{V1}/surveys", json=survey_body(w), headers=factories.token_for(w["staff"]))
    here = await living(w, None)
    refused = await client.post(
        f"{V1}/surveys/{made.json()['id']}/answers", json=body, headers=factories.token_for(here)
    )
    assert refused.status_code == 422 and refused.json()["code"] == "answer_invalid", refused.text
    assert await Participation.count() == 0
    total = await Tally.select(Sum(Tally.chosen).as_alias("n")).first()
    assert not total["n"]


async def test_a_survey_not_yet_open_or_closed_takes_no_answers(client: Client, w: dict[str, Any]) -> None:
    here = await living(w, None)
    now = clock.now()
    for state, opens, closes in (("upcoming", 1, 2), ("closed", -2, -1)):
        body = survey_body(
            w, opens_at=clock.iso(now + timedelta(hours=opens)), closes_at=clock.iso(now + timedelta(hours=closes))
        )
        made = await client.post(f"{V1}/surveys", json=body, headers=factories.token_for(w["staff"]))
        assert made.json()["state"] == state
        refused = await client.post(
            f"{V1}/surveys/{made.json()['id']}/answers",
            json=answers(0, [0], 3),
            headers={**factories.token_for(here), **EN},
        )
        assert refused.status_code == 409 and refused.json()["code"] == "survey_not_open"
        assert refused.json()["params"]["state"] == state


async def test_one_answer_per_household(client: Client, w: dict[str, Any]) -> None:
    body = survey_body(w, per_household=True)
    made = await client.post(f"{V1}/surveys", json=body, headers=factories.token_for(w["staff"]))
    url = f"{V1}/surveys/{made.json()['id']}/answers"
    first, second = await living(w, 0), await living(w, 0)
    assert (await client.post(url, json=answers(0, [0], 5), headers=factories.token_for(first))).status_code == 204
    refused = await client.post(url, json=answers(1, [1], 1), headers={**factories.token_for(second), **EN})
    assert refused.status_code == 409 and refused.json()["code"] == "household_answered"
    assert "household has already answered" in refused.json()["detail"].replace(
        "Someone of your household has already answered", "household has already answered"
    )
    no_unit = await living(w, None)
    refused = await client.post(url, json=answers(0, [0], 5), headers=factories.token_for(no_unit))
    assert refused.status_code == 403 and refused.json()["code"] == "unit_required"
    # The refused answer left nothing behind: one participation, one household, one count.
    assert await Participation.count() == 1 and await HouseholdVote.count() == 1
    total = await Tally.select(Sum(Tally.chosen).as_alias("n")).where(Tally.question == 0).first()
    assert total["n"] == 1


async def test_two_of_one_household_at_once_one_wins(client: Client, w: dict[str, Any]) -> None:
    made = await client.post(
        f"{V1}/surveys", json=survey_body(w, per_household=True), headers=factories.token_for(w["staff"])
    )
    url = f"{V1}/surveys/{made.json()['id']}/answers"
    first, second = await living(w, 3), await living(w, 3)
    replies = await asyncio.gather(
        client.post(url, json=answers(0, [0], 5), headers=factories.token_for(first)),
        client.post(url, json=answers(1, [1], 1), headers=factories.token_for(second)),
    )
    assert sorted(r.status_code for r in replies) == [204, 409]
    assert [r.json()["code"] for r in replies if r.status_code == 409] == ["household_answered"]
    assert await Participation.count() == 1 and await HouseholdVote.count() == 1
    total = await Tally.select(Sum(Tally.chosen).as_alias("n")).where(Tally.question == 0).first()
    assert total["n"] == 1


async def test_results_are_published_at_the_close_suppressed_and_anonymous(client: Client, w: dict[str, Any]) -> None:
    made = await client.post(
        f"{V1}/surveys", json=survey_body(w, per_household=True), headers=factories.token_for(w["staff"])
    )
    survey_id = made.json()["id"]
    url = f"{V1}/surveys/{survey_id}/answers"
    # Eight households: six for, two against; concerns 0 ×8, 1 ×3, 2 ×0; ratings 4 ×5, 2 ×3.
    people = [await living(w, i) for i in range(8)]
    for i, person in enumerate(people):
        body = answers(0 if i < 6 else 1, [0, 1] if i < 3 else [0], 4 if i < 5 else 2)
        assert (await client.post(url, json=body, headers=factories.token_for(person))).status_code == 204

    # Before the close: nobody reads results; the community's staff see how many answered.
    for headers in ({}, factories.token_for(w["staff"]), factories.token_for(people[0])):
        early = await client.get(f"{V1}/surveys/{survey_id}/results", headers=headers)
        assert early.status_code == 409 and early.json()["code"] == "results_not_published"
    staff_view = await client.get(f"{V1}/surveys/{survey_id}", headers=factories.token_for(w["staff"]))
    assert staff_view.json()["answers"] == 8
    resident_view = await client.get(f"{V1}/surveys/{survey_id}", headers=factories.token_for(people[0]))
    assert resident_view.json()["answers"] is None

    _, _, after = window()
    with clock.frozen(after):
        published = await client.get(f"{V1}/surveys/{survey_id}/results", headers=EN)
        assert published.status_code == 200, published.text
        result = published.json()
        read = await client.get(f"{V1}/surveys/{survey_id}")
    assert read.json()["state"] == "closed" and read.json()["results_published"] is True
    assert result["answers"] == 8
    lift, concerns, rating = result["questions"]
    # 6 for is shown; 2 against is under five: hidden, and 6 with it (8 − 6 would give it away).
    assert [o["count"] for o in lift["options"]] == [None, None]
    assert [o["text"] for o in lift["options"]] == ["Yes", "No"]
    # A multiple choice's counts do not add up to the total: only the small one is hidden; zero names nobody.
    assert [o["count"] for o in concerns["options"]] == [8, None, 0]
    assert concerns["options"][0]["share"] == 1.0
    assert rating["average"] == pytest.approx((4 * 5 + 2 * 3) / 8, abs=0.01)
    assert [o["count"] for o in rating["options"]] == [0, None, 0, 5, 0] or rating["options"][3]["count"] is None
    assert "q0.option1" in result["suppressed"] and "q1.option1" in result["suppressed"]

    # Anonymous: what was chosen is kept only as counts; who took part has no choice beside it.
    assert "user" not in {c._meta.name for c in Tally._meta.columns}
    assert {c._meta.name for c in Participation._meta.columns} == {"id", "survey", "user", "answered_at"}
    assert str(people[0].id) not in published.text


async def test_fewer_than_five_answers_show_nothing_but_that(client: Client, w: dict[str, Any]) -> None:
    made = await client.post(f"{V1}/surveys", json=survey_body(w), headers=factories.token_for(w["staff"]))
    survey_id = made.json()["id"]
    for _i in range(3):
        person = await living(w, None)
        await client.post(
            f"{V1}/surveys/{survey_id}/answers", json=answers(0, [0], 5), headers=factories.token_for(person)
        )
    _, _, after = window()
    with clock.frozen(after):
        result = (await client.get(f"{V1}/surveys/{survey_id}/results")).json()
    assert result["answers"] is None and result["suppressed"][0] == "answers"
    assert all(o["count"] is None for q in result["questions"] for o in q["options"])
    assert result["questions"][2]["average"] is None


async def test_the_export_says_answers_cannot_be_linked_and_erasure_keeps_the_counts(
    client: Client, w: dict[str, Any]
) -> None:
    made = await client.post(
        f"{V1}/surveys", json=survey_body(w, per_household=True), headers=factories.token_for(w["staff"])
    )
    survey_id = made.json()["id"]
    person = await living(w, 0)
    token = factories.token_for(person)
    await client.post(f"{V1}/surveys/{survey_id}/answers", json=answers(0, [0], 5), headers=token)
    export = await client.get(f"{V1}/me/export", headers={**token, **EN})
    part = export.json()["domains"]["governance"]["surveys"]
    assert [p["survey_id"] for p in part["took_part"]] == [survey_id]
    assert "not kept with your name" in part["answers"]
    gone = await client.delete(f"{V1}/me", headers=token)
    assert gone.status_code in (200, 204), gone.text
    assert await Participation.count() == 0
    assert await HouseholdVote.count() == 1  # the household still cannot answer twice
    total = await Tally.select(Sum(Tally.chosen).as_alias("n")).where(Tally.question == 0).first()
    assert total["n"] == 1


async def test_answering_earns_points_once_and_never_says_what_was_chosen(client: Client, w: dict[str, Any]) -> None:
    made = await client.post(f"{V1}/surveys", json=survey_body(w), headers=factories.token_for(w["staff"]))
    url = f"{V1}/surveys/{made.json()['id']}/answers"
    resident = await living(w, 0)
    assert (await client.post(url, json=answers(1, [2], 3), headers=factories.token_for(resident))).status_code == 204
    again = await client.post(url, json=answers(0, [0], 5), headers=factories.token_for(resident))
    assert again.status_code == 409
    points = await client.get(f"{V1}/me/points", params={"lang": "en"}, headers=factories.token_for(resident))
    [entry] = points.json()["entries"]
    assert (points.json()["balance"], entry["reason"]) == (5, "survey_answer")
    assert entry["reason_text"] == "Answered: Lifts for Nanyuan"
    export = await client.get(f"{V1}/me/export", headers=factories.token_for(resident))
    [kept] = export.json()["domains"]["inclusion"]["points"]
    assert kept["reason_params"] == {"survey": {"zh-Hans": "南园新村加装电梯意愿调查", "en": "Lifts for Nanyuan"}}
