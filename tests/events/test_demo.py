"""The events demo stays alive: whenever it is seeded there is an event on within the hour (its
door open), tonight's if the evening is ahead, and both days of this weekend; a demo database
seeded days earlier is topped up, and seeding again adds nothing twice."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import httpx

from backend.core import clock
from backend.core.domain import DemoWorld
from backend.core.i18n import CITY_TZ
from backend.domains import DOMAINS
from backend.events.catalogue.tables import Event, Venue
from backend.settings import Settings

Client = httpx.AsyncClient


async def seed(settings: Settings) -> str:
    world = DemoWorld(keys=settings.sealing_keys)
    for domain in DOMAINS:
        if domain.name in ("accounts", "events"):
            assert domain.seed_demo is not None
            await domain.seed_demo(world)
    return "\n".join(world.summary)


async def published_on(day: Any) -> list[dict[str, Any]]:
    start = datetime.combine(day, time(), tzinfo=CITY_TZ)
    return (
        await Event.select(Event.title, Event.starts_at, Event.status)
        .where((Event.starts_at >= start) & (Event.starts_at < start + timedelta(days=1)))
        .output(load_json=True)
    )


async def test_a_demo_seeded_days_ago_is_topped_up_and_nothing_twice(client: Client, settings: Settings) -> None:
    # A Wednesday morning in Suzhou, twelve days ago, then this Wednesday at 17:20.
    now = datetime.now(CITY_TZ)
    wednesday = now.date() - timedelta(days=(now.weekday() - 2) % 7)
    then = datetime.combine(wednesday - timedelta(days=14), time(9, 0), tzinfo=CITY_TZ)
    with clock.frozen(then):
        await seed(settings)
    before = await Event.count()
    today = datetime.combine(wednesday, time(17, 20), tzinfo=CITY_TZ)
    with clock.frozen(today):
        summary = await seed(settings)
        assert "programme already there, 6 added for today and this weekend" in summary
        on_today = {row["title"]["en"]: row for row in await published_on(wednesday)}
        drop_in = on_today["Neighbours' Tea: Drop In Any Time"]
        assert today < drop_in["starts_at"] <= today + timedelta(minutes=30)  # the door is open now
        assert drop_in["starts_at"].astimezone(CITY_TZ).minute % 15 == 0
        assert "Tonight: Neighbours' Film Night" in on_today
        for day in (wednesday + timedelta(days=3), wednesday + timedelta(days=4)):
            titles = {row["title"]["en"] for row in await published_on(day)}
            assert {"Weekend Picture Books for Families", "Weekend Tea and Pingtan Ballads"} <= titles
        assert {row["status"] for row in await Event.select(Event.status)} == {"published"}
        assert await Event.count() == before + 6
        assert "today and this weekend in place" in await seed(settings)
        assert await Event.count() == before + 6
    # Once the drop-in has begun its sign-ups are closed: a demo started then gets one to sign up for.
    with clock.frozen(drop_in["starts_at"] + timedelta(minutes=5)):
        assert "1 added for today and this weekend" in await seed(settings)
        ahead = [row for row in await published_on(wednesday) if row["title"]["en"] == drop_in["title"]["en"]]
        assert sum(row["starts_at"] > clock.now() for row in ahead) == 1
    # Later that evening the drop-in is over: a new one is on within the hour; the film is still ahead.
    with clock.frozen(today + timedelta(hours=2, minutes=40)):
        assert "1 added for today and this weekend" in await seed(settings)


async def test_on_a_sunday_evening_only_what_is_ahead_is_added(client: Client, settings: Settings) -> None:
    now = datetime.now(CITY_TZ)
    sunday = now.date() + timedelta(days=(6 - now.weekday()) % 7 or 7)
    with clock.frozen(datetime.combine(sunday, time(20, 10), tzinfo=CITY_TZ)):
        summary = await seed(settings)
        assert "1 added for today and this weekend" in summary  # the drop-in; the rest is over
        assert [row["title"]["en"] for row in await published_on(sunday) if row["starts_at"] > clock.now()] == [
            "Neighbours' Tea: Drop In Any Time"
        ]


async def test_the_public_places_of_the_demo_are_shared(client: Client, settings: Settings) -> None:
    await seed(settings)
    await Venue.update({Venue.shared: False}).where(Venue.id.is_not_null())  # a database from before
    await seed(settings)
    rows = await Venue.select(Venue.name, Venue.shared).output(load_json=True)
    shared = {row["name"]["en"] for row in rows if row["shared"]}
    assert shared == {
        "Nanyuan Pocket Square",
        "Shuangta Storytelling Hall",
        "Suzhou Library, Shuangta Branch",
        "Xietang Old Street Opera Stage",
    }
