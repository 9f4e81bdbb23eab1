"""Residents are told when a survey they may answer opens: at once when it opens as it is made,
else when the ``announce_surveys`` chore finds it open; once, and only those in its audience."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.core import clock
from backend.governance.surveys.services import announce_opened
from backend.notifications.tables import Notice
from tests import factories
from tests.governance.survey_world import living, world
from tests.governance.test_surveys import survey_body

Client = httpx.AsyncClient
V1 = "/api/v1"


@pytest.fixture
async def w(client: Client) -> dict[str, Any]:
    return await world()


async def test_residents_of_the_audience_are_told_a_survey_opened(client: Client, w: dict[str, Any]) -> None:
    here, there = await living(w, 0), await living(w, None, estate=w["other_estate"])
    made = await client.post(f"{V1}/surveys", json=survey_body(w), headers=factories.token_for(w["staff"]))
    inbox = await client.get(f"{V1}/me/notifications", headers={**factories.token_for(here), "Accept-Language": "en"})
    [notice] = inbox.json()["items"]
    assert notice["kind"] == "survey_opened" and notice["survey_id"] == made.json()["id"]
    assert notice["title"] == "Survey open" and "Lifts for Nanyuan" in notice["body"]
    elsewhere = await client.get(f"{V1}/me/notifications", headers=factories.token_for(there))
    assert elsewhere.json()["items"] == []
    assert await announce_opened() == 0  # announced once


async def test_a_later_survey_is_announced_when_it_opens(client: Client, w: dict[str, Any]) -> None:
    here = await living(w, 0)
    now = clock.now()
    body = survey_body(w, opens_at=clock.iso(now + timedelta(days=1)), closes_at=clock.iso(now + timedelta(days=8)))
    await client.post(f"{V1}/surveys", json=body, headers=factories.token_for(w["staff"]))
    assert await announce_opened() == 0 and await Notice.count() == 0
    with clock.frozen(now + timedelta(days=1, minutes=5)):
        assert await announce_opened() == 1
        assert await announce_opened() == 0
    assert await Notice.count().where(Notice.recipient == here.id) == 1
