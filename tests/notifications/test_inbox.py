"""The inbox over HTTP: newest first, unread counts, marking read, others' entries, languages."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from backend.core.i18n import CITY_TZ, translations
from tests import factories
from tests.notifications.conftest import Jobs, notices, sign_up, wechat_resident

Client = httpx.AsyncClient


async def _three_notices(client: Client, place: dict[str, Any], queue: Jobs, resident: Any) -> list[Any]:
    """Confirmed for two events, waitlisted for a third: three notices, oldest first."""
    events = [
        await factories.published_event(
            place["organisation"], place["venue"], title={"zh-Hans": f"活动{n}", "en": f"Event {n}"}
        )
        for n in range(3)
    ]
    await sign_up(client, events[0].id, resident)
    await sign_up(client, events[1].id, resident)
    await sign_up(client, events[2].id, await factories.resident())  # someone else's notice
    full = await factories.published_event(place["organisation"], place["venue"], capacity=1, max_party_size=1)
    await sign_up(client, full.id, await factories.resident())
    await sign_up(client, full.id, resident)
    await queue.drain()
    return events


async def test_newest_first_with_unread_counts_and_pages(client: Client, queue: Jobs, place: dict[str, Any]) -> None:
    resident = await wechat_resident(locale="en")
    await _three_notices(client, place, queue, resident)
    me = factories.token_for(resident)

    page = (await client.get("/api/v1/me/notifications", headers=me)).json()
    assert [item["kind"] for item in page["items"]] == [
        "registration_waitlisted",
        "registration_confirmed",
        "registration_confirmed",
    ]
    assert page["unread_count"] == 3
    assert [item["read_at"] for item in page["items"]] == [None, None, None]
    assert "Event 1" in page["items"][1]["body"] and "Event 0" in page["items"][2]["body"]
    assert "number 1 on the waitlist" in page["items"][0]["body"]
    assert page["items"][0]["event_id"] and page["items"][0]["registration_id"]

    second = (await client.get("/api/v1/me/notifications?limit=1&offset=1", headers=me)).json()
    assert [item["id"] for item in second["items"]] == [page["items"][1]["id"]]

    read = await client.post(f"/api/v1/me/notifications/{page['items'][1]['id']}/read", headers=me)
    assert read.status_code == 200, read.text
    assert read.json()["read_at"] is not None
    again = await client.post(f"/api/v1/me/notifications/{page['items'][1]['id']}/read", headers=me)
    assert again.json()["read_at"] == read.json()["read_at"]

    unread = (await client.get("/api/v1/me/notifications?unread_only=true", headers=me)).json()
    assert [item["id"] for item in unread["items"]] == [page["items"][0]["id"], page["items"][2]["id"]]
    assert unread["unread_count"] == 2

    everything = await client.post("/api/v1/me/notifications/read-all", headers=me)
    assert everything.json() == {"marked": 2, "unread_count": 0}
    assert (await client.get("/api/v1/me/notifications?unread_only=true", headers=me)).json()["items"] == []


async def test_someone_elses_notice_is_not_found(client: Client, queue: Jobs, place: dict[str, Any]) -> None:
    owner, other = await wechat_resident(), await wechat_resident()
    event = await factories.published_event(place["organisation"], place["venue"])
    await sign_up(client, event.id, owner)
    await queue.drain()
    [notice] = await notices(owner)
    answer = await client.post(f"/api/v1/me/notifications/{notice['id']}/read", headers=factories.token_for(other))
    assert (answer.status_code, answer.json()["code"]) == (404, "notification_not_found")
    missing = await client.post(f"/api/v1/me/notifications/{uuid.uuid4()}/read", headers=factories.token_for(owner))
    assert missing.status_code == 404
    assert (await notices(owner))[0]["read_at"] is None
    assert (await client.get("/api/v1/me/notifications", headers=factories.token_for(other))).json()["items"] == []
    assert (await client.get("/api/v1/me/notifications")).status_code == 401


async def test_a_notice_reads_in_the_readers_language(client: Client, queue: Jobs, place: dict[str, Any]) -> None:
    resident = await wechat_resident()
    event = await factories.published_event(place["organisation"], place["venue"])
    await sign_up(client, event.id, resident)
    await queue.drain()
    me = factories.token_for(resident)

    english = (await client.get("/api/v1/me/notifications?lang=en", headers=me)).json()["items"][0]
    chinese = (await client.get("/api/v1/me/notifications?lang=zh-Hans", headers=me)).json()["items"][0]
    japanese = (await client.get("/api/v1/me/notifications", headers={**me, "Accept-Language": "ja"})).json()["items"][
        0
    ]
    assert english["title"] == translations("en").gettext("Registration confirmed")
    assert chinese["title"] == translations("zh-Hans").gettext("Registration confirmed")
    assert "Pingtan Evening" in english["body"] and "评弹欣赏会" in chinese["body"] and "評弾の夕べ" in japanese["body"]
    # Times in the city's time, formatted for the reader: month names in English, 月 in Chinese.
    month = event.starts_at.astimezone(CITY_TZ).strftime("%b")
    assert month in english["body"]
    assert "月" in chinese["body"] and month not in chinese["body"]
    assert "Nanyuan Community Centre" in english["body"] and "南园社区活动中心" in chinese["body"]


async def test_export_holds_the_inbox_and_closing_the_account_erases_it(
    client: Client, queue: Jobs, place: dict[str, Any]
) -> None:
    resident, other = await wechat_resident(), await wechat_resident()
    event = await factories.published_event(place["organisation"], place["venue"])
    await sign_up(client, event.id, resident)
    await sign_up(client, event.id, other)
    await queue.drain()
    me = factories.token_for(resident)
    accepted = await client.post(
        "/api/v1/me/subscriptions", json={"results": {"tplRegistrationConfirmed01": "accept"}}, headers=me
    )
    assert accepted.status_code == 200

    export = (await client.get("/api/v1/me/export", headers=me)).json()["domains"]["notifications"]
    assert [item["kind"] for item in export["inbox"]] == ["registration_confirmed"]
    assert [item["status"] for item in export["messages"]] == ["skipped_no_budget"]
    assert [(item["template_id"], item["remaining"]) for item in export["subscriptions"]] == [
        ("tplRegistrationConfirmed01", 1)
    ]
    assert str(other.id) not in str(export)

    assert (await client.delete("/api/v1/me", headers=me)).status_code == 204
    assert await notices(resident) == []
    assert len(await notices(other)) == 1


async def test_a_waitlist_notice_gives_the_place_in_line(client: Client, queue: Jobs, place: dict[str, Any]) -> None:
    """The place in line is known only to the sign-up's own statement (PostgreSQL writes the
    signal inside it): the third of three for one seat is told they are number 2."""
    full = await factories.published_event(place["organisation"], place["venue"], capacity=1, max_party_size=1)
    third = await wechat_resident(locale="en")
    for resident in (await factories.resident(), await factories.resident(), third):
        await sign_up(client, full.id, resident)
    await queue.drain()
    page = (await client.get("/api/v1/me/notifications", headers=factories.token_for(third))).json()
    assert [item["kind"] for item in page["items"]] == ["registration_waitlisted"]
    assert "number 2 on the waitlist" in page["items"][0]["body"], page
