"""``libraries.api.branch_page``: the public branch page's read, every word already in the reader's
language, so the page's template decides nothing."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role
from backend.core.errors import NotFound
from backend.core.i18n import CITY_TZ, use_locale
from backend.libraries.api import branch_page
from tests import factories

Client = httpx.AsyncClient
WEEKDAYS = {str(d): [{"opens": "09:00", "closes": "11:30"}, {"opens": "13:30", "closes": "17:00"}] for d in range(5)}
WEEKEND = {str(d): [{"opens": "10:00", "closes": "16:00"}] for d in (5, 6)}


@pytest.fixture
async def shuangta(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    auth = factories.token_for(await factories.staff(Role.library_staff, tree["library_a"]))
    venue = await factories.venue(tree["library_a"], tree["community_a"], name="苏州图书馆双塔分馆")
    body = {
        "organisation_id": str(tree["library_a"].id),
        "venue_id": str(venue.id),
        "name": {"zh-Hans": "苏州图书馆双塔分馆"},
        "address": {"zh-Hans": "姑苏区凤凰街 160 号"},
        "services": ["lending", "e_reading", "online_loan_pickup"],
        "e_reading_seats": 24,
        "weekly_hours": {**WEEKDAYS, **WEEKEND},
        "holiday_rules": {"public_holiday": "closed", "makeup_workday": "weekday_hours"},
    }
    created = await client.post("/api/v1/library-branches", json=body, headers=auth)
    assert created.status_code == 201, created.text
    url = f"/api/v1/library-branches/{created.json()['id']}"
    closed = {"closed": True, "note": {"zh-Hans": "设备维护", "en": "Maintenance"}}
    assert (await client.put(f"{url}/exceptions/2026-09-22", json=closed, headers=auth)).is_success
    room = {"name": {"zh-Hans": "电子阅览室", "en": "E-reading room"}, "seats": 24}
    assert (await client.post(f"{url}/rooms", json=room, headers=auth)).status_code == 201
    await factories.published_event(tree["library_a"], venue)
    return {"id": uuid.UUID(created.json()["id"]), "url": url, "auth": auth}


async def test_the_week_around_a_holiday_in_words(client: Client, shuangta: dict[str, Any]) -> None:
    """Asked about Sunday 20 September 2026, a make-up working day for National Day."""
    with use_locale("zh-Hans"):
        page = await branch_page(shuangta["id"], datetime(2026, 9, 20, 10))  # no offset: Suzhou time
    assert (page.name, page.locale, page.converted) == ("苏州图书馆双塔分馆", "zh-Hans", False)
    assert (page.is_open, page.open_text) == (True, "开馆中")
    assert "今天" not in page.status and "9月20日" in page.status  # another day than today: its date
    days = {day.date.isoformat(): day for day in page.week}
    assert page.week[0].date.isoformat() == "2026-09-20" and days["2026-09-20"].asked
    sunday = days["2026-09-20"]
    assert (sunday.kind, sunday.label) == ("makeup_workday", "国庆节调休上班")
    assert sunday.hours == "09:00–11:30、13:30–17:00"  # a worked Sunday keeps weekday hours
    assert (days["2026-09-21"].label, days["2026-09-21"].closed) == (None, False)
    maintenance = days["2026-09-22"]
    assert (maintenance.hours, maintenance.closed, maintenance.note) == ("闭馆", True, "设备维护")
    festival = days["2026-09-25"]
    assert (festival.kind, festival.label, festival.hours) == ("public_holiday", "中秋节", "闭馆")
    assert [room.name for room in page.rooms] == ["电子阅览室"]
    assert page.seats is not None and page.seats.known is False  # nobody counted then
    assert page.seats.text == "暂无最近的空座统计" and page.seats.age is None


async def test_seats_services_and_events_in_the_readers_language(client: Client, shuangta: dict[str, Any]) -> None:
    assert (
        await client.put(f"{shuangta['url']}/occupancy", json={"free_seats": 6}, headers=shuangta["auth"])
    ).is_success
    with use_locale("en"):
        page = await branch_page(shuangta["id"])
    assert page.seats is not None
    assert (page.seats.known, page.seats.free, page.seats.total) == (True, 6, 24)
    assert page.seats.text == "6 of 24 e-reading seats free"
    assert page.seats.age is not None and page.seats.age.startswith("Counted ") and page.seats.age.endswith("ago")
    assert [(s.code, s.name) for s in page.services] == [
        ("lending", "Book lending"),
        ("e_reading", "E-reading seats"),
        ("online_loan_pickup", "Pickup of books borrowed online"),
    ]
    assert [event.title for event in page.upcoming_events] == ["Pingtan Evening"]
    assert page.open_text in ("Open", "Closed") and page.status

    with use_locale("zh-Hant"):
        traditional = await branch_page(shuangta["id"], datetime.now(CITY_TZ))
    assert (traditional.name, traditional.converted) == ("蘇州圖書館雙塔分館", True)
    assert traditional.address == "姑蘇區鳳凰街 160 號"
    assert traditional.seats is not None and traditional.seats.text == "24 個電子閱覽座位中尚有 6 個空位"


async def test_an_unknown_branch_is_not_found(client: Client) -> None:
    with pytest.raises(NotFound):
        await branch_page(uuid.uuid4())
