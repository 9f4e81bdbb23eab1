"""Library branches over HTTP: finding an open one with a free seat, hours, occupancy, scope."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from babel.dates import format_skeleton

from backend.accounts.tables import OrganisationKind, Role
from backend.core.i18n import CITY_TZ
from backend.libraries.tables import LibraryBranch
from tests import factories

Client = httpx.AsyncClient
WEEKDAYS_9_TO_5 = {str(d): [{"opens": "09:00", "closes": "17:00"}] for d in range(7)}


def local(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CITY_TZ).isoformat()


@pytest.fixture
async def libs(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    other_library = await factories.organisation(OrganisationKind.library, tree["street_b"], "莲花分馆")
    librarian = await factories.staff(Role.library_staff, tree["library_a"])
    return {
        "tree": tree,
        "other_library": other_library,
        "librarian": librarian,
        "auth": factories.token_for(librarian),
    }


async def branch(
    client: Client,
    libs: dict[str, Any],
    *,
    lat: float = 31.2946,
    lng: float = 120.6285,
    name: str = "双塔分馆",
    auth: dict | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    venue = await factories.venue(libs["tree"]["library_a"], libs["tree"]["community_a"], lat=lat, lng=lng, name=name)
    body = {
        "organisation_id": str(libs["tree"]["library_a"].id),
        "venue_id": str(venue.id),
        "name": {"zh-Hans": name, "en": f"{name} (en)"},
        "services": ["lending", "e_reading"],
        "e_reading_seats": 20,
        "weekly_hours": WEEKDAYS_9_TO_5,
        **overrides,
    }
    response = await client.post("/api/v1/library-branches", json=body, headers=auth or libs["auth"])
    assert response.status_code == 201, response.text
    return response.json()


async def find(client: Client, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/library-branches", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_nearest_open_branch_with_free_seats(client: Client, libs: dict[str, Any]) -> None:
    near = await branch(client, libs, lat=31.2950, lng=120.6290, name="近馆")
    far = await branch(client, libs, lat=31.3050, lng=120.6400, name="远馆")
    closed_on_wednesdays = await branch(
        client,
        libs,
        lat=31.2947,
        lng=120.6286,
        name="周三闭馆",
        weekly_hours={k: v for k, v in WEEKDAYS_9_TO_5.items() if k != "2"},
    )
    beyond = await branch(client, libs, lat=31.40, lng=120.80, name="园区馆")
    for b in (near, far, closed_on_wednesdays):
        await client.put(f"/api/v1/library-branches/{b['id']}/occupancy", json={"free_seats": 5}, headers=libs["auth"])
    found = await find(client, near="31.2946,120.6285", radius_m=5000)
    assert [b["id"] for b in found] == [closed_on_wednesdays["id"], near["id"], far["id"]]
    assert found[0]["distance_m"] < found[1]["distance_m"] < found[2]["distance_m"]
    assert beyond["id"] not in [b["id"] for b in found]
    # A Wednesday in the coming weeks at 10:00: the closest branch is closed that day.
    wednesday = _next(2)
    open_then = await find(client, near="31.2946,120.6285", open_now="true", at=local(wednesday, 10))
    assert [b["id"] for b in open_then] == [near["id"], far["id"]]
    assert all(b["status"]["is_open"] for b in open_then)
    # A seat count reported now says nothing about next Wednesday: it is unknown then.
    assert all(b["occupancy"]["known"] is False for b in open_then)
    with_seats_now = await find(client, near="31.2946,120.6285", has_free_seats="true")
    assert [b["id"] for b in with_seats_now] == [closed_on_wednesdays["id"], near["id"], far["id"]]


def _next(weekday: int) -> date:
    """The next date with this weekday that is an ordinary working day (not a holiday)."""
    from backend.libraries.holidays import DayKind, day_kind

    day = datetime.now(CITY_TZ).date() + timedelta(days=1)
    while day.weekday() != weekday or day_kind(day) not in (DayKind.workday, DayKind.weekend):
        day += timedelta(days=1)
    return day


async def test_public_holidays_and_make_up_days_follow_the_branch_rules(client: Client, libs: dict[str, Any]) -> None:
    monday_closed = await branch(
        client,
        libs,
        name="周一闭馆",
        weekly_hours={
            **{k: v for k, v in WEEKDAYS_9_TO_5.items() if k != "0"},
            "6": [{"opens": "10:00", "closes": "16:00"}],
        },
        holiday_rules={
            "monday_closed_unless_holiday": True,
            "public_holiday": "sunday_hours",
            "makeup_workday": "regular",
        },
    )
    closed_on_holidays = await branch(client, libs, name="节假日闭馆", holiday_rules={"public_holiday": "closed"})

    def status_of(items: list[dict[str, Any]], b: dict[str, Any]) -> bool:
        return next(i for i in items if i["id"] == b["id"])["status"]["is_open"]

    national_day = date(2026, 10, 1)  # a Thursday, a public holiday
    items = await find(client, at=local(national_day, 11))
    assert status_of(items, monday_closed) is True  # Sunday hours: 10:00–16:00
    assert status_of(items, closed_on_holidays) is False
    early = await find(client, at=local(national_day, 9, 30))
    assert status_of(early, monday_closed) is False  # Sunday hours start at 10:00
    makeup = date(2026, 9, 20)  # a Sunday that is a working day (调休)
    items = await find(client, at=local(makeup, 9, 30))
    assert status_of(items, closed_on_holidays) is True


async def test_an_exception_beats_the_template_and_the_week_shows_it(client: Client, libs: dict[str, Any]) -> None:
    b = await branch(client, libs)
    day = _next(3)
    closed = await client.put(
        f"/api/v1/library-branches/{b['id']}/exceptions/{day.isoformat()}",
        json={"closed": True, "note": {"zh-Hans": "设备检修", "en": "Maintenance"}},
        headers=libs["auth"],
    )
    assert closed.status_code == 200, closed.text
    assert not (await find(client, at=local(day, 10)))[0]["status"]["is_open"]
    special = await client.put(
        f"/api/v1/library-branches/{b['id']}/exceptions/{day.isoformat()}",
        json={"intervals": [{"opens": "13:00", "closes": "15:00"}]},
        headers=libs["auth"],
    )
    assert special.status_code == 200
    assert not (await find(client, at=local(day, 10)))[0]["status"]["is_open"]
    assert (await find(client, at=local(day, 14)))[0]["status"]["is_open"]
    empty = await client.put(
        f"/api/v1/library-branches/{b['id']}/exceptions/{day.isoformat()}", json={}, headers=libs["auth"]
    )
    assert empty.json()["code"] == "exception_empty"
    await client.delete(f"/api/v1/library-branches/{b['id']}/exceptions/{day.isoformat()}", headers=libs["auth"])
    assert (await find(client, at=local(day, 10)))[0]["status"]["is_open"]


async def test_the_branch_page(client: Client, libs: dict[str, Any]) -> None:
    b = await branch(client, libs)
    await factories.published_event(libs["tree"]["library_a"], await _venue_of(b))
    page = await client.get(f"/api/v1/library-branches/{b['id']}", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["name"] == "双塔分馆 (en)"
    assert len(body["week"]) == 7
    assert all(
        d["intervals"] == [{"opens": "09:00", "closes": "17:00"}]
        for d in body["week"]
        if d["kind"] in ("workday", "weekend")
    )
    assert body["status"]["text"]
    assert len(body["upcoming_events"]) == 1
    assert body["occupancy"] == {"known": False, "free_seats": None, "total_seats": 20, "reported_at": None}
    assert (await client.get(f"/api/v1/library-branches/{uuid.uuid4()}")).json()["code"] == "branch_not_found"


async def _venue_of(b: dict[str, Any]) -> Any:
    from backend.events.catalogue.tables import Venue

    return await Venue.objects().where(Venue.id == uuid.UUID(b["venue_id"])).first()


async def test_occupancy_goes_stale(client: Client, libs: dict[str, Any]) -> None:
    b = await branch(client, libs)
    reported = await client.put(
        f"/api/v1/library-branches/{b['id']}/occupancy", json={"free_seats": 7}, headers=libs["auth"]
    )
    assert reported.json()["occupancy"]["free_seats"] == 7 and reported.json()["occupancy"]["known"] is True
    too_many = await client.put(
        f"/api/v1/library-branches/{b['id']}/occupancy", json={"free_seats": 21}, headers=libs["auth"]
    )
    assert (too_many.status_code, too_many.json()["code"]) == (422, "occupancy_too_high")
    assert len(await find(client, has_free_seats="true")) == 1
    await LibraryBranch.update({LibraryBranch.free_seats_at: datetime.now(UTC) - timedelta(minutes=31)}).where(
        LibraryBranch.id == uuid.UUID(b["id"])
    )
    stale = (await find(client))[0]["occupancy"]
    assert (stale["known"], stale["free_seats"]) == (False, None)
    assert await find(client, has_free_seats="true") == []
    await client.put(f"/api/v1/library-branches/{b['id']}/occupancy", json={"free_seats": 0}, headers=libs["auth"])
    assert await find(client, has_free_seats="true") == []  # known, but full


async def test_only_staff_of_that_branch_or_admins_above_write(client: Client, libs: dict[str, Any]) -> None:
    b = await branch(client, libs)
    other_librarian = await factories.staff(Role.library_staff, libs["other_library"])
    organiser = await factories.staff(Role.organiser, libs["tree"]["street_a"])
    resident = await factories.resident()
    street_admin = await factories.staff(Role.admin, libs["tree"]["street_a"])
    for user, expected in ((other_librarian, 403), (organiser, 403), (resident, 403), (street_admin, 200)):
        response = await client.put(
            f"/api/v1/library-branches/{b['id']}/occupancy", json={"free_seats": 3}, headers=factories.token_for(user)
        )
        assert response.status_code == expected, (user.username, response.text)
    anonymous = await client.put(f"/api/v1/library-branches/{b['id']}/occupancy", json={"free_seats": 3})
    assert anonymous.status_code == 401
    other = await client.post(
        "/api/v1/library-branches",
        json={
            "organisation_id": str(libs["tree"]["library_a"].id),
            "venue_id": b["venue_id"],
            "name": {"zh-Hans": "x"},
            "weekly_hours": {},
        },
        headers=factories.token_for(other_librarian),
    )
    assert other.status_code == 403


async def test_a_room_keeps_the_branch_hours_unless_it_has_its_own(client: Client, libs: dict[str, Any]) -> None:
    b = await branch(client, libs)
    await client.post(
        f"/api/v1/library-branches/{b['id']}/rooms",
        json={"name": {"zh-Hans": "电子阅览室"}, "seats": 20},
        headers=libs["auth"],
    )
    evening = await client.post(
        f"/api/v1/library-branches/{b['id']}/rooms",
        json={
            "name": {"zh-Hans": "夜间自习室"},
            "seats": 10,
            "weekly_hours": {str(d): [{"opens": "18:00", "closes": "23:00"}] for d in range(7)},
        },
        headers=libs["auth"],
    )
    assert evening.status_code == 201, evening.text
    day = _next(1)
    page = (await client.get(f"/api/v1/library-branches/{b['id']}", params={"at": local(day, 20)})).json()
    rooms = {r["name"]: r for r in page["rooms"]}
    assert rooms["电子阅览室"]["status"]["is_open"] is False and rooms["电子阅览室"]["own_hours"] is False
    assert rooms["夜间自习室"]["status"]["is_open"] is True


@pytest.mark.parametrize(
    "hours",
    [
        {"0": [{"opens": "9:00", "closes": "17:00"}]},
        {"7": [{"opens": "09:00", "closes": "17:00"}]},
        {"0": [{"opens": "25:00", "closes": "17:00"}]},
    ],
)
async def test_malformed_hours_are_refused(client: Client, libs: dict[str, Any], hours: dict) -> None:
    venue = await factories.venue(libs["tree"]["library_a"])
    response = await client.post(
        "/api/v1/library-branches",
        json={
            "organisation_id": str(libs["tree"]["library_a"].id),
            "venue_id": str(venue.id),
            "name": {"zh-Hans": "x"},
            "weekly_hours": hours,
        },
        headers=libs["auth"],
    )
    assert response.status_code == 422


async def test_status_at_another_day_names_that_day(client: Client, libs: dict[str, Any]) -> None:
    """`?at=` ten days ahead at 10:00 does not say "closes today": it names the day (issue 16)."""
    b = await branch(client, libs)
    today = datetime.now(CITY_TZ).date()
    now_words = (await find(client, at=local(today, 10), lang="en"))[0]["status"]
    assert now_words["is_open"] and now_words["text"] == "Closes today at 5:00\u202fPM"
    later = today + timedelta(days=10)
    planned = (await find(client, at=local(later, 10), lang="en"))[0]["status"]
    day = format_skeleton("MMMEd", datetime(later.year, later.month, later.day, 12, tzinfo=CITY_TZ), locale="en")
    assert planned["text"] == f"Closes on {day} at 5:00\u202fPM"
    # Times in answers are UTC with Z: the same moments as 09:00 and 17:00 in Suzhou.
    assert planned["open_since"].endswith("Z") and planned["open_until"].endswith("Z")
    assert datetime.fromisoformat(planned["open_since"]) == datetime.fromisoformat(local(later, 9))
    assert datetime.fromisoformat(planned["open_until"]) == datetime.fromisoformat(local(later, 17))
    page = (await client.get(f"/api/v1/library-branches/{b['id']}", params={"at": local(later, 10)})).json()
    assert "今天" not in page["status"]["text"] and page["week"][0]["date"] == later.isoformat()


async def test_a_24_hour_room_has_no_made_up_dates(client: Client, libs: dict[str, Any]) -> None:
    all_day = {str(d): [{"opens": "00:00", "closes": "00:00"}] for d in range(7)}
    await branch(client, libs, weekly_hours=all_day, holiday_rules={"public_holiday": "regular"})
    status = (await find(client, lang="en"))[0]["status"]
    assert status == {
        "is_open": True,
        "open_since": None,
        "open_until": None,
        "next_change": None,
        "text": "Open 24 hours",
    }


async def test_traditional_readers_get_simplified_names_converted(client: Client, libs: dict[str, Any]) -> None:
    b = await branch(client, libs, name="苏州图书馆双塔分馆", address={"zh-Hans": "姑苏区凤凰街"})
    await client.post(
        f"/api/v1/library-branches/{b['id']}/rooms", json={"name": {"zh-Hans": "电子阅览室"}}, headers=libs["auth"]
    )
    page = (await client.get(f"/api/v1/library-branches/{b['id']}", params={"lang": "zh-Hant"})).json()
    assert (page["name"], page["address"]) == ("蘇州圖書館雙塔分館", "姑蘇區鳳凰街")
    assert [room["name"] for room in page["rooms"]] == ["電子閱覽室"]
    listed = await find(client, lang="zh-Hant")
    assert listed[0]["name"] == "蘇州圖書館雙塔分館"


@pytest.mark.parametrize(
    ("day", "code", "field_message"),
    [
        ("2026-02-30", "impossible_date", "2026-02-30 is not a date in the calendar. Write a day as 2026-12-05."),
        ("9999-01-01", "date_out_of_range", "Dates must fall between the years 1900 and 2199."),
        ("next-tuesday", "invalid_date", None),
    ],
)
async def test_a_day_in_the_path_that_is_no_day_is_a_422_naming_it(
    client: Client, libs: dict[str, Any], day: str, code: str, field_message: str | None
) -> None:
    """The branch exists; the date in its address is what is wrong, so the answer says so (not a
    404 as if the branch were gone), in the reader's language."""
    b = await branch(client, libs)
    url = f"/api/v1/library-branches/{b['id']}/exceptions/{day}"
    for answer in (
        await client.put(url, json={"closed": True}, headers={**libs["auth"], "Accept-Language": "en"}),
        await client.delete(url, headers={**libs["auth"], "Accept-Language": "en"}),
    ):
        assert answer.status_code == 422, answer.text
        problem = answer.json()
        [error] = problem["errors"]
        assert error["field"] == "day"
        assert error["code"] == code
        assert error["message"] == field_message or "2026-12-05" in error["message"]
