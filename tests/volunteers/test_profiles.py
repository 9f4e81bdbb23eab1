"""The volunteer profile over HTTP: consent, the minimum of identity, sealed at rest, masked on show."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from backend.settings import Settings
from backend.volunteers.people.services import identity_for_record, mask_id_number, mask_real_name, resident_id_is_valid
from backend.volunteers.people.tables import VolunteerProfile
from tests import factories

Client = httpx.AsyncClient
RESIDENT_ID = "11010519491231002X"  # the standard's worked example: its check character is X


async def save(client: Client, user: Any, body: dict[str, Any], **params: str) -> httpx.Response:
    return await client.post("/api/v1/volunteers", json=body, headers=factories.token_for(user), params=params)


# --- opting in -----------------------------------------------------------------------------------


async def test_consent_is_required(client: Client) -> None:
    user = await factories.resident()
    refused = await save(client, user, {"consent": False})
    assert (refused.status_code, refused.json()["code"]) == (422, "consent_required")
    missing = await save(client, user, {"skills": ["急救"]})
    assert (missing.status_code, missing.json()["code"]) == (422, "validation_failed")
    assert await VolunteerProfile.count() == 0


async def test_anonymous_callers_cannot_opt_in(client: Client) -> None:
    answer = await client.post("/api/v1/volunteers", json={"consent": True})
    assert answer.status_code == 401


async def test_the_minimum_profile_is_consent_alone(client: Client) -> None:
    user = await factories.resident()
    missing = await client.get("/api/v1/volunteers/me", headers=factories.token_for(user))
    assert (missing.status_code, missing.json()["code"]) == (404, "volunteer_profile_not_found")
    made = await save(client, user, {"consent": True})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["real_name_masked"] is None and body["id_number_masked"] is None and body["id_document"] is None
    assert body["skills"] == [] and body["consented_at"]


async def test_identity_is_masked_on_show_and_sealed_at_rest(client: Client, settings: Settings) -> None:
    user = await factories.resident()
    made = await save(
        client,
        user,
        {
            "consent": True,
            "real_name": "  张晓明 ",
            "id_document": "resident_id",
            "id_number": RESIDENT_ID.lower(),
            "skills": ["急救", " 急救 ", "手语"],
            "languages": ["zh", "wuu"],
        },
        lang="en",
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["real_name_masked"] == "张*明"
    assert body["id_number_masked"] == "1101**********002X"
    assert body["id_document_name"] == "Resident ID card"
    assert body["skills"] == ["急救", "手语"]
    assert "张晓明" not in made.text and RESIDENT_ID not in made.text
    shown = await client.get("/api/v1/volunteers/me", headers=factories.token_for(user))
    assert shown.json()["real_name_masked"] == "张*明"
    assert "张晓明" not in shown.text and RESIDENT_ID not in shown.text
    row = await VolunteerProfile.select().where(VolunteerProfile.user == user.id).first()
    assert "张晓明" not in row["real_name_sealed"] and RESIDENT_ID not in row["id_number_sealed"]
    assert RESIDENT_ID[:10] not in row["id_number_sealed"]
    identity = await identity_for_record(user_id=user.id, keys=settings.sealing_keys)
    assert identity is not None and identity.real_name == "张晓明"


async def test_saving_again_keeps_consent_time_and_what_was_left_out(client: Client) -> None:
    user = await factories.resident()
    first = (await save(client, user, {"consent": True, "real_name": "John Smith", "skills": ["first aid"]})).json()
    again = await save(client, user, {"consent": True, "languages": ["en"]})
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["consented_at"] == first["consented_at"]
    assert (body["real_name_masked"], body["skills"], body["languages"]) == ("J*** S****", ["first aid"], ["en"])
    assert await VolunteerProfile.count().where(VolunteerProfile.user == user.id) == 1


async def test_concurrent_opt_ins_make_one_profile(client: Client) -> None:
    user = await factories.resident()
    answers = await asyncio.gather(*(save(client, user, {"consent": True, "skills": ["急救"]}) for _ in range(6)))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert await VolunteerProfile.count().where(VolunteerProfile.user == user.id) == 1


async def test_identity_can_be_erased(client: Client, settings: Settings) -> None:
    user = await factories.resident()
    await save(
        client,
        user,
        {
            "consent": True,
            "real_name": "李小梅",
            "id_document": "passport",
            "id_number": "E12345678",
            "skills": ["手语"],
        },
    )
    erased = await client.delete("/api/v1/volunteers/me/identity", headers=factories.token_for(user))
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert (body["real_name_masked"], body["id_document"], body["id_number_masked"]) == (None, None, None)
    assert body["skills"] == ["手语"]
    row = await VolunteerProfile.select().where(VolunteerProfile.user == user.id).first()
    assert row["real_name_sealed"] is None and row["id_number_sealed"] is None
    assert await identity_for_record(user_id=user.id, keys=settings.sealing_keys) is None
    nobody = await client.delete(
        "/api/v1/volunteers/me/identity", headers=factories.token_for(await factories.resident())
    )
    assert nobody.status_code == 404


# --- refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"real_name": "张"}, "real_name_invalid"),
        ({"real_name": "张\u0000明"}, "validation_failed"),  # no NUL in any text (core/input_checks.py)
        ({"real_name": "名" * 10_000}, "validation_failed"),
        ({"id_document": "resident_id"}, "id_document_incomplete"),
        ({"id_number": RESIDENT_ID}, "id_document_incomplete"),
        ({"id_document": "resident_id", "id_number": "110105194912310021"}, "id_number_check_failed"),
        ({"id_document": "resident_id", "id_number": "1101051949123100"}, "id_number_invalid"),
        ({"id_document": "passport", "id_number": "E12-4567"}, "id_number_invalid"),
        ({"id_document": "passport", "id_number": "E12"}, "id_number_invalid"),
        ({"id_document": "passport", "id_number": "E" * 5000}, "validation_failed"),
        ({"skills": ["x"] * 21}, "validation_failed"),
        ({"skills": ["x" * 31]}, "validation_failed"),
        ({"languages": ["english-please"]}, "validation_failed"),
        ({"languages": ["zh"] * 11}, "validation_failed"),
    ],
)
async def test_bad_input_is_refused(client: Client, body: dict[str, Any], code: str) -> None:
    user = await factories.resident()
    refused = await save(client, user, {"consent": True, **body}, lang="en")
    assert (refused.status_code, refused.json()["code"]) == (422, code), refused.text
    assert await VolunteerProfile.count() == 0


async def test_a_bad_check_digit_is_explained(client: Client) -> None:
    user = await factories.resident()
    refused = await save(
        client, user, {"consent": True, "id_document": "resident_id", "id_number": "110105194912310021"}, lang="en"
    )
    assert refused.json()["detail"] == "This resident ID number is not valid. Please check it digit by digit."


async def test_an_unknown_document_is_refused_in_the_callers_language(client: Client) -> None:
    user = await factories.resident()
    body = {"consent": True, "id_document": "library_card", "id_number": "12345678"}
    english = await save(client, user, body, lang="en")
    chinese = await save(client, user, body)
    assert english.status_code == chinese.status_code == 422
    assert english.json()["errors"][0]["field"] == "id_document"
    assert english.json()["errors"][0]["message"] == "This is not one of the allowed values."
    assert chinese.headers["content-language"] == "zh-Hans"
    assert chinese.json()["errors"][0]["message"] != english.json()["errors"][0]["message"]
    assert chinese.json()["detail"] != english.json()["detail"]


# --- masks and the check character -------------------------------------------------------------


def test_masks() -> None:
    assert mask_real_name("张晓明") == "张*明"
    assert mask_real_name("张明") == "张*"
    assert mask_real_name("欧阳晓明") == "欧**明"
    assert mask_real_name("John Smith") == "J*** S****"
    assert mask_id_number(RESIDENT_ID) == "1101**********002X"
    assert mask_id_number("E12345678") == "E1*****78"
    assert mask_id_number("E1234") == "E***4"


def test_resident_id_check_character() -> None:
    assert resident_id_is_valid(RESIDENT_ID)
    assert not resident_id_is_valid("110105194912310021")
    assert not resident_id_is_valid("11010519491231002x")  # the service upper-cases first
    assert resident_id_is_valid("440524188001010014")
