"""Notifications tests: an app with a template for every kind, jobs run in this process on
demand, and residents who log in with WeChat (a real-looking openid) and accept templates."""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar

from backend.accounts.tables import User
from backend.core import jobs
from backend.notifications.tables import Notice, OutboundMessage, SubscriptionBudget
from backend.settings import Settings
from tests import factories
from tests.conftest import RunningApps, app_settings
from tests.fakes.wechat import FakeWechat

TEMPLATES: dict[str, str] = {
    "wechat_template_registration": "tplRegistrationConfirmed01",
    "wechat_template_promotion": "tplWaitlistPromotion00001",
    "wechat_template_event_changed": "tplEventChanged000000001",
    "wechat_template_event_cancelled": "tplEventCancelled0000001",
    "wechat_template_event_reminder": "tplEventReminder00000001",
    "wechat_template_shift_reminder": "tplShiftReminder00000001",
    "wechat_template_hours_verified": "tplHoursVerified00000001",
    "wechat_template_reward_ready": "tplRewardReady0000000001",
}
# The keywords layouts.py documents for each template: the fake refuses any other key (47003).
KEYWORDS: dict[str, tuple[str, ...]] = {
    "wechat_template_registration": ("thing1", "time2", "thing3", "thing4"),
    "wechat_template_promotion": ("thing1", "time2", "thing3", "thing4"),
    "wechat_template_event_changed": ("thing1", "time2", "thing3", "thing4"),
    "wechat_template_event_cancelled": ("thing1", "time2", "thing3", "thing4"),
    "wechat_template_event_reminder": ("thing1", "time2", "thing3", "thing4"),
    "wechat_template_shift_reminder": ("thing1", "time2", "thing3", "thing4"),
    "wechat_template_hours_verified": ("thing1", "number2", "date3", "thing4"),
    "wechat_template_reward_ready": ("thing1", "character_string2", "thing3", "thing4"),
}
PROMOTION = TEMPLATES["wechat_template_promotion"]
REGISTRATION = TEMPLATES["wechat_template_registration"]


@pytest.fixture
async def app(settings: Settings, running_apps: RunningApps, request: pytest.FixtureRequest) -> Litestar:
    return await running_apps.get(app_settings(settings, request, **TEMPLATES))


async def _no_wait(seconds: float) -> None:
    """Run-at times and backoffs pass at once: tests move time by passing ``now``."""


@dataclass
class Jobs:
    runner: jobs.ProcessRunner

    async def drain(self) -> None:
        await self.runner.drain()


@pytest.fixture
async def queue(client: httpx.AsyncClient, app: Litestar, fake_wechat: FakeWechat) -> AsyncIterator[Jobs]:
    """Jobs run in this process when the test drains them, with the app's WeChat client."""
    for setting, template_id in TEMPLATES.items():
        fake_wechat.add_template(template_id, KEYWORDS[setting])
    current = app.state.runtime
    runner = jobs.ProcessRunner(current.jobs, sleep=_no_wait)
    previous_runner, current.runner = current.runner, runner
    try:
        yield Jobs(runner)
        await runner.drain()
    finally:
        current.runner = previous_runner


def new_openid() -> str:
    alphabet = string.ascii_letters + string.digits
    return "o" + "".join(secrets.choice(alphabet) for _ in range(27))


async def wechat_resident(locale: str | None = None, name: str | None = None) -> User:
    """A resident who logged in with WeChat (a real-looking openid) and prefers ``locale``."""
    user = await factories.resident(name)
    openid = new_openid()
    await User.update({User.openid: openid, User.locale: locale}).where(User.id == user.id)
    user.openid, user.locale = openid, locale
    return user


async def accept(client: httpx.AsyncClient, fake: FakeWechat, user: User, template_id: str, times: int = 1) -> None:
    """What the mini-program does after wx.requestSubscribeMessage: WeChat counts the grant, we
    are told about it."""
    for _ in range(times):
        fake.grant(user.openid or "", template_id)
        answer = await client.post(
            "/api/v1/me/subscriptions", json={"results": {template_id: "accept"}}, headers=factories.token_for(user)
        )
        assert answer.status_code == 200, answer.text


async def remaining(user: User, template_id: str) -> int:
    row = (
        await SubscriptionBudget.select(SubscriptionBudget.remaining)
        .where((SubscriptionBudget.user == user.id) & (SubscriptionBudget.template_id == template_id))
        .first()
    )
    return row["remaining"] if row else 0


async def notices(user: User, kind: str | None = None) -> list[dict[str, Any]]:
    query = Notice.select().where(Notice.recipient == user.id).order_by(Notice.created_at)
    if kind is not None:
        query = query.where(Notice.kind == kind)
    return await query.output(load_json=True)


async def outbound(user: User, kind: str | None = None) -> list[dict[str, Any]]:
    query = OutboundMessage.select().where(OutboundMessage.recipient == user.id).order_by(OutboundMessage.created_at)
    if kind is not None:
        query = query.where(OutboundMessage.kind == kind)
    return await query


@pytest.fixture
async def place(client: httpx.AsyncClient) -> dict[str, Any]:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    return {"tree": tree, "venue": venue, "organisation": tree["street_a"]}


async def sign_up(client: httpx.AsyncClient, event_id: uuid.UUID, user: User) -> httpx.Response:
    answer = await client.post(
        f"/api/v1/events/{event_id}/registrations", json={"party_size": 1}, headers=factories.token_for(user)
    )
    assert answer.status_code == 201, answer.text
    return answer
