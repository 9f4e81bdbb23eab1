"""The demo's last three months in 南园: one neighbourhood evening a month, held and attended by
the residents who said where they live (the places demo's ``residents``), fewer of them from the
resettlement and affordable estates, and more each month, as PROPOSAL-007 hopes, so the
participation statistics and the counts by estate and estate kind have something true to show.

Made through the services like every demo event, then moved into its month and completed (the
services rightly refuse an event in the past), with each attendance checked in at the door."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import msgspec

from backend.core import clock
from backend.core.cache import VersionedCache
from backend.core.domain import DemoWorld
from backend.core.i18n import CITY_TZ
from backend.core.stores import build_stores
from backend.events.catalogue import services
from backend.events.catalogue.schemas import EventCreate
from backend.events.catalogue.tables import Event, EventStatus
from backend.events.registrations.tables import Registration, RegistrationStatus

TITLE = {
    "zh-Hans": "南园邻里月会·老街新邻",
    "en": "Nanyuan Neighbours' Evening: Old Lanes, New Neighbours",
    "zh-Hant": "南園鄰里月會·老街新鄰",
    "ja": "南園ご近所の夕べ：古い路地と新しい隣人",
    "ko": "난위안 이웃의 밤: 옛 골목, 새 이웃",
}
SUMMARY = {
    "zh-Hans": "每月一次，各小区居民认识新邻居、聊聊社区事",
    "en": "Once a month: residents of every estate meet new neighbours and talk about the community",
}
# How many of each estate's demo residents came, three months ago, two, and last month.
CAME = {"nanyuan_xincun": (9, 10, 11), "yangzhitang": (5, 6, 6), "nanhuan": (3, 5, 5), "nanyuan_anzhi": (2, 4, 6)}


def _month_back(today: date, back: int) -> date:
    index = today.year * 12 + today.month - 1 - back
    return date(index // 12, index % 12 + 1, 12)


async def seed_past(accounts: DemoWorld, venue_id: uuid.UUID) -> int:
    """The three evenings and their attendances, once; how many attendances were recorded."""
    residents: dict[str, list[uuid.UUID]] = (accounts.made.get("places") or {}).get("residents") or {}
    if not residents or await Event.exists().where(
        (Event.venue == venue_id) & (Event.status == EventStatus.completed.value)
    ):
        return 0
    cache = VersionedCache(build_stores(None))
    user_id = accounts.staff["demo-organiser"]
    today = clock.city_today()
    recorded = 0
    for index, back in enumerate((3, 2, 1)):
        held = datetime.combine(_month_back(today, back), time(19), tzinfo=CITY_TZ)
        event_id = await _event(accounts, user_id, venue_id, cache)
        await Event.update(
            {Event.starts_at: held, Event.ends_at: held + timedelta(hours=2), Event.status: EventStatus.completed.value}
        ).where(Event.id == event_id)
        queue = 0
        for key, people in residents.items():
            for person in people[: CAME.get(key, (0, 0, 0))[index]]:
                queue += 1
                await Registration(
                    event=event_id,
                    user=person,
                    party_size=1,
                    status=RegistrationStatus.attended.value,
                    queue_number=queue,
                    created_at=held - timedelta(days=5),
                    confirmed_at=held - timedelta(days=5),
                    checked_in_at=held - timedelta(minutes=10),
                ).save()
        recorded += queue
    return recorded


async def _event(accounts: DemoWorld, user_id: uuid.UUID, venue_id: uuid.UUID, cache: VersionedCache) -> Any:
    starts_at = datetime.combine(clock.city_today() + timedelta(days=30), time(19), tzinfo=CITY_TZ)
    body = {
        "organisation_id": accounts.organisations["shuangta"],
        "venue_id": venue_id,
        "category": "other",
        "languages": ["zh", "wuu"],
        "title": TITLE,
        "summary": SUMMARY,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "capacity": 80,
        "contact_name": "双塔街道文化站",
        "contact_phone": "0512-6520 1880",
    }
    _, events = await services.create_events(user_id=user_id, data=msgspec.convert(body, EventCreate), cache=cache)
    await services.publish_event(user_id=user_id, event_id=events[0].id, scope="following", cache=cache)
    return events[0].id
