"""The library room over HTTP (both databases): the branches a librarian keeps, details and rooms,
weekly hours and date exceptions with the calendar's preview, live seats — each change read back
through the API, each refusal as the API's, another library's branch not found."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import OrganisationKind, Role
from backend.core import clock
from tests import factories
from tests.web.console import send, sign_in

Client = httpx.AsyncClient
NINE_TO_FIVE = {str(d): [{"opens": "09:00", "closes": "17:00"}] for d in range(7)}


@pytest.fixture
async def lib(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    other = await factories.organisation(OrganisationKind.library, tree["street_b"], "莲花分馆")
    librarian = await factories.staff(Role.library_staff, tree["library_a"])
    stranger = await factories.staff(Role.library_staff, other)
    ours = await make_branch(client, tree["library_a"], librarian, "双塔分馆", e_reading_seats=20)
    theirs = await make_branch(client, other, stranger, "莲花分馆")
    return {"tree": tree, "librarian": librarian, "stranger": stranger, "ours": ours, "theirs": theirs}


async def make_branch(client: Client, library: Any, keeper: Any, name: str, **overrides: Any) -> dict[str, Any]:
    venue = await factories.venue(library, name=name)
    body = {
        "organisation_id": str(library.id),
        "venue_id": str(venue.id),
        "name": {"zh-Hans": name, "en": f"{name} (en)"},
        "address": {"zh-Hans": "人民路1号"},
        "services": ["lending", "e_reading"],
        "weekly_hours": NINE_TO_FIVE,
        **overrides,
    }
    made = await client.post("/api/v1/library-branches", json=body, headers=factories.token_for(keeper))
    assert made.status_code == 201, made.text
    return made.json()


async def read(client: Client, branch: dict[str, Any], **params: Any) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/library-branches/{branch['id']}", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def path(branch: dict[str, Any], tab: str = "") -> str:
    return f"/console/libraries/{branch['id']}" + (f"/{tab}" if tab else "")


def next_weekday(weekday: int) -> date:
    today = clock.city_today()
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


async def test_every_page_of_the_room_opens_for_a_librarian(client: Client, lib: dict[str, Any]) -> None:
    await sign_in(client, lib["librarian"])
    home = await client.get("/console")
    assert 'href="/console/libraries"' in home.text
    listed = await client.get("/console/libraries")
    assert listed.status_code == 200
    assert "双塔分馆" in listed.text and "莲花分馆" not in listed.text  # only their own library's
    for tab in ("", "rooms", "hours", "exceptions", "seats"):
        shown = await client.get(path(lib["ours"], tab))
        assert shown.status_code == 200, (tab, shown.text)
        assert "双塔分馆" in shown.text
    assert re.search(r'<html lang="zh-Hans"', shown.text)
