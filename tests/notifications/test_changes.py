"""Event changes, debounced: several edits within 30 minutes, one notice per registrant."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from backend.accounts.tables import Role
from backend.notifications import jobs as notification_jobs
from backend.notifications.tables import EventChangeDigest
from tests import factories
from tests.fakes.wechat import FakeWechat
from tests.notifications.conftest import TEMPLATES, Jobs, accept, notices, sign_up, wechat_resident

Client = httpx.AsyncClient
CHANGED = TEMPLATES["wechat_template_event_changed"]


async def _edit(client: Client, organiser: Any, event_id: Any, body: dict[str, Any]) -> None:
    answer = await client.patch(f"/api/v1/events/{event_id}", json=body, headers=factories.token_for(organiser))
    assert answer.status_code == 200, answer.text


async def _open_digest(event_id: Any) -> dict[str, Any]:
    [digest] = (
        await EventChangeDigest.select()
        .where((EventChangeDigest.event == event_id) & EventChangeDigest.flushed_at.is_null())
        .output(load_json=True)
    )
    return digest


async def test_several_edits_make_one_notice_per_registrant(
    client: Client, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    organiser = await factories.staff(Role.organiser, place["organisation"])
    event = await factories.published_event(place["organisation"], place["venue"], capacity=1, max_party_size=1)
    confirmed, waiting, later = await wechat_resident("en"), await wechat_resident(), await wechat_resident()
    for person in (confirmed, waiting):
        await accept(client, fake_wechat, person, CHANGED)
        await sign_up(client, event.id, person)
    hall = await factories.venue(place["tree"]["community_a"], place["tree"]["community_a"], name="南园礼堂")

    await _edit(
        client,
        organiser,
        event.id,
        {
            "starts_at": (event.starts_at + timedelta(hours=1)).isoformat(),
            "ends_at": (event.ends_at + timedelta(hours=1)).isoformat(),
        },
    )
    await _edit(client, organiser, event.id, {"venue_id": str(hall.id)})
    await _edit(client, organiser, event.id, {"title": {"zh-Hans": "评弹专场", "en": "Pingtan Special"}})  # not notable
    await queue.drain()  # the flush job woke early (no waiting in tests) and found nothing due
    assert await notices(confirmed, "event_changed") == []
    digest = await _open_digest(event.id)
    assert digest["changed"] == ["ends_at", "starts_at", "venue"]
    assert len(digest["signal_ids"]) == 2
    assert digest["due_at"] - digest["opened_at"] == timedelta(minutes=30)

    # Someone who signs up now sees the event as it is: they get no change notice.
    await sign_up(client, event.id, later)
    due = (digest["due_at"] + timedelta(seconds=1)).isoformat()
    assert await notification_jobs.flush_event_changes(str(digest["id"]), now=due) == 2
    assert await notification_jobs.flush_event_changes(str(digest["id"]), now=due) == 0
    await queue.drain()

    for person in (confirmed, waiting):
        [notice] = await notices(person, "event_changed")
        assert notice["params"]["changed"] == ["ends_at", "starts_at", "venue"]
        assert notice["params"]["venue"]["zh-Hans"] == "南园礼堂"
        assert fake_wechat.sent_count(person.openid, CHANGED) == 1
    assert await notices(later, "event_changed") == []
    english = fake_wechat.messages_to(confirmed.openid or "")[0]["data"]
    assert english["thing1"]["value"] == "Pingtan Special"
    assert english["thing4"]["value"].startswith("Changed:")

    # An edit after the notice went out starts a new round.
    await _edit(client, organiser, event.id, {"venue_id": str(place["venue"].id)})
    fresh = await _open_digest(event.id)
    assert fresh["id"] != digest["id"] and fresh["changed"] == ["venue"]


async def test_the_round_sends_due_change_notices_when_their_job_was_lost(
    client: Client, queue: Jobs, place: dict[str, Any]
) -> None:
    organiser = await factories.staff(Role.organiser, place["organisation"])
    event = await factories.published_event(place["organisation"], place["venue"])
    resident = await wechat_resident()
    await sign_up(client, event.id, resident)
    await _edit(
        client,
        organiser,
        event.id,
        {
            "starts_at": (event.starts_at + timedelta(hours=2)).isoformat(),
            "ends_at": (event.ends_at + timedelta(hours=2)).isoformat(),
        },
    )
    await queue.drain()
    digest = await _open_digest(event.id)
    done = await notification_jobs.reminder_round(now=(digest["due_at"] + timedelta(minutes=4)).isoformat())
    assert done["change_notices"] == 1
    assert len(await notices(resident, "event_changed")) == 1


async def test_a_cancellation_replaces_the_pending_change_notice(
    client: Client, queue: Jobs, place: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    organiser = await factories.staff(Role.organiser, place["organisation"])
    event = await factories.published_event(place["organisation"], place["venue"])
    resident = await wechat_resident()
    await accept(client, fake_wechat, resident, TEMPLATES["wechat_template_event_cancelled"])
    await sign_up(client, event.id, resident)
    await _edit(client, organiser, event.id, {"venue_id": str(place["venue"].id)})  # same venue: nothing notable
    hall = await factories.venue(place["tree"]["community_a"], place["tree"]["community_a"], name="南园礼堂")
    await _edit(client, organiser, event.id, {"venue_id": str(hall.id)})
    digest = await _open_digest(event.id)
    cancelled = await client.post(f"/api/v1/events/{event.id}/cancel", headers=factories.token_for(organiser))
    assert cancelled.status_code == 200, cancelled.text
    await queue.drain()
    assert (
        await notification_jobs.flush_event_changes(
            str(digest["id"]), now=(digest["due_at"] + timedelta(seconds=1)).isoformat()
        )
        == 0
    )
    assert [n["kind"] for n in await notices(resident)] == ["registration_confirmed", "event_cancelled"]
    assert fake_wechat.sent_count(resident.openid, TEMPLATES["wechat_template_event_cancelled"]) == 1
