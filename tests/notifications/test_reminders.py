"""Reminders 24 hours and 2 hours before events, 2 hours before shifts: each goes out once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from backend.accounts.tables import Role
from backend.core import runtime
from backend.core.i18n import CITY_TZ
from backend.notifications import jobs as notification_jobs
from backend.notifications import reminders
from backend.notifications.tables import OutboundMessage
from backend.volunteers.shifts.tables import ShiftSignup
from tests import factories
from tests.fakes.wechat import FakeWechat
from tests.notifications.conftest import TEMPLATES, Jobs, accept, notices, outbound, sign_up, wechat_resident
from tests.volunteers import builders

Client = httpx.AsyncClient
REMINDER = TEMPLATES["wechat_template_event_reminder"]
SHIFT_REMINDER = TEMPLATES["wechat_template_shift_reminder"]


def _at(moment: datetime) -> str:
    return moment.isoformat()


async def test_event_reminders_go_out_once_at_24_and_2_hours(
    client: Client, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    starts = now + timedelta(hours=24) - timedelta(minutes=3)
    event = await factories.published_event(
        place["organisation"],
        place["venue"],
        capacity=1,
        max_party_size=1,
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(hours=2)).isoformat(),
    )
    elsewhere = await factories.published_event(place["organisation"], place["venue"])  # in 3 days
    going, waiting = await wechat_resident("ko"), await wechat_resident()
    await accept(client, fake_wechat, going, REMINDER, times=3)
    await sign_up(client, event.id, going)
    await sign_up(client, event.id, waiting)
    await sign_up(client, elsewhere.id, waiting)

    first = await notification_jobs.reminder_round(now=_at(now))
    second = await notification_jobs.reminder_round(now=_at(now + timedelta(minutes=5)))
    await queue.drain()
    assert (first["event_reminders_24h"], second["event_reminders_24h"]) == (1, 0)
    [reminder] = await notices(going, "event_reminder")
    assert reminder["params"]["hours"] == 24
    assert await notices(waiting, "event_reminder") == []  # only confirmed places are reminded

    two_hours_before = starts - timedelta(hours=2) + timedelta(minutes=1)
    third = await notification_jobs.reminder_round(now=_at(two_hours_before))
    fourth = await notification_jobs.reminder_round(now=_at(two_hours_before + timedelta(minutes=5)))
    await queue.drain()
    assert (third["event_reminders_2h"], fourth["event_reminders_2h"]) == (1, 0)
    assert sorted(n["params"]["hours"] for n in await notices(going, "event_reminder")) == [2, 24]
    assert fake_wechat.sent_count(going.openid, REMINDER) == 2
    sent = fake_wechat.messages_to(going.openid or "")
    assert sent[0]["data"]["time2"]["value"] == starts.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M")
    assert {m["status"] for m in await outbound(going, "event_reminder")} == {"sent"}


async def test_a_cancelled_or_unpublished_event_is_not_reminded(
    client: Client, queue: Jobs, place: dict[str, Any]
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    starts = now + timedelta(hours=2) - timedelta(minutes=2)
    event = await factories.published_event(
        place["organisation"],
        place["venue"],
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(hours=1)).isoformat(),
    )
    resident = await wechat_resident()
    await sign_up(client, event.id, resident)
    organiser = await factories.staff(Role.organiser, place["organisation"])
    assert (
        await client.post(f"/api/v1/events/{event.id}/cancel", headers=factories.token_for(organiser))
    ).status_code == 200
    done = await notification_jobs.reminder_round(now=_at(now))
    assert done["event_reminders_2h"] == 0
    await queue.drain()
    assert await notices(resident, "event_reminder") == []


async def test_shift_reminders_go_out_once(
    client: Client, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    team = await builders.team(place["tree"]["community_a"])
    soon = await builders.shift(team, starts_at=now + timedelta(hours=2) - timedelta(minutes=4))
    tomorrow = await builders.shift(team, starts_at=now + timedelta(days=1))
    volunteer, dropped = await wechat_resident("ja"), await wechat_resident()
    await accept(client, fake_wechat, volunteer, SHIFT_REMINDER)
    await builders.signup(soon, volunteer)
    await builders.signup(tomorrow, volunteer)
    gone = await builders.signup(soon, dropped)
    await ShiftSignup.update({ShiftSignup.status: "cancelled"}).where(ShiftSignup.id == gone.id)

    assert (await notification_jobs.reminder_round(now=_at(now)))["shift_reminders"] == 1
    assert (await notification_jobs.reminder_round(now=_at(now + timedelta(minutes=5))))["shift_reminders"] == 0
    await queue.drain()
    [notice] = await notices(volunteer, "shift_reminder")
    assert notice["params"]["shift_id"] == str(soon.id)
    assert await notices(dropped) == []
    [message] = fake_wechat.messages_to(volunteer.openid or "")
    assert message["data"]["thing3"]["value"] == "Nanyuan Patrol"  # no Japanese name: a ja reader reads English next
    assert "年" in message["data"]["time2"]["value"]


async def test_a_delivery_lost_with_its_process_is_queued_again(
    client: Client, queue: Jobs, place: dict[str, Any]
) -> None:
    event = await factories.published_event(place["organisation"], place["venue"])
    resident = await wechat_resident()
    current = runtime.current()
    previous, current.runner = current.runner, _Forgetful()
    try:
        await sign_up(client, event.id, resident)  # its delivery job is lost
    finally:
        current.runner = previous
    [message] = await outbound(resident)
    assert (message["status"], message["attempts"]) == ("queued", 0)
    later = message["created_at"] + reminders.STRANDED_AFTER + timedelta(minutes=1)
    assert (await notification_jobs.reminder_round(now=_at(later)))["requeued"] == 1
    await queue.drain()
    row = await OutboundMessage.select(OutboundMessage.status).where(OutboundMessage.id == message["id"]).first()
    assert row["status"] == "skipped_no_budget"


class _Forgetful:
    """A runner that accepts jobs and loses them, as a process that dies would."""

    async def enqueue(self, name: str, *, key: str | None, run_at: datetime | None, kwargs: dict[str, Any]) -> bool:
        return True

    async def drain(self) -> None:
        return None
