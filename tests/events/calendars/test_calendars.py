"""Calendar files over HTTP: every file is read back by a standard iCalendar parser (icalendar)."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import icalendar
import pytest
from redis.asyncio import Redis

from backend.accounts.tables import Role
from backend.core.i18n import translations
from backend.events.calendars.ics import WAITLIST_SUMMARY
from backend.events.calendars.tables import CalendarFeed
from backend.events.catalogue.tables import Event
from backend.settings import Settings
from tests import factories
from tests.conftest import build_app, serve_in_process

Client = httpx.AsyncClient
TITLE = {"zh-Hans": "评弹欣赏会", "en": "Pingtan Evening", "ja": "評弾の夕べ"}


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    return {"tree": tree, "venue": venue, "organisation": tree["street_a"]}


async def event(place: dict[str, Any], **overrides: Any) -> Event:
    return await factories.published_event(place["organisation"], place["venue"], **overrides)


async def sign_up(client: Client, event_id: uuid.UUID, user: Any) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/events/{event_id}/registrations", json={"party_size": 1}, headers=factories.token_for(user)
    )
    assert response.status_code == 201, response.text
    return response.json()


def parse(response: httpx.Response) -> icalendar.Calendar:
    """The file as a calendar app reads it, after checking RFC 5545's framing."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    body = response.content
    assert body.endswith(b"\r\n")
    assert b"\n" not in body.replace(b"\r\n", b""), "every line ends with CRLF"
    lines = body.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines), [line for line in lines if len(line) > 75]
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//Linli//Linli 邻里//ZH"
    assert str(calendar["METHOD"]) == "PUBLISH"
    if calendar.events:
        assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    return calendar


def by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(vevent["UID"]): vevent for vevent in calendar.events}


def uid(ev: Event) -> str:
    return f"{ev.id}@linli"


async def fresh(ev: Event) -> Event:
    """The event as stored now (publishing and cancelling move ``updated_at``)."""
    return await Event.objects().where(Event.id == ev.id).first()


def tz_name(moment: Any) -> str:
    return getattr(moment.tzinfo, "key", str(moment.tzinfo))


# --- one event's file ------------------------------------------------------------------------------


async def test_an_event_file_in_the_callers_language(client: Client, place: dict[str, Any]) -> None:
    ev = await fresh(
        await event(place, title=TITLE, description={"zh-Hans": "第一行\n第二行，含逗号; 分号", "ja": "説明"})
    )
    response = await client.get(f"/api/v1/events/{ev.id}/calendar.ics", headers={"Accept-Language": "ja"})
    calendar = parse(response)
    assert response.headers["content-disposition"] == f'attachment; filename="event-{ev.id}.ics"'
    assert response.headers["content-language"] == "ja"
    assert str(calendar["X-WR-CALNAME"]) == "評弾の夕べ"
    [vevent] = calendar.events
    assert str(vevent["UID"]) == uid(ev)
    assert str(vevent["SUMMARY"]) == "評弾の夕べ"
    assert vevent["SUMMARY"].params["LANGUAGE"] == "ja"
    assert "説明" in str(vevent["DESCRIPTION"])
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert tz_name(start) == tz_name(end) == "Asia/Shanghai"
    assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert (start, end) == (ev.starts_at, ev.ends_at)
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert vevent.decoded("SEQUENCE") == int(ev.updated_at.timestamp())
    assert vevent.decoded("LAST-MODIFIED") == ev.updated_at.replace(microsecond=0)
    assert vevent.decoded("DTSTAMP").utcoffset() == timedelta(0)
    assert vevent["GEO"].latitude == pytest.approx(place["venue"].latitude)
    assert vevent["GEO"].longitude == pytest.approx(place["venue"].longitude)
    # No Japanese name: a Japanese reader's chain goes to English before Chinese.
    assert "Nanyuan Community Centre" in str(vevent["LOCATION"])
    [alarm] = vevent.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(hours=-2)

    english = by_uid(
        parse(await client.get(f"/api/v1/events/{ev.id}/calendar.ics", headers={"Accept-Language": "en"}))
    )[uid(ev)]
    assert str(english["SUMMARY"]) == "Pingtan Evening"
    assert str(english["LOCATION"]) == "Nanyuan Community Centre"
    korean = by_uid(parse(await client.get(f"/api/v1/events/{ev.id}/calendar.ics", headers={"Accept-Language": "ko"})))[
        uid(ev)
    ]
    assert str(korean["SUMMARY"]) == "Pingtan Evening"  # no Korean title: English before Chinese
    assert korean["SUMMARY"].params["LANGUAGE"] == "en"
    assert "第一行\n第二行，含逗号; 分号" in str(korean["DESCRIPTION"])  # escaped and read back intact


async def test_long_text_is_folded_at_75_octets_without_breaking_characters(
    client: Client, place: dict[str, Any]
) -> None:
    ev = await event(place, title={"zh-Hans": "苏州评弹与昆曲：" * 12}, description={"zh-Hans": "长长的介绍，" * 200})
    vevent = parse(await client.get(f"/api/v1/events/{ev.id}/calendar.ics")).events[0]
    assert str(vevent["SUMMARY"]) == "苏州评弹与昆曲：" * 12
    assert str(vevent["DESCRIPTION"]).endswith("长长的介绍，" * 200)


async def test_a_cancelled_event_says_so(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place)
    before = parse(await client.get(f"/api/v1/events/{ev.id}/calendar.ics")).events[0]
    organiser = await factories.staff(Role.organiser, place["organisation"])
    cancelled = await client.post(f"/api/v1/events/{ev.id}/cancel", headers=factories.token_for(organiser))
    assert cancelled.status_code == 200, cancelled.text
    after = parse(await client.get(f"/api/v1/events/{ev.id}/calendar.ics")).events[0]
    assert str(after["STATUS"]) == "CANCELLED"
    assert str(after["UID"]) == str(before["UID"]) == uid(ev)
    assert after.decoded("SEQUENCE") >= before.decoded("SEQUENCE")
    assert not after.walk("VALARM")


async def test_a_draft_is_only_for_its_organisers(client: Client, place: dict[str, Any]) -> None:
    organiser = await factories.staff(Role.organiser, place["organisation"])
    created = await client.post(
        "/api/v1/events",
        json=factories.event_body(place["organisation"], place["venue"]),
        headers=factories.token_for(organiser),
    )
    assert created.status_code == 201, created.text
    draft_id = created.json()["events"][0]["id"]
    path = f"/api/v1/events/{draft_id}/calendar.ics"
    resident = await factories.resident()
    for headers in ({}, factories.token_for(resident)):
        refused = await client.get(path, headers=headers)
        assert refused.status_code == 404
        assert refused.json()["code"] == "event_not_found"
    assert parse(await client.get(path, headers=factories.token_for(organiser))).events


async def test_an_unknown_event_is_404(client: Client) -> None:
    response = await client.get(f"/api/v1/events/{uuid.uuid4()}/calendar.ics")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


# --- the personal feed ------------------------------------------------------------------------------


async def create_feed(client: Client, user: Any) -> dict[str, str]:
    response = await client.post("/api/v1/me/calendar-feed", headers=factories.token_for(user))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["url"] == f"/api/v1/me/calendar.ics?token={body['token']}"
    return body


async def test_the_feed_lists_the_residents_registrations(client: Client, place: dict[str, Any]) -> None:
    me, neighbour = await factories.resident(), await factories.resident()
    confirmed = await event(place, title=TITLE)
    full = await event(place, title={"zh-Hans": "昆曲体验课"}, capacity=1, max_party_size=1)
    given_up = await event(place, title={"zh-Hans": "读书会"})
    called_off = await event(place, title={"zh-Hans": "剪纸工作坊"})
    not_mine = await event(place, title={"zh-Hans": "邻居的活动"})
    await sign_up(client, confirmed.id, me)
    await sign_up(client, full.id, neighbour)
    assert (await sign_up(client, full.id, me))["status"] == "waitlisted"
    registration = await sign_up(client, given_up.id, me)
    assert (
        await client.delete(f"/api/v1/registrations/{registration['id']}", headers=factories.token_for(me))
    ).status_code == 200
    await sign_up(client, called_off.id, me)
    organiser = await factories.staff(Role.organiser, place["organisation"])
    assert (
        await client.post(f"/api/v1/events/{called_off.id}/cancel", headers=factories.token_for(organiser))
    ).status_code == 200
    await sign_up(client, not_mine.id, neighbour)

    feed = await create_feed(client, me)
    response = await client.get(feed["url"])  # no Authorization header, as a calendar app asks
    calendar = parse(response)
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["content-language"] == "zh-Hans"
    entries = by_uid(calendar)
    assert set(entries) == {uid(confirmed), uid(full), uid(given_up), uid(called_off)}
    assert str(entries[uid(confirmed)]["SUMMARY"]) == "评弹欣赏会"
    assert str(entries[uid(confirmed)]["STATUS"]) == "CONFIRMED"
    assert entries[uid(confirmed)].walk("VALARM")
    waitlisted = entries[uid(full)]
    marker = translations("zh-Hans").gettext(WAITLIST_SUMMARY)
    assert str(waitlisted["SUMMARY"]) == marker.format(title="昆曲体验课") != "昆曲体验课"
    assert str(waitlisted["STATUS"]) == "TENTATIVE"
    assert str(entries[uid(given_up)]["STATUS"]) == "CANCELLED"
    assert str(entries[uid(called_off)]["STATUS"]) == "CANCELLED"
    for vevent in entries.values():
        assert tz_name(vevent.decoded("DTSTART")) == "Asia/Shanghai"
    assert entries[uid(confirmed)].decoded("DTSTART") == confirmed.starts_at

    other = parse(await client.get((await create_feed(client, neighbour))["url"]))
    assert set(by_uid(other)) == {uid(full), uid(not_mine)}


async def test_the_feed_speaks_the_residents_saved_language(client: Client, place: dict[str, Any]) -> None:
    me = await factories.resident()
    ev = await event(place, title=TITLE)
    await sign_up(client, ev.id, me)
    saved = await client.patch("/api/v1/me", json={"locale": "ja"}, headers=factories.token_for(me))
    assert saved.status_code == 200, saved.text
    url = (await create_feed(client, me))["url"]
    # The Accept-Language of a polling calendar server says nothing about the resident.
    response = await client.get(url, headers={"Accept-Language": "en"})
    assert response.headers["content-language"] == "ja"
    assert str(parse(response).events[0]["SUMMARY"]) == "評弾の夕べ"
    chosen = await client.get(f"{url}&lang=en")
    assert chosen.headers["content-language"] == "en"
    assert str(parse(chosen).events[0]["SUMMARY"]) == "Pingtan Evening"


async def test_old_and_past_entries_leave_the_feed(client: Client, place: dict[str, Any]) -> None:
    me = await factories.resident()
    recent, old = await event(place), await event(place)
    await sign_up(client, recent.id, me)
    await sign_up(client, old.id, me)
    for ev, days in ((recent, 30), (old, 120)):
        await Event.update(
            {Event.starts_at: ev.starts_at - timedelta(days=days), Event.ends_at: ev.ends_at - timedelta(days=days)}
        ).where(Event.id == ev.id)
    entries = by_uid(parse(await client.get((await create_feed(client, me))["url"])))
    assert set(entries) == {uid(recent)}


async def test_rotating_and_revoking_the_feed(client: Client, place: dict[str, Any]) -> None:
    me = await factories.resident()
    await sign_up(client, (await event(place)).id, me)
    first = await create_feed(client, me)
    assert (await client.get(first["url"])).status_code == 200
    second = await create_feed(client, me)
    assert second["token"] != first["token"]
    gone = await client.get(first["url"])
    assert gone.status_code == 404
    assert gone.json()["code"] == "calendar_feed_not_found"
    assert (await client.get(second["url"])).status_code == 200
    revoked = await client.delete("/api/v1/me/calendar-feed", headers=factories.token_for(me))
    assert revoked.status_code == 204
    assert (await client.get(second["url"])).status_code == 404
    assert (await client.delete("/api/v1/me/calendar-feed", headers=factories.token_for(me))).status_code == 204


async def test_only_the_tokens_hash_is_kept(client: Client) -> None:
    me = await factories.resident()
    feed = await create_feed(client, me)
    rows = await CalendarFeed.select(CalendarFeed.token_hash, CalendarFeed.revoked_at).where(CalendarFeed.user == me.id)
    assert rows == [{"token_hash": hashlib.sha256(feed["token"].encode()).hexdigest(), "revoked_at": None}]


async def test_a_guessed_token_learns_nothing(client: Client) -> None:
    for token in ("garbage", "x" * 43, "%00", "' OR 1=1 --"):
        response = await client.get("/api/v1/me/calendar.ics", params={"token": token})
        assert response.status_code == 404, token
        assert response.json()["code"] == "calendar_feed_not_found"
    assert (await client.get("/api/v1/me/calendar.ics")).status_code == 422  # no token at all: a plain validation error


async def test_managing_the_feed_needs_a_login(client: Client) -> None:
    assert (await client.post("/api/v1/me/calendar-feed")).status_code == 401
    assert (await client.delete("/api/v1/me/calendar-feed")).status_code == 401


async def test_a_deleted_accounts_feed_stops(client: Client, place: dict[str, Any]) -> None:
    me = await factories.resident()
    await sign_up(client, (await event(place)).id, me)
    url = (await create_feed(client, me))["url"]
    assert (await client.get(url)).status_code == 200
    assert (await client.delete("/api/v1/me", headers=factories.token_for(me))).status_code in (200, 204)
    assert (await client.get(url)).status_code == 404


async def test_an_empty_feed_is_still_a_calendar(client: Client) -> None:
    calendar = parse(await client.get((await create_feed(client, await factories.resident()))["url"]))
    assert calendar.events == []
    assert str(calendar["X-WR-CALNAME"])


async def _away_from_a_window_edge() -> None:
    """Rate limits count in fixed one-minute windows; a test must not straddle two."""
    second = time.time() % 60
    if second > 55:
        await asyncio.sleep(60 - second + 0.1)


async def test_calendar_files_are_rate_limited_per_address(
    client: Client, place: dict[str, Any], settings: Settings, shared_redis: Redis | None
) -> None:
    ev = await event(place)
    async with serve_in_process(build_app(settings, shared_redis, calendar_rate_limit=2)) as limited:
        await _away_from_a_window_edge()
        answers = [(await limited.get(f"/api/v1/events/{ev.id}/calendar.ics")).status_code for _ in range(3)]
        assert answers == [200, 200, 429]
        refused = await limited.get("/api/v1/me/calendar.ics", params={"token": "garbage"})
        assert refused.status_code == 429  # guessing tokens spends the same budget
        assert refused.headers["retry-after"]


async def test_new_feed_addresses_are_limited_per_resident(
    client: Client, settings: Settings, shared_redis: Redis | None
) -> None:
    resident, neighbour = await factories.resident(), await factories.resident()
    async with serve_in_process(build_app(settings, shared_redis, calendar_feed_rate_limit=2)) as limited:
        answers = [
            (await limited.post("/api/v1/me/calendar-feed", headers=factories.token_for(resident))).status_code
            for _ in range(3)
        ]
        assert answers == [201, 201, 429]
        refused = await limited.post("/api/v1/me/calendar-feed", headers=factories.token_for(resident))
        assert refused.json()["code"] == "rate_limited"
        assert 0 < int(refused.headers["retry-after"]) <= 3600  # counted per hour
        # per resident, not per address: a neighbour behind the same address is not held back
        assert (
            await limited.post("/api/v1/me/calendar-feed", headers=factories.token_for(neighbour))
        ).status_code == 201
    assert await CalendarFeed.count().where(CalendarFeed.revoked_at.is_null()) == 2


async def test_the_calendar_operations_are_documented(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    feed = document["paths"]["/api/v1/me/calendar.ics"]["get"]
    assert feed["operationId"] == "my_calendar_feed"
    assert "text/calendar" in feed["responses"]["200"]["content"]
    assert "404" in feed["responses"]
    assert document["paths"]["/api/v1/me/calendar-feed"]["post"]["security"] == [{"bearer": []}]
    assert "429" in document["paths"]["/api/v1/me/calendar-feed"]["post"]["responses"]
    ids = [
        op["operationId"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(ids) == len(set(ids))
