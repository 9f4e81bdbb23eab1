"""The resident profile (self-declared, with consent) and guardian links for children under 14."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from backend.accounts.tables import User
from backend.core.i18n import CITY_TZ, translations
from backend.inclusion.profiles.queries import profile_of
from backend.inclusion.profiles.services import age_band
from backend.inclusion.profiles.tables import Dependant
from tests import factories

Client = httpx.AsyncClient
THIS_YEAR = datetime.now(UTC).year
PROFILE = "/api/v1/me/resident-profile"


@pytest.fixture
async def tree(client: Client) -> dict[str, Any]:
    return await factories.city_tree()


async def person(birth_year: int | None = None) -> User:
    user = await factories.resident()
    if birth_year is not None:
        await User.update({User.birth_year: birth_year}).where(User.id == user.id)
    return user


def this_month() -> str:
    return datetime.now(CITY_TZ).strftime("%Y-%m")


@pytest.mark.parametrize(
    ("birth_year", "band"),
    [
        (None, None),
        (2016, "child"),
        (2013, "child"),
        (2012, "youth"),
        (1991, "youth"),
        (1990, "adult"),
        (1967, "adult"),
        (1966, "senior"),
    ],
)
def test_age_bands_follow_the_birth_year(birth_year: int | None, band: str | None) -> None:
    assert age_band(birth_year, date(2026, 6, 1)) == band


async def test_a_resident_fills_in_reads_and_replaces_their_profile(client: Client, tree: dict[str, Any]) -> None:
    resident = await person(THIS_YEAR - 25)
    headers = factories.token_for(resident)
    assert (await client.get(PROFILE, headers=headers)).json()["code"] == "resident_profile_not_found"
    body = {
        "consent": True,
        "community_id": str(tree["community_a"].id),
        "resident_group": "new_resident",
        "arrival_month": this_month(),
        "languages": ["zh", "en", "en"],
        "interests": ["performance", "reading"],
        "prefers_evenings_weekends": True,
        "home": {"latitude": 31.294612, "longitude": 120.628549},
        "leaderboard_opt_in": True,
    }
    created = await client.put(PROFILE, json=body, headers=headers)
    assert created.status_code == 201, created.text
    profile = (await client.get(PROFILE, headers=headers)).json()
    assert profile == {**created.json(), "updated_at": profile["updated_at"], "consented_at": profile["consented_at"]}
    assert (profile["community_name"], profile["resident_group"], profile["arrival_month"]) == (
        "南园社区",
        "new_resident",
        this_month(),
    )
    assert (profile["languages"], profile["interests"], profile["age_band"]) == (
        ["zh", "en"],
        ["performance", "reading"],
        "youth",
    )
    assert profile["home"] == {"latitude": 31.295, "longitude": 120.629}  # about 100 m, never the door
    stored = await profile_of(resident.id)
    assert stored is not None and (stored.home_latitude, stored.home_longitude) == (31.295, 120.629)
    replaced = await client.put(PROFILE, json={"consent": True}, headers=headers)
    assert replaced.status_code == 200
    assert (replaced.json()["community_id"], replaced.json()["home"], replaced.json()["languages"]) == (None, None, [])


async def test_bad_profiles_are_refused(client: Client, tree: dict[str, Any]) -> None:
    headers = factories.token_for(await person())
    next_year = f"{THIS_YEAR + 1}-01"
    cases = [
        ({"consent": False}, "consent_required"),
        ({"consent": True, "arrival_month": next_year}, "arrival_in_future"),
        ({"consent": True, "community_id": str(tree["street_a"].id)}, "community_invalid"),
        ({"consent": True, "interests": ["knitting"]}, "validation_failed"),
        ({"consent": True, "languages": ["zh"] * 11}, "validation_failed"),
        ({"consent": True, "arrival_month": "2026-13"}, "validation_failed"),
        ({"consent": True, "resident_group": "tourist"}, "validation_failed"),
        ({"consent": True, "home": {"latitude": 91, "longitude": 120}}, "validation_failed"),
        ({}, "validation_failed"),
    ]
    for body, code in cases:
        response = await client.put(PROFILE, json=body, headers=headers)
        assert (response.status_code, response.json()["code"]) == (422, code), body
    assert (await client.get(PROFILE, headers=headers)).status_code == 404
    assert (await client.put(PROFILE, json={"consent": True})).status_code == 401


async def test_a_child_cannot_have_a_profile(client: Client, tree: dict[str, Any]) -> None:
    child = await person(THIS_YEAR - 12)
    response = await client.put(PROFILE + "?lang=en", json={"consent": True}, headers=factories.token_for(child))
    assert (response.status_code, response.json()["code"]) == (422, "child_needs_guardian")
    assert "guardian" in response.json()["detail"]
    assert await profile_of(child.id) is None


async def test_consent_withdrawn_deletes_the_profile(client: Client, tree: dict[str, Any]) -> None:
    headers = factories.token_for(await person())
    assert (
        await client.put(PROFILE, json={"consent": True, "resident_group": "migrant_worker"}, headers=headers)
    ).status_code == 201
    assert (await client.delete(PROFILE, headers=headers)).status_code == 204
    assert (await client.get(PROFILE, headers=headers)).status_code == 404
    assert (await client.delete(PROFILE, headers=headers)).status_code == 404


# --- guardians -----------------------------------------------------------------------------------------


async def test_a_guardian_links_lists_and_unlinks_their_children(client: Client, tree: dict[str, Any]) -> None:
    guardian = await person(THIS_YEAR - 38)
    headers = factories.token_for(guardian)
    added = await client.post(
        "/api/v1/me/dependants", json={"display_name": " 小宝 ", "birth_year": THIS_YEAR - 6}, headers=headers
    )
    assert added.status_code == 201, added.text
    assert (added.json()["display_name"], added.json()["birth_year"]) == ("小宝", THIS_YEAR - 6)
    listed = (await client.get("/api/v1/me/dependants", headers=headers)).json()
    assert [child["id"] for child in listed] == [added.json()["id"]]
    removed = await client.delete(f"/api/v1/me/dependants/{added.json()['id']}", headers=headers)
    assert removed.status_code == 204
    assert (await client.get("/api/v1/me/dependants", headers=headers)).json() == []


async def test_someone_elses_child_is_not_found(client: Client, tree: dict[str, Any]) -> None:
    guardian, stranger = await person(), await person()
    added = await client.post(
        "/api/v1/me/dependants",
        json={"display_name": "小宝", "birth_year": THIS_YEAR - 6},
        headers=factories.token_for(guardian),
    )
    other = factories.token_for(stranger)
    assert (await client.get("/api/v1/me/dependants", headers=other)).json() == []
    response = await client.delete(f"/api/v1/me/dependants/{added.json()['id']}", headers=other)
    assert (response.status_code, response.json()["code"]) == (404, "dependant_not_found")
    assert await Dependant.count() == 1


async def test_guardian_rules(client: Client, tree: dict[str, Any]) -> None:
    adult_headers = factories.token_for(await person(THIS_YEAR - 30))
    too_old = await client.post(
        "/api/v1/me/dependants", json={"display_name": "大宝", "birth_year": THIS_YEAR - 14}, headers=adult_headers
    )
    assert (too_old.status_code, too_old.json()["code"]) == (422, "dependant_not_a_child")
    unborn = await client.post(
        "/api/v1/me/dependants", json={"display_name": "宝", "birth_year": THIS_YEAR + 1}, headers=adult_headers
    )
    assert (unborn.status_code, unborn.json()["code"]) == (422, "dependant_not_a_child")
    teen = factories.token_for(await person(THIS_YEAR - 16))
    young = await client.post(
        "/api/v1/me/dependants?lang=en", json={"display_name": "小宝", "birth_year": THIS_YEAR - 2}, headers=teen
    )
    assert (young.status_code, young.json()["code"]) == (422, "guardian_too_young")
    assert young.json()["detail"] == "A guardian must be at least 18 years old."
    for name in ("", "x" * 33, " \t "):
        response = await client.post(
            "/api/v1/me/dependants", json={"display_name": name, "birth_year": THIS_YEAR - 5}, headers=adult_headers
        )
        assert response.status_code == 422, name
    # A guardian whose birth year is unknown may add a child.
    unknown = await client.post(
        "/api/v1/me/dependants",
        json={"display_name": "小宝", "birth_year": THIS_YEAR - 5},
        headers=factories.token_for(await person()),
    )
    assert unknown.status_code == 201
    assert (await client.get("/api/v1/me/dependants")).status_code == 401


async def test_an_impossible_month_is_explained_as_a_month(client: Client, tree: dict[str, Any]) -> None:
    headers = factories.token_for(await person())
    body = {"consent": True, "arrival_month": "2026-13"}
    response = await client.put(PROFILE + "?lang=ja", json=body, headers=headers)
    problem = response.json()
    assert (response.status_code, problem["code"]) == (422, "validation_failed")
    (error,) = problem["errors"]
    assert (error["field"], error["code"]) == ("arrival_month", "invalid_month")
    assert error["message"] == translations("ja").gettext("Not a month. Write a month as 2026-09.")
    assert "regex" not in response.text
