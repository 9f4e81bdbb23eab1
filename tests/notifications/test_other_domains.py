"""What the volunteers and inclusion domains' signals mean for whom."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from backend.core import signals
from backend.core.i18n import translations, use_locale
from backend.governance.api import IncidentChanged
from backend.inclusion.api import RedemptionReserved
from backend.inclusion.rewards.tables import Redemption, Reward
from backend.notifications.presenters import WORDINGS
from backend.notifications.tables import NoticeKind
from backend.volunteers.api import HoursVerified
from backend.volunteers.shifts import services as shifts
from tests import factories
from tests.fakes.wechat import FakeWechat
from tests.notifications.conftest import TEMPLATES, Jobs, accept, notices, outbound, wechat_resident
from tests.volunteers import builders

Client = httpx.AsyncClient


async def _emit(payload: signals.Signal) -> None:
    async with signals.atomic():
        await signals.emit(payload)


async def test_verified_hours_reach_the_volunteer(
    client: Client, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    volunteer = await wechat_resident("en")
    await accept(client, fake_wechat, volunteer, TEMPLATES["wechat_template_hours_verified"])
    team = await builders.team(place["tree"]["community_a"])
    entry_id = str(uuid.uuid4())
    payload = HoursVerified(
        entry_id=uuid.UUID(entry_id),
        user_id=volunteer.id,
        team_id=team.id,
        community_id=place["tree"]["community_a"].id,
        kind="shift",
        minutes=90,
        service_date=date(2026, 11, 28),
        verified_by=uuid.uuid4(),
        verified_at=datetime.now(UTC),
    )
    await _emit(payload)
    await _emit(payload)  # the same entry announced twice is one notice
    await queue.drain()
    [notice] = await notices(volunteer, "hours_verified")
    assert notice["params"]["minutes"] == 90
    [message] = fake_wechat.messages_to(volunteer.openid or "")
    assert message["data"]["number2"]["value"] == "1.5"
    assert message["data"]["date3"]["value"] == "2026-11-28"
    assert message["data"]["thing1"]["value"] == "Nanyuan Patrol"
    page = (await client.get("/api/v1/me/notifications", headers=factories.token_for(volunteer))).json()
    assert "1.5" in page["items"][0]["body"] and "Nanyuan Patrol" in page["items"][0]["body"]


async def test_a_reward_set_aside_tells_its_pickup_code(
    client: Client, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    resident = await wechat_resident()
    await accept(client, fake_wechat, resident, TEMPLATES["wechat_template_reward_ready"])
    community = place["tree"]["community_a"]
    reward = Reward(
        community=community.id,
        name={"zh-Hans": "帆布袋", "en": "Canvas bag"},
        points_cost=50,
        stock=3,
        created_at=datetime.now(UTC),
    )
    await reward.save()
    redemption = Redemption(
        reward=reward.id, user=resident.id, points=50, pickup_code="K7M2Q9XA", created_at=datetime.now(UTC)
    )
    await redemption.save()
    await _emit(
        RedemptionReserved(
            redemption_id=redemption.id, reward_id=reward.id, user_id=resident.id, pickup_code="K7M2Q9XA"
        )
    )
    await queue.drain()
    [notice] = await notices(resident, "reward_ready")
    assert notice["params"]["pickup_code"] == "K7M2Q9XA"
    [message] = fake_wechat.messages_to(resident.openid or "")
    assert message["data"]["character_string2"]["value"] == "K7M2Q9XA"
    assert message["data"]["thing1"]["value"] == "帆布袋"
    assert message["data"]["thing3"]["value"] == "南园社区"
    body = (await client.get("/api/v1/me/notifications?lang=en", headers=factories.token_for(resident))).json()[
        "items"
    ][0]["body"]
    assert "Canvas bag" in body and "K7M2Q9XA" in body


async def test_a_cancelled_shift_reaches_the_inbox_only(
    client: Client, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    team = await builders.team(place["tree"]["community_a"])
    coordinator, volunteer = await factories.resident(), await wechat_resident()
    await builders.coordinator(team, coordinator)
    await accept(client, fake_wechat, volunteer, TEMPLATES["wechat_template_shift_reminder"])
    shift = await builders.shift(team, starts_at=datetime.now(UTC) + timedelta(days=2))
    await builders.signup(shift, volunteer)
    await shifts.cancel_shift(user_id=coordinator.id, shift_id=shift.id)
    await queue.drain()
    [notice] = await notices(volunteer, "shift_cancelled")
    assert notice["params"]["shift_id"] == str(shift.id)
    assert await outbound(volunteer) == []
    assert fake_wechat.sent_count() == 0
    item = (await client.get("/api/v1/me/notifications?lang=en", headers=factories.token_for(volunteer))).json()[
        "items"
    ][0]
    assert item["shift_id"] == str(shift.id) and "Night patrol" in item["body"]


async def test_the_reporter_follows_their_incident(client: Client, queue: Jobs) -> None:
    reporter = await wechat_resident()
    incident_id = str(uuid.uuid4())
    incident = uuid.UUID(incident_id)
    await _emit(IncidentChanged(incident_id=incident, reporter_id=reporter.id, status="reported", party="police"))
    await _emit(IncidentChanged(incident_id=incident, reporter_id=reporter.id, status="forwarded", party="police"))
    await _emit(IncidentChanged(incident_id=incident, reporter_id=None, status="resolved", party="police"))
    await queue.drain()
    assert [n["params"]["status"] for n in await notices(reporter, "incident_changed")] == ["reported", "forwarded"]
    assert await outbound(reporter) == []
    items = (await client.get("/api/v1/me/notifications?lang=en", headers=factories.token_for(reporter))).json()[
        "items"
    ]
    assert translations("en").gettext("Police station") in items[0]["body"]
    assert items[0]["incident_id"] == incident_id


def test_hours_read_as_hours() -> None:
    params = {
        "team": {"en": "Night watch"},
        "minutes": -45,
        "service_date": date(2026, 11, 28).isoformat(),
        "entry_kind": "correction",
    }
    with use_locale("en"):
        title, body = WORDINGS[NoticeKind.hours_verified](params)
    assert "-0.75" in body and "Night watch" in body
    assert title == translations("en").gettext("Hours corrected")
