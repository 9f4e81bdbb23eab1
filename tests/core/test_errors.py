"""One problem-details shape for every failure, in the caller's language, never a stack trace."""

from __future__ import annotations

import gzip
import uuid

import httpx
import pytest

from backend.accounts import controllers as account_controllers
from backend.accounts.tables import OrganisationKind, Role
from backend.core.errors import PROBLEM_TYPE_BASE
from backend.core.i18n import translations
from tests import factories

Client = httpx.AsyncClient
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == PROBLEM_TYPE_BASE + code
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


async def test_not_found_in_japanese(client: Client) -> None:
    response = await client.get("/api/v1/nowhere", headers={"Accept-Language": "ja"})
    body = assert_problem(response, 404, "not_found")
    assert response.headers["Content-Language"] == "ja"
    assert "Accept-Language" in response.headers["Vary"]
    assert body["detail"] == translations("ja").gettext("Not found.")
    assert body["detail"] != "Not found."


@pytest.mark.parametrize("lang", ["zh-Hans", "en", "zh-Hant", "ja", "ko"])
async def test_errors_speak_every_locale(client: Client, lang: str) -> None:
    response = await client.get("/api/v1/me", params={"lang": lang})
    body = assert_problem(response, 401, "not_authenticated")
    assert response.headers["Content-Language"] == lang
    assert body["detail"] == translations(lang).gettext("Please log in first.")


async def test_unknown_lang_parameter_is_a_400(client: Client) -> None:
    body = assert_problem(await client.get("/api/v1/locales", params={"lang": "klingon"}), 400, "unsupported_locale")
    assert "zh-Hans" in body["detail"]


async def test_wrong_method_is_405(client: Client) -> None:
    response = await client.put("/api/v1/locales", headers={"Accept-Language": "en"})
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["Content-Language"] == "en"


@pytest.mark.parametrize(
    "content",
    [b'{"code":', b"\xff\xfe\x00", b"not json at all", b'{"code": "a" "b"}'],
    ids=["truncated", "invalid-utf8", "text", "garbled"],
)
async def test_malformed_json_is_a_400(client: Client, content: bytes) -> None:
    response = await client.post("/api/v1/auth/wechat", content=content, headers={"Content-Type": "application/json"})
    assert_problem(response, 400, "malformed_body")


async def test_deeply_nested_json_is_refused_cleanly(client: Client) -> None:
    nested = b'{"code":' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = await client.post("/api/v1/auth/wechat", content=nested, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.json()["code"] in ("malformed_body", "validation_failed")


async def test_wrong_types_name_the_field(client: Client) -> None:
    response = await client.post("/api/v1/auth/login", json={"username": 12, "password": "x"}, params={"lang": "en"})
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"] == [{"field": "username", "message": "Wrong type: expected text.", "code": "wrong_type"}]


async def test_missing_fields_and_wrong_top_level_type(client: Client) -> None:
    missing = assert_problem(await client.post("/api/v1/auth/login", json={"username": "a"}), 422, "validation_failed")
    assert missing["errors"][0]["field"] == "password"
    assert missing["errors"][0]["code"] == "required"
    array = assert_problem(await client.post("/api/v1/auth/login", json=[1, 2]), 422, "validation_failed")
    assert array["errors"][0]["code"] == "wrong_type"


async def test_huge_strings_are_refused_by_their_limit(client: Client) -> None:
    response = await client.post("/api/v1/auth/wechat", json={"code": "x" * 100_000})
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"][0]["code"] == "too_long"


async def test_a_body_over_the_limit_is_413_and_says_the_limit(client: Client) -> None:
    big = b'{"code": "' + b"x" * (11 * 1024 * 1024) + b'"}'
    response = await client.post(
        "/api/v1/auth/wechat", content=big, headers={"Content-Type": "application/json", "Accept-Language": "en"}
    )
    body = assert_problem(response, 413, "payload_too_large")
    assert body["detail"] == "The request is too large; the limit is 10 MB."
    assert body["params"] == {"limit_mb": 10}


@pytest.mark.parametrize("megabytes", [12, 26])
async def test_an_upload_over_the_request_limit_says_the_image_limit(client: Client, megabytes: int) -> None:
    """Past the request limit the body is never read, yet the uploader learns the limit that
    matters to them, the image one, as an upload between the two limits does."""
    organiser = await factories.staff(Role.organiser, await factories.organisation(OrganisationKind.city))
    response = await client.post(
        f"/api/v1/events/{uuid.uuid4()}/poster",
        files={"file": ("poster.jpg", b"\xff" * (megabytes * 1024 * 1024), "image/jpeg")},
        headers={**factories.token_for(organiser), "Accept-Language": "ja"},
    )
    body = assert_problem(response, 413, "image_file_too_large")
    assert body["params"] == {"limit_mb": 8}
    expected = translations("ja").gettext("The image file is too large; the limit is {limit_mb} MB.")
    assert body["detail"] == expected.format(limit_mb=8)


# --- impossible and unreadable dates -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "field", "form"),
    [
        ("/api/v1/shifts", "from=2026-02-30T10:00:00", "from", "Write a time as 2026-12-05T19:30:00."),
        ("/api/v1/library-branches", "at=2026-02-30T10:00:00", "at", "Write a time as 2026-12-05T19:30:00."),
    ],
)
async def test_an_impossible_date_in_the_query_says_why_and_how(
    client: Client, path: str, query: str, field: str, form: str
) -> None:
    body = assert_problem(await client.get(f"{path}?{query}&lang=en"), 422, "validation_failed")
    assert body["errors"] == [
        {"field": field, "message": f"2026-02-30 is not a date in the calendar. {form}", "code": "impossible_date"}
    ]


async def test_an_impossible_date_in_a_body_says_why_and_how(client: Client) -> None:
    volunteer = await factories.resident()
    response = await client.post(
        f"/api/v1/teams/{uuid.uuid4()}/hours",
        json={"minutes": 60, "service_date": "2026-02-30", "reason": "night patrol"},
        headers={**factories.token_for(volunteer), "Accept-Language": "ko"},
    )
    body = assert_problem(response, 422, "validation_failed")
    message = translations("ko").gettext("{value} is not a date in the calendar. Write a day as 2026-12-05.")
    assert body["errors"] == [
        {"field": "service_date", "message": message.format(value="2026-02-30"), "code": "impossible_date"}
    ]


async def test_an_unreadable_date_names_the_parameter_as_sent_and_its_form(client: Client) -> None:
    body = assert_problem(await client.get("/api/v1/shifts?from=tomorrow&lang=en"), 422, "validation_failed")
    # The handler's argument is called starts_from; the caller wrote from.
    assert body["errors"] == [
        {"field": "from", "message": "Not a time. Write a time as 2026-12-05T19:30:00.", "code": "invalid_date"}
    ]
    volunteer = await factories.resident()
    response = await client.post(
        f"/api/v1/teams/{uuid.uuid4()}/hours",
        json={"minutes": 60, "service_date": "yesterday", "reason": "night patrol"},
        headers={**factories.token_for(volunteer), "Accept-Language": "en"},
    )
    body = assert_problem(response, 422, "validation_failed")
    assert body["errors"] == [
        {"field": "service_date", "message": "Not a day. Write a day as 2026-12-05.", "code": "invalid_date"}
    ]


async def test_unexpected_errors_are_500_without_internals(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(**_: object) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(account_controllers.services, "login_with_password", broken)
    response = await client.post(
        "/api/v1/auth/login", json={"username": "a", "password": "b"}, headers={"Accept-Language": "ko"}
    )
    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"] == translations("ko").gettext("Something went wrong on our side. Please try again later.")


async def test_request_ids_are_echoed_or_made(client: Client) -> None:
    mine = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert mine.headers["X-Request-ID"] == "abc-123"
    hostile = await client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["X-Request-ID"] != "bad id\twith spaces"
    assert len(hostile.headers["X-Request-ID"]) == 32


async def test_large_answers_are_compressed(client: Client) -> None:
    response = await client.get("/schema/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["openapi"].startswith("3.")  # httpx decompressed it
    assert gzip  # the module is what the server used; httpx decodes it transparently


async def test_success_answers_carry_the_language_too(client: Client) -> None:
    response = await client.get("/api/v1/locales", headers={"Accept-Language": "zh-TW"})
    assert response.headers["Content-Language"] == "zh-Hant"
    assert "Accept-Language" in response.headers["Vary"]
