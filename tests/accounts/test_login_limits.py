"""Limits on logins: a per-username lockout with backoff for staff passwords (besides the strict
per-address limit), and WeChat code logins limited per WeChat user with only a generous ceiling
per address, since residents on one mobile network share an address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from litestar import Litestar

from backend.accounts import lockout, staff
from backend.core import clock
from backend.settings import Settings
from tests.conftest import RunningApps, app_settings
from tests.fakes.wechat import FakeWechat

Client = httpx.AsyncClient
PASSWORD = "correct horse 1"
OPENID_LIMIT, ADDRESS_CEILING = 3, 6


@pytest.fixture
async def app(settings: Settings, running_apps: RunningApps, request: pytest.FixtureRequest) -> Litestar:
    """Room for many password attempts from the test's one address (the per-address limit has
    tests of its own), and small WeChat limits to reach."""
    return await running_apps.get(
        app_settings(
            settings,
            request,
            login_rate_limit=1000,
            wechat_login_rate_limit=OPENID_LIMIT,
            wechat_login_address_limit=ADDRESS_CEILING,
        )
    )


async def attempt(client: Client, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}, headers={"Accept-Language": "en"}
    )


def test_the_lock_doubles_up_to_an_hour() -> None:
    assert [lockout.lock_seconds(n) for n in range(1, 13)] == [0, 0, 0, 0, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert lockout.lock_seconds(10_000) == 3600


# --- the staff lockout ----------------------------------------------------------------------------


async def test_five_failures_lock_the_name_even_for_the_right_password(client: Client) -> None:
    await staff.create_staff(username="staff-l", password=PASSWORD)
    answers = [(await attempt(client, "staff-l", "wrong")).status_code for _ in range(lockout.THRESHOLD)]
    assert answers == [401] * lockout.THRESHOLD
    locked = await attempt(client, "staff-l", PASSWORD)
    assert (locked.status_code, locked.json()["code"]) == (429, "login_locked")
    assert 55 <= int(locked.headers["Retry-After"]) <= 60
    assert locked.json()["params"]["seconds"] == int(locked.headers["Retry-After"])
    assert "Too many failed logins" in locked.json()["detail"]
    # Another name from the same address is not locked.
    await staff.create_staff(username="staff-m", password=PASSWORD)
    assert (await attempt(client, "staff-m", PASSWORD)).status_code == 200


async def test_unknown_and_known_names_lock_alike(client: Client) -> None:
    await staff.create_staff(username="staff-k", password=PASSWORD)
    known = [(await attempt(client, "staff-k", "wrong")).status_code for _ in range(lockout.THRESHOLD + 1)]
    unknown = [(await attempt(client, "nobody-here", "wrong")).status_code for _ in range(lockout.THRESHOLD + 1)]
    assert known == unknown == [401] * lockout.THRESHOLD + [429]
    a, b = await attempt(client, "staff-k", "wrong"), await attempt(client, "nobody-here", "wrong")
    assert a.json()["code"] == b.json()["code"] == "login_locked"
    assert {a.status_code, b.status_code} == {429}


async def test_each_further_failure_doubles_the_lock_and_success_clears_it(client: Client) -> None:
    await staff.create_staff(username="staff-b", password=PASSWORD)
    start = datetime.now(UTC)
    with clock.frozen(start):
        for _ in range(lockout.THRESHOLD):
            await attempt(client, "staff-b", "wrong")
        assert int((await attempt(client, "staff-b", PASSWORD)).headers["Retry-After"]) == 60
    with clock.frozen(start + timedelta(seconds=61)):
        assert (await attempt(client, "staff-b", "wrong")).status_code == 401  # the sixth failure
        assert int((await attempt(client, "staff-b", PASSWORD)).headers["Retry-After"]) == 120
    with clock.frozen(start + timedelta(seconds=182)):
        assert (await attempt(client, "staff-b", "wrong")).status_code == 401  # the seventh
        assert int((await attempt(client, "staff-b", PASSWORD)).headers["Retry-After"]) == 240
    with clock.frozen(start + timedelta(seconds=423)):
        assert (await attempt(client, "staff-b", PASSWORD)).status_code == 200
        # The count starts again: four more failures do not lock.
        assert [(await attempt(client, "staff-b", "wrong")).status_code for _ in range(4)] == [401] * 4
        assert (await attempt(client, "staff-b", PASSWORD)).status_code == 200


async def test_wrong_current_passwords_count_towards_the_lock(client: Client) -> None:
    await staff.create_staff(username="staff-p", password=PASSWORD)
    token = (await attempt(client, "staff-p", PASSWORD)).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"current_password": "guess", "new_password": "a brand new passphrase"}
    answers = [
        (await client.put("/api/v1/me/password", json=body, headers=headers)).status_code
        for _ in range(lockout.THRESHOLD + 1)
    ]
    assert answers == [403] * lockout.THRESHOLD + [429]
    assert (await attempt(client, "staff-p", PASSWORD)).json()["code"] == "login_locked"


# --- WeChat code logins ----------------------------------------------------------------------------


async def wechat(client: Client, fake: FakeWechat, openid: str) -> httpx.Response:
    return await client.post("/api/v1/auth/wechat", json={"code": fake.issue_code(openid)})


async def test_wechat_logins_are_limited_per_wechat_user(client: Client, fake_wechat: FakeWechat) -> None:
    answers = [(await wechat(client, fake_wechat, "o-eager")).status_code for _ in range(OPENID_LIMIT + 1)]
    assert answers == [200] * OPENID_LIMIT + [429]
    refused = await wechat(client, fake_wechat, "o-eager")
    assert refused.json()["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    # A neighbour on the same address logs in.
    assert (await wechat(client, fake_wechat, "o-neighbour")).status_code == 200


async def test_an_address_has_only_a_generous_ceiling(client: Client, fake_wechat: FakeWechat) -> None:
    answers = [(await wechat(client, fake_wechat, f"o-crowd-{i}")).status_code for i in range(ADDRESS_CEILING + 1)]
    assert answers == [200] * ADDRESS_CEILING + [429]
    assert (await wechat(client, fake_wechat, "o-late")).json()["code"] == "rate_limited"
    # Password and development logins count on their own.
    assert (await client.post("/api/v1/auth/dev-login", json={"openid": "dev-crowd"})).status_code == 200


def test_the_default_wechat_limits() -> None:
    settings = Settings.from_env({})
    assert (settings.wechat_login_rate_limit, settings.wechat_login_address_limit, settings.login_rate_limit) == (
        10,
        300,
        10,
    )
