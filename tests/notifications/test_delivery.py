"""Subscribe messages on a budget: what reaches WeChat, what stays in the inbox, and why."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from litestar import Litestar

from backend.core import signals
from backend.core.db import transaction
from backend.core.tables import FailedJob, OutboxSignal
from backend.notifications import delivery, inbox, reminders
from backend.notifications import jobs as notification_jobs
from backend.notifications.inbox import Posting
from backend.notifications.tables import Notice, NoticeKind
from backend.settings import Settings
from tests import factories
from tests.fakes.wechat import FakeWechat
from tests.notifications.conftest import (
    PROMOTION,
    TEMPLATES,
    Jobs,
    accept,
    notices,
    outbound,
    remaining,
    sign_up,
    wechat_resident,
)

Client = httpx.AsyncClient


async def _promote(client: Client, place: dict[str, Any], waiting: Any) -> Any:
    """Capacity 1: a first resident takes the seat, ``waiting`` queues, the first cancels."""
    event = await factories.published_event(place["organisation"], place["venue"], capacity=1, max_party_size=1)
    first = await factories.resident()
    seat = await sign_up(client, event.id, first)
    queued = await sign_up(client, event.id, waiting)
    assert (seat.json()["status"], queued.json()["status"]) == ("confirmed", "waitlisted")
    gone = await client.delete(f"/api/v1/registrations/{seat.json()['id']}", headers=factories.token_for(first))
    assert gone.status_code == 200, gone.text
    return event


async def test_a_promotion_makes_one_inbox_entry_and_one_message(
    client: Client, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    waiting = await wechat_resident()
    await accept(client, fake_wechat, waiting, PROMOTION)
    await _promote(client, place, waiting)
    await queue.drain()

    assert [n["kind"] for n in await notices(waiting)] == ["registration_waitlisted", "registration_promoted"]
    assert fake_wechat.sent_count(waiting.openid, PROMOTION) == 1
    assert fake_wechat.sent_count(waiting.openid) == 1  # the waitlist notice has no template budget
    assert await remaining(waiting, PROMOTION) == 0
    [message] = await outbound(waiting, "registration_promoted")
    assert (message["status"], message["errcode"], message["attempts"]) == ("sent", None, 1)
    sent = fake_wechat.messages_to(waiting.openid or "")[0]
    assert sent["data"]["thing1"]["value"] == "评弹欣赏会"  # no locale saved: zh-Hans
    assert sent["page"] == "pages/notifications/index"

    # The same signal delivered again (a retry, the sweeper) adds nothing.
    await OutboxSignal.update(
        {OutboxSignal.delivered_at: None, OutboxSignal.created_at: datetime.now(UTC) - timedelta(minutes=1)}
    ).where(OutboxSignal.name == "events.registration_promoted")
    assert await signals.sweep() == 1
    await queue.drain()
    assert len(await notices(waiting, "registration_promoted")) == 1
    assert fake_wechat.sent_count(waiting.openid) == 1


async def test_without_budget_the_notice_stays_in_the_inbox(
    client: Client, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    waiting = await wechat_resident()
    await _promote(client, place, waiting)
    await queue.drain()
    assert len(await notices(waiting, "registration_promoted")) == 1
    assert fake_wechat.sent_count() == 0
    [message] = await outbound(waiting, "registration_promoted")
    assert message["status"] == "skipped_no_budget"


async def test_a_development_login_is_never_sent_to(
    client: Client, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    resident = await factories.resident()  # openid "dev:…"
    event = await factories.published_event(place["organisation"], place["venue"])
    await sign_up(client, event.id, resident)
    await queue.drain()
    [message] = await outbound(resident, "registration_confirmed")
    assert message["status"] == "skipped_no_openid"
    assert fake_wechat.sent_count() == 0


async def test_43101_from_wechat_sets_the_budget_to_zero(
    client: Client, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    waiting = await wechat_resident()
    await accept(client, fake_wechat, waiting, PROMOTION, times=3)
    fake_wechat.set_grants(waiting.openid or "", PROMOTION, 0)  # spent elsewhere, as far as WeChat knows
    await _promote(client, place, waiting)
    await queue.drain()
    assert await remaining(waiting, PROMOTION) == 0
    [message] = await outbound(waiting, "registration_promoted")
    assert (message["status"], message["errcode"]) == ("failed", 43101)
    assert fake_wechat.subscribe_refusals[43101] == 1
    assert len(await notices(waiting, "registration_promoted")) == 1


async def test_an_expired_token_costs_one_refresh_and_the_message_goes(
    client: Client, app: Litestar, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    waiting = await wechat_resident()
    await accept(client, fake_wechat, waiting, PROMOTION)
    await app.state.wechat.access_token()
    assert fake_wechat.token_calls == 1
    fake_wechat.expire_tokens()
    await _promote(client, place, waiting)
    await queue.drain()
    assert fake_wechat.token_calls == 2
    assert fake_wechat.sent_count(waiting.openid, PROMOTION) == 1
    assert (await outbound(waiting, "registration_promoted"))[0]["status"] == "sent"


async def test_wechat_busy_gives_the_budget_back_and_the_job_tries_again(
    client: Client, app: Litestar, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    waiting = await wechat_resident()
    await accept(client, fake_wechat, waiting, PROMOTION)
    await app.state.wechat.access_token()
    fake_wechat.busy(3)  # all three attempts the client makes in the job's first run
    await _promote(client, place, waiting)
    await queue.drain()
    [message] = await outbound(waiting, "registration_promoted")
    assert (message["status"], message["attempts"]) == ("sent", 2)
    assert fake_wechat.sent_count(waiting.openid) == 1
    assert await remaining(waiting, PROMOTION) == 0
    assert await FailedJob.count() == 0


async def test_a_message_stranded_by_a_long_outage_goes_out_when_wechat_returns(
    client: Client, app: Litestar, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    waiting = await wechat_resident()
    await accept(client, fake_wechat, waiting, PROMOTION)
    await app.state.wechat.access_token()
    fake_wechat.fail_http(100_000)  # WeChat away through every attempt the job makes
    await _promote(client, place, waiting)
    await queue.drain()
    [message] = await outbound(waiting, "registration_promoted")
    assert message["status"] == "queued" and message["attempts"] > 1
    assert await remaining(waiting, PROMOTION) == 1  # given back each time
    assert fake_wechat.sent_count(waiting.openid) == 0
    given_up = message["updated_at"]
    # Still away ten minutes on: the round queues it again, the job fails again, nothing is lost.
    assert await reminders.requeue_stranded(now=given_up + timedelta(seconds=30)) == 0  # its job just gave up
    assert await reminders.requeue_stranded(now=given_up + reminders.STRANDED_AFTER + timedelta(minutes=1)) == 1
    await queue.drain()
    [message] = await outbound(waiting, "registration_promoted")
    assert message["status"] == "queued" and await remaining(waiting, PROMOTION) == 1
    # WeChat is back: the next round sends it, once.
    fake_wechat.fail_http(0)
    later = message["updated_at"] + reminders.STRANDED_AFTER + timedelta(minutes=1)
    assert (await notification_jobs.reminder_round(now=later.isoformat()))["requeued"] == 1
    await queue.drain()
    [message] = await outbound(waiting, "registration_promoted")
    assert message["status"] == "sent"
    assert fake_wechat.sent_count(waiting.openid) == 1
    assert await remaining(waiting, PROMOTION) == 0
    assert await reminders.requeue_stranded(now=later + timedelta(hours=1)) == 0  # sent is sent


async def test_a_refused_value_is_recorded_and_not_retried(
    client: Client, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    fake_wechat.add_template(PROMOTION, ["thing1", "time2"])  # a template with other keywords
    waiting = await wechat_resident()
    await accept(client, fake_wechat, waiting, PROMOTION)
    await _promote(client, place, waiting)
    await queue.drain()
    [message] = await outbound(waiting, "registration_promoted")
    assert (message["status"], message["errcode"], message["attempts"]) == ("failed", 47003, 1)
    assert "thing3" in message["errmsg"]
    assert await remaining(waiting, PROMOTION) == 1  # it never reached the resident
    assert await FailedJob.count() == 0


async def _write(postings: list[Posting], settings: Settings) -> list[uuid.UUID]:
    """Notices written without queueing their delivery: the test delivers them itself."""
    async with transaction(Notice._meta.db):
        return await inbox.write_notices(postings, settings=settings, now=datetime.now(UTC))


async def test_a_reminder_keeps_the_last_message_for_a_promotion(
    client: Client, settings: Settings, app: Litestar, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    """Reminders and promotions share one template: with one message left, the reminder waits."""
    shared = Settings.from_env({}, **{**settings.__dict__, **TEMPLATES, "wechat_template_event_reminder": PROMOTION})
    resident = await wechat_resident()
    await accept(client, fake_wechat, resident, PROMOTION)
    event = await factories.published_event(place["organisation"], place["venue"])
    params = {
        "event_id": str(event.id),
        "title": event.title,
        "starts_at": event.starts_at.isoformat(),
        "venue": {"zh-Hans": "礼堂"},
    }

    async def deliver(kind: NoticeKind, key: str) -> str:
        [notice_id] = await _write([Posting(resident.id, kind, params, key)], shared)
        return await delivery.deliver_notice(notice_id=notice_id, wechat=app.state.wechat, settings=shared)

    assert await deliver(NoticeKind.event_reminder, "reminder-1") == "skipped_no_budget"
    assert await remaining(resident, PROMOTION) == 1
    assert await deliver(NoticeKind.registration_promoted, "promotion-1") == "sent"
    assert await remaining(resident, PROMOTION) == 0

    await accept(client, fake_wechat, resident, PROMOTION, times=2)
    assert await deliver(NoticeKind.event_reminder, "reminder-2") == "sent"
    assert await remaining(resident, PROMOTION) == 1
    assert fake_wechat.sent_count(resident.openid, PROMOTION) == 2


async def test_a_notice_for_an_event_that_began_is_not_sent(
    client: Client, settings: Settings, app: Litestar, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    resident = await wechat_resident()
    await accept(client, fake_wechat, resident, PROMOTION)
    event = await factories.published_event(place["organisation"], place["venue"])
    params = {"event_id": str(event.id), "title": event.title, "starts_at": event.starts_at.isoformat(), "venue": {}}
    [notice_id] = await _write(
        [Posting(resident.id, NoticeKind.registration_promoted, params, "late")], app.state["settings"]
    )
    later = datetime.now(UTC) + timedelta(days=4)
    status = await delivery.deliver_notice(
        notice_id=notice_id, wechat=app.state.wechat, settings=app.state["settings"], now=later
    )
    assert status == "skipped_stale"
    assert await remaining(resident, PROMOTION) == 1
