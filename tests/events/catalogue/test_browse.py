"""Browsing events as the mini-program does: GET /api/v1/events and /events/{id}, on both backends.

Events are made through the services before the first request of a test (the app's cache knows
nothing of them until then); every later change goes through the API, as it would in production.
"""

from __future__ import annotations

import base64
import itertools
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import msgspec
import pytest
from redis.asyncio import Redis

from backend.accounts.tables import Organisation, Role, User
from backend.core.cache import VersionedCache
from backend.core.i18n import CITY_TZ
from backend.core.stores import build_stores
from backend.events.catalogue import controllers as event_controllers
from backend.events.catalogue import queries, services
from backend.events.catalogue.schemas import EventCreate
from backend.events.catalogue.tables import Event
from tests import factories
from tests.factories import city_tree, event_body, resident, staff, token_for, venue

Client = httpx.AsyncClient
SUZHOU = ZoneInfo("Asia/Shanghai")
PROBLEM = "application/problem+json"


# --- builders ----------------------------------------------------------------------------------


def suzhou_day(weekday: int, *, at_least: int = 2) -> date:
    """The first Suzhou date on ``weekday`` (Monday = 0) at least ``at_least`` days from today."""
    day = datetime.now(SUZHOU).date() + timedelta(days=at_least)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Suzhou wall-clock moment (aware, +08:00)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SUZHOU)


def in_days(days: int, hour: int = 14, minute: int = 0) -> datetime:
    return at(datetime.now(SUZHOU).date() + timedelta(days=days), hour, minute)


def times(start: datetime, hours: float = 2) -> dict[str, str]:
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat()}


async def organiser_of(organisation: Organisation) -> User:
    return await staff(Role.organiser, organisation)


async def make_event(
    organiser: User, organisation: Organisation, place: Any, *, publish: bool = True, **overrides: Any
) -> Event:
    """An event as its organiser makes it (a draft unless ``publish``); the cache here is a
    throwaway one, so make events before a test's first request."""
    cache = VersionedCache(build_stores(None))
    data = msgspec.convert(event_body(organisation, place, **overrides), EventCreate)
    _, events = await services.create_events(user_id=organiser.id, data=data, cache=cache)
    if publish:
        await services.publish_event(user_id=organiser.id, event_id=events[0].id, scope="following", cache=cache)
    return events[0]


async def page(
    client: Client, params: Any = None, *, lang: str | None = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    all_headers = {**(headers or {}), **({"Accept-Language": lang} if lang else {})}
    response = await client.get("/api/v1/events", params=params, headers=all_headers)
    assert response.status_code == 200, response.text
    return response.json()


async def items(client: Client, params: Any = None, **kwargs: Any) -> list[dict[str, Any]]:
    return (await page(client, params, **kwargs))["items"]


async def ids(client: Client, params: Any = None, **kwargs: Any) -> list[str]:
    return [item["id"] for item in await items(client, params, **kwargs)]


async def sign_up(client: Client, event_id: Any, person: User | None = None, party_size: int = 1) -> dict[str, Any]:
    person = person or await resident()
    response = await client.post(
        f"/api/v1/events/{event_id}/registrations", json={"party_size": party_size}, headers=token_for(person)
    )
    assert response.status_code == 201, response.text
    return response.json()


def assert_problem(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == response.status_code
    assert body["code"] and body["title"]
    return body


# --- what is visible ----------------------------------------------------------------------------


async def test_only_published_events_that_have_not_ended_are_listed(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    published = await make_event(organiser, tree["street_a"], place, **times(in_days(3)))
    draft = await make_event(organiser, tree["street_a"], place, publish=False, **times(in_days(4)))
    cancelled = await make_event(organiser, tree["street_a"], place, **times(in_days(5)))
    await services.cancel_event(
        user_id=organiser.id, event_id=cancelled.id, scope="this", cache=VersionedCache(build_stores(None))
    )
    ended = await make_event(organiser, tree["street_a"], place, **times(in_days(6)))
    running = await make_event(organiser, tree["street_a"], place, **times(in_days(7)))
    now = datetime.now(UTC)
    # Time passes: one event is over, another has started and is still going on.
    await Event.update({Event.starts_at: now - timedelta(hours=3), Event.ends_at: now - timedelta(hours=1)}).where(
        Event.id == ended.id
    )
    await Event.update({Event.starts_at: now - timedelta(hours=1), Event.ends_at: now + timedelta(hours=1)}).where(
        Event.id == running.id
    )

    listed = await ids(client)
    assert listed == [str(running.id), str(published.id)]
    assert str(draft.id) not in listed and str(cancelled.id) not in listed and str(ended.id) not in listed

    assert (await client.get(f"/api/v1/events/{published.id}")).status_code == 200
    person = await resident()
    for headers in ({}, token_for(person)):
        hidden = await client.get(f"/api/v1/events/{draft.id}", headers=headers)
        assert assert_problem(hidden, 404)["code"] == "event_not_found"
    other_street = await organiser_of(tree["street_b"])
    assert (await client.get(f"/api/v1/events/{draft.id}", headers=token_for(other_street))).status_code == 404
    own = await client.get(f"/api/v1/events/{draft.id}", headers=token_for(organiser))
    assert own.status_code == 200, own.text
    assert own.json()["status"] == "draft"
    # The organiser's view was not cached for the next resident.
    assert (await client.get(f"/api/v1/events/{draft.id}", headers=token_for(person))).status_code == 404
    assert (await client.get(f"/api/v1/events/{uuid.uuid4()}")).status_code == 404


# --- filters ------------------------------------------------------------------------------------


async def test_date_range_filters_on_the_start(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    early = await make_event(organiser, tree["street_a"], place, **times(in_days(2, 10)))
    middle = await make_event(organiser, tree["street_a"], place, **times(in_days(5, 10)))
    late = await make_event(organiser, tree["street_a"], place, **times(in_days(9, 10)))

    window = {"from": in_days(4, 0).isoformat(), "to": in_days(6, 0).isoformat()}
    assert await ids(client, window) == [str(middle.id)]
    assert await ids(client, {"from": in_days(5, 10).isoformat()}) == [str(middle.id), str(late.id)]  # from: inclusive
    assert await ids(client, {"to": in_days(5, 10).isoformat()}) == [str(early.id)]  # to: exclusive
    utc = {"from": in_days(4, 0).astimezone(UTC).isoformat().replace("+00:00", "Z")}
    assert await ids(client, utc) == [str(middle.id), str(late.id)]


async def test_a_day_means_the_whole_day_in_suzhou(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    day = datetime.now(SUZHOU).date() + timedelta(days=5)
    before = await make_event(organiser, tree["street_a"], place, **times(at(day - timedelta(days=1), 23, 30), 0.5))
    morning = await make_event(organiser, tree["street_a"], place, **times(at(day, 0, 0)))
    night = await make_event(organiser, tree["street_a"], place, **times(at(day, 23, 30), 0.5))
    after = await make_event(organiser, tree["street_a"], place, **times(at(day + timedelta(days=1), 0, 0)))
    one_day = {"from": day.isoformat(), "to": day.isoformat()}
    assert await ids(client, one_day) == [str(morning.id), str(night.id)]
    assert await ids(client, {"from": day.isoformat()}) == [str(morning.id), str(night.id), str(after.id)]
    assert await ids(client, {"to": day.isoformat()}) == [str(before.id), str(morning.id), str(night.id)]
    naive = {"from": f"{day.isoformat()}T23:00"}  # a time without an offset is Suzhou time
    assert await ids(client, naive) == [str(night.id), str(after.id)]


@pytest.mark.parametrize(
    ("name", "value", "code", "says"),
    [
        ("from", "2026-02-30", "impossible_date", "2026-02-30 is not a date in the calendar"),
        ("to", "2026-02-30T10:00", "impossible_date", "2026-02-30 is not a date in the calendar"),
        ("from", "next tuesday", "invalid_date", "Write a day as 2026-12-05"),
        ("to", "12/05/2026", "invalid_date", "Write a day as 2026-12-05"),
        ("from", "253402300800", "date_out_of_range", "between the years 1900 and 2199"),
        ("from", "-62135596800", "date_out_of_range", "between the years 1900 and 2199"),
        ("to", "9999-12-31T23:59:59-12:00", "date_out_of_range", "between the years 1900 and 2199"),
        ("from", "0001-01-01", "date_out_of_range", "between the years 1900 and 2199"),
        ("from", "0001-W01-1T00:00", "date_out_of_range", "between the years 1900 and 2199"),
        ("to", "99991231T235959-1200", "date_out_of_range", "between the years 1900 and 2199"),
        ("from", "２０２６-12-05", "invalid_date", "Write a day as 2026-12-05"),
    ],
)
async def test_a_bad_day_names_the_parameter_and_says_why(
    client: Client, name: str, value: str, code: str, says: str
) -> None:
    response = await client.get("/api/v1/events", params={name: value}, headers={"Accept-Language": "en"})
    body = assert_problem(response, 422)
    [error] = body["errors"]
    assert (error["field"], error["code"]) == (name, code)
    assert says in error["message"]


async def test_an_edit_scope_error_names_scope(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    event = await make_event(organiser, tree["street_a"], place, publish=False, **times(in_days(3)))
    auth = factories.token_for(organiser)
    for method, path in (("POST", "publish"), ("POST", "cancel"), ("PATCH", "")):
        url = f"/api/v1/events/{event.id}/{path}".rstrip("/")
        response = await client.request(
            method, url, params={"scope": "all"}, json={} if method == "PATCH" else None, headers=auth
        )
        body = assert_problem(response, 422)
        assert [(e["field"], e["code"]) for e in body["errors"]] == [("scope", "invalid_choice")]


async def test_category_venue_community_audience_and_language_filters(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["city"])
    nanyuan = await venue(tree["street_a"], tree["community_a"])
    lianhua = await venue(tree["street_b"], tree["community_b"], lat=31.2950, lng=120.7300, name="莲花社区活动室")
    pingtan = await make_event(
        organiser,
        tree["street_a"],
        nanyuan,
        category="performance",
        audiences=["seniors"],
        languages=["zh", "wuu"],
        **times(in_days(2)),
    )
    embroidery = await make_event(
        organiser,
        tree["street_a"],
        nanyuan,
        category="intangible_heritage",
        audiences=["family", "youth"],
        languages=["zh"],
        **times(in_days(3)),
    )
    tea = await make_event(
        organiser,
        tree["street_b"],
        lianhua,
        category="workshop",
        audiences=["foreign_friendly", "new_residents"],
        languages=["en", "ja", "ko"],
        **times(in_days(4)),
    )
    film = await make_event(
        organiser,
        tree["street_b"],
        lianhua,
        category="film",
        audiences=["youth"],
        languages=["zh", "en"],
        **times(in_days(5)),
    )

    assert await ids(client, {"category": "film"}) == [str(film.id)]
    assert await ids(client, [("category", "performance"), ("category", "workshop")]) == [str(pingtan.id), str(tea.id)]
    assert await ids(client, {"venue_id": str(nanyuan.id)}) == [str(pingtan.id), str(embroidery.id)]
    assert await ids(client, {"community_id": str(tree["community_b"].id)}) == [str(tea.id), str(film.id)]
    assert await ids(client, {"community_id": str(tree["community_a"].id), "category": "performance"}) == [
        str(pingtan.id)
    ]
    assert await ids(client, {"audience": "youth"}) == [str(embroidery.id), str(film.id)]
    assert await ids(client, {"audience": "foreign_friendly"}) == [str(tea.id)]
    assert await ids(client, {"audience": "migrant_friendly"}) == []
    assert await ids(client, {"language": "wuu"}) == [str(pingtan.id)]
    assert await ids(client, {"language": "en"}) == [str(tea.id), str(film.id)]
    assert await ids(client, {"language": "ja", "audience": "new_residents"}) == [str(tea.id)]
    assert await ids(client, {"venue_id": str(uuid.uuid4())}) == []

    listed = {item["id"]: item for item in await items(client)}
    assert listed[str(tea.id)]["audiences"] == ["new_residents", "foreign_friendly"]
    assert listed[str(tea.id)]["languages"] == ["en", "ja", "ko"]
    assert listed[str(tea.id)]["venue"]["id"] == str(lianhua.id)
    assert listed[str(pingtan.id)]["distance_m"] is None  # only a "near" search measures


async def test_free_seats_hides_a_full_event(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    small = await make_event(organiser, tree["street_a"], place, capacity=2, max_party_size=2, **times(in_days(2)))
    roomy = await make_event(organiser, tree["street_a"], place, capacity=30, **times(in_days(3)))

    assert await ids(client, {"free_seats": "true"}) == [str(small.id), str(roomy.id)]
    await sign_up(client, small.id, party_size=2)
    assert await ids(client, {"free_seats": "true"}) == [str(roomy.id)]
    assert await ids(client, {"free_seats": "false"}) == [str(small.id), str(roomy.id)]
    assert await ids(client) == [str(small.id), str(roomy.id)]  # a full event is still there to join the waitlist


async def test_evenings_and_weekends_in_suzhou_time(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    wednesday, saturday = suzhou_day(2), suzhou_day(5)
    sunday, monday = saturday + timedelta(days=1), saturday + timedelta(days=2)
    made = {}
    for label, start in {
        "wed 19:00": at(wednesday, 19, 0),
        "wed 14:00": at(wednesday, 14, 0),
        "wed 18:30": at(wednesday, 18, 30),
        "wed 18:29": at(wednesday, 18, 29),
        "sat 10:00": at(saturday, 10, 0),
        "sat 01:00": at(saturday, 1, 0),  # still Friday in UTC
        "sun 09:00": at(sunday, 9, 0),
        "mon 07:00": at(monday, 7, 0),  # still Sunday in UTC
    }.items():
        # Sent in UTC, as a client in another time zone might: the rule is Suzhou's clock.
        body = times(start.astimezone(UTC), hours=1)
        made[label] = str((await make_event(organiser, tree["street_a"], place, title={"en": label}, **body)).id)

    found = await items(client, {"evenings_weekends": "true"}, lang="en")
    assert sorted(item["title"] for item in found) == sorted(
        ["wed 19:00", "wed 18:30", "sat 10:00", "sat 01:00", "sun 09:00"]
    )
    everything = await ids(client, {"evenings_weekends": "false"})
    assert set(everything) == set(made.values())


async def test_text_search_across_every_locale_with_literal_wildcards(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])

    async def titled(title: dict[str, str], summary: dict[str, str], days: int) -> str:
        event = await make_event(
            organiser, tree["street_a"], place, title=title, summary=summary, **times(in_days(days))
        )
        return str(event.id)

    embroidery = await titled(
        {"zh-Hans": "苏绣体验课", "en": "Suzhou Embroidery Workshop", "ja": "蘇州刺繍ワークショップ"},
        {"zh-Hans": "非遗传承人手把手教学", "ko": "초보자 환영"},
        2,
    )
    pingtan = await titled(
        {"zh-Hans": "评弹欣赏会", "en": "Pingtan Evening"}, {"zh-Hans": "名家现场演出", "en": "Masters live"}, 3
    )
    percent = await titled({"zh-Hans": "100%手工灯笼", "en": "100% handmade lanterns"}, {}, 4)
    underscore = await titled({"en": "Room_B reading club"}, {"zh-Hans": "读书会"}, 5)
    apostrophe = await titled({"zh-Hans": "少儿科学", "en": "Children's Science"}, {}, 6)

    async def search(q: str) -> list[str]:
        return await ids(client, {"q": q})

    assert await search("ワークショップ") == [embroidery]  # only in the Japanese title
    assert await search("초보자") == [embroidery]  # only in the Korean summary
    assert await search("评弹") == [pingtan]
    assert await search("读书会") == [underscore]  # in a summary
    assert await search("EMBROIDERY") == [embroidery]
    assert await search("pingtan EVENING") == [pingtan]
    assert await search("  masters  ") == [pingtan]  # trimmed
    assert await search("%") == [percent]  # a literal percent sign, not "anything"
    assert await search("100%手") == [percent]
    assert await search("100% hand") == [percent]
    assert await search("_") == [underscore]  # a literal underscore, not "any one character"
    assert await search("room_b") == [underscore]
    assert await search("_b") == [underscore]
    # Latin words match from their start: "work" finds "Workshop", "orkshop" finds nothing.
    assert await search("work") == [embroidery]
    assert await search("orkshop") == []
    assert await search("children's") == [apostrophe]  # the query is written as the text is
    assert await search("Children's science") == [apostrophe]
    assert await search("ワーク") == [embroidery]  # Japanese matches anywhere
    assert await search("p_ngtan") == []
    assert await search("评%会") == []
    assert await search("\\") == []
    assert await search("昆曲") == []
    assert set(await search(" ")) == {embroidery, pingtan, percent, underscore, apostrophe}  # blank: no text filter
    assert await ids(client, {"q": "苏绣", "category": "film"}) == []


async def test_near_a_point_sorted_by_distance_within_the_radius(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["city"])
    here = (31.2946, 120.6285)  # 南园 area, Gusu
    close = await venue(
        tree["street_a"], tree["community_a"], lat=here[0] + 0.0027, lng=here[1], name="近"
    )  # ≈ 300 m north
    further = await venue(
        tree["street_a"], tree["community_a"], lat=here[0] - 0.0135, lng=here[1], name="中"
    )  # ≈ 1.5 km south
    far = await venue(tree["street_b"], tree["community_b"], lat=31.2900, lng=120.7200, name="远")  # ≈ 8.7 km east, SIP
    # Start order is the opposite of distance order, so the sort is visibly by distance.
    in_far = await make_event(organiser, tree["street_b"], far, **times(in_days(2)))
    in_further = await make_event(organiser, tree["street_a"], further, **times(in_days(3)))
    in_close = await make_event(organiser, tree["street_a"], close, **times(in_days(4)))

    found = await items(client, {"near": f"{here[0]},{here[1]}", "radius_m": 3000})
    assert [item["id"] for item in found] == [str(in_close.id), str(in_further.id)]
    assert abs(found[0]["distance_m"] - 300) <= 10
    assert abs(found[1]["distance_m"] - 1501) <= 15
    assert all(isinstance(item["distance_m"], int) for item in found)
    assert str(in_far.id) not in [item["id"] for item in found]

    wide = await items(client, {"near": f"{here[0]},{here[1]}", "radius_m": 20000})
    assert [item["id"] for item in wide] == [str(in_close.id), str(in_further.id), str(in_far.id)]
    assert 8000 < wide[2]["distance_m"] < 9500

    # Pages of a "near" search follow the distance order too.
    first = await page(client, {"near": f"{here[0]},{here[1]}", "radius_m": 20000, "limit": 2})
    assert [item["id"] for item in first["items"]] == [str(in_close.id), str(in_further.id)]
    second = await page(
        client, {"near": f"{here[0]},{here[1]}", "radius_m": 20000, "limit": 2, "cursor": first["next_cursor"]}
    )
    assert [item["id"] for item in second["items"]] == [str(in_far.id)]
    assert second["next_cursor"] is None

    default_radius = await ids(client, {"near": f"{here[0]},{here[1]}"})  # 5 km
    assert default_radius == [str(in_close.id), str(in_further.id)]


# --- pages and bad input -------------------------------------------------------------------------


async def test_cursor_pages_walk_every_event_once_in_start_order(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    starts = [in_days(2, 9), in_days(3, 9), in_days(3, 9), in_days(4, 9), in_days(6, 19)]  # two share a start
    made = [await make_event(organiser, tree["street_a"], place, **times(start)) for start in starts]

    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        current = await page(client, params)
        assert len(current["items"]) <= 2
        seen.extend(current["items"])
        cursor = current["next_cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert len(seen) == 5
    assert {item["id"] for item in seen} == {str(event.id) for event in made}
    moments = [datetime.fromisoformat(item["starts_at"]) for item in seen]
    assert moments == sorted(moments)
    assert seen[1]["starts_at"] == seen[2]["starts_at"]
    assert seen[1]["id"] != seen[2]["id"]


async def test_last_full_page_has_no_next_cursor(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    for days in (2, 3):
        await make_event(organiser, tree["street_a"], place, **times(in_days(days)))
    assert (await page(client, {"limit": 2}))["next_cursor"] is None
    assert (await page(client, {"limit": 1}))["next_cursor"] is not None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        "not-a-cursor",
        _b64(b"not json"),
        _b64(b'{"a": 1}'),
        _b64(b'["yesterday", "x"]'),
        _b64(b"[1,2,3,4,5]"),
    ],
)
async def test_a_garbage_cursor_is_a_400(client: Client, cursor: str) -> None:
    response = await client.get("/api/v1/events", params={"cursor": cursor}, headers={"Accept-Language": "en"})
    body = assert_problem(response, 400)
    assert body["code"] == "cursor_invalid"


@pytest.mark.parametrize(
    "near", ["abc", "31.29", "31.29,", "31.29,120.6,1", "91,120", "31.29,181", "nan,nan", "inf,120"]
)
async def test_a_bad_point_is_a_400(client: Client, near: str) -> None:
    response = await client.get("/api/v1/events", params={"near": near})
    body = assert_problem(response, 400)
    assert body["code"] == "near_invalid"


@pytest.mark.parametrize(
    "params",
    [
        {"category": "opera"},
        [("category", "film"), ("category", "opera")],
        {"audience": "everyone"},
        {"language": "klingon"},
        {"from": "next tuesday"},
        {"to": "2026-13-45"},
        {"venue_id": "not-a-uuid"},
        {"community_id": "42"},
        {"free_seats": "maybe"},
        {"evenings_weekends": "sometimes"},
        {"radius_m": "10"},
        {"radius_m": "1000000"},
        {"limit": "0"},
        {"limit": "51"},
        {"limit": "ten"},
        {"q": "x" * 101},
        {"cursor": "x" * 201},
    ],
)
async def test_bad_filters_are_problems_never_500(client: Client, params: Any) -> None:
    response = await client.get("/api/v1/events", params=params, headers={"Accept-Language": "en"})
    assert_problem(response, 400, 422)


# --- languages ----------------------------------------------------------------------------------


async def test_titles_fall_back_and_say_which_locale_was_served(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    event = await make_event(organiser, tree["street_a"], place, **times(in_days(3, 14)))  # zh-Hans, en, ja titles

    expected = {
        "ja": ("評弾の夕べ", "ja", False),
        "ko": ("Pingtan Evening", "en", False),  # no Korean text: English first, and the client is told so
        "en": ("Pingtan Evening", "en", False),
        "zh-CN": ("评弹欣赏会", "zh-Hans", False),
        # No Traditional text: the Simplified one converted, and marked as converted.
        "zh-TW": ("評彈欣賞會", "zh-Hant", True),
    }
    for accept, (title, served, converted) in expected.items():
        listed = await page(client, lang=accept)
        [item] = listed["items"]
        assert (item["title"], item["locale"], item["converted"]) == (title, served, converted), accept
        one = await client.get(f"/api/v1/events/{event.id}", headers={"Accept-Language": accept})
        assert one.status_code == 200
        assert (one.json()["title"], one.json()["locale"], one.json()["converted"]) == (title, served, converted)

    [japanese] = await items(client, lang="ja")
    assert japanese["summary"] == "Suzhou storytelling masters live"  # no Japanese summary: the chain again
    assert (await items(client, {"lang": "ja"}))[0]["title"] == "評弾の夕べ"
    response = await client.get("/api/v1/events", headers={"Accept-Language": "ko"})
    assert response.headers["content-language"] == "ko"
    assert "accept-language" in response.headers["vary"].lower()


async def test_when_is_formatted_for_the_callers_locale_in_suzhou_time(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    start = in_days(3, 14)
    await make_event(organiser, tree["street_a"], place, **times(start.astimezone(UTC)))

    [chinese] = await items(client, lang="zh-Hans")
    assert "周" in chinese["when"]
    assert "14:00" in chinese["when"] and "16:00" in chinese["when"]
    assert f"{start.month}月{start.day}日" in chinese["when"]
    [english] = await items(client, lang="en")
    assert "PM" in english["when"]
    assert "2:00" in english["when"] and "4:00" in english["when"]
    assert datetime.fromisoformat(english["starts_at"]) == start  # ISO 8601, the same instant


async def test_category_names_are_translated(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    await make_event(organiser, tree["street_a"], place, category="performance", **times(in_days(3)))

    [english] = await items(client, lang="en")
    [chinese] = await items(client, lang="zh-Hans")
    assert english["category"] == chinese["category"] == "performance"
    assert english["category_name"] == "Performance"
    assert chinese["category_name"] != english["category_name"], "zh-Hans catalog lacks the category names"


# --- seats ----------------------------------------------------------------------------------------


async def test_seats_left_and_waitlist_length_follow_sign_ups(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    event = await make_event(organiser, tree["street_a"], place, capacity=3, max_party_size=2, **times(in_days(3)))

    async def counts() -> tuple[int, int]:
        [item] = await items(client)
        one = (await client.get(f"/api/v1/events/{event.id}")).json()
        assert (one["seats_left"], one["waitlist_length"]) == (item["seats_left"], item["waitlist_length"])
        return item["seats_left"], item["waitlist_length"]

    assert await counts() == (3, 0)
    alice, bob, chen = await resident("alice"), await resident("bob"), await resident("chen")
    first = await sign_up(client, event.id, alice, party_size=2)
    assert first["status"] == "confirmed"
    assert await counts() == (1, 0)
    second = await sign_up(client, event.id, bob, party_size=2)
    assert second["status"] == "waitlisted"
    assert await counts() == (1, 1)
    third = await sign_up(client, event.id, chen)
    assert third["status"] == "confirmed"  # a party of one still fits
    assert await counts() == (0, 1)

    cancelled = await client.delete(f"/api/v1/registrations/{first['id']}", headers=token_for(alice))
    assert cancelled.status_code == 200, cancelled.text
    assert await counts() == (0, 0)  # bob's party of two took the freed seats
    await client.delete(f"/api/v1/registrations/{third['id']}", headers=token_for(chen))
    assert await counts() == (1, 0)


# --- cache ----------------------------------------------------------------------------------------


async def test_public_lists_are_cached_and_changes_show_at_once(client: Client, shared_redis: Redis | None) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    event = await make_event(organiser, tree["street_a"], place, capacity=10, **times(in_days(3)))

    first = await client.get("/api/v1/events")
    second = await client.get("/api/v1/events")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.json()["items"][0]["title"] == "评弹欣赏会"
    if shared_redis is not None:
        keys = [key.decode() for key in await shared_redis.keys("linli:cache:*")]
        assert any(key.startswith("linli:cache:events:v") for key in keys), keys

    # Behind the API's back (no service, so nothing is made stale): the cached page is served.
    await Event.update({Event.title: {"zh-Hans": "改了但没人知道"}}).where(Event.id == event.id)
    assert (await items(client))[0]["title"] == "评弹欣赏会"
    detail = await client.get(f"/api/v1/events/{event.id}", headers={"Accept-Language": "en"})
    assert detail.json()["title"] == "改了但没人知道"  # detail was never read before: from the database
    await Event.update({Event.title: {"zh-Hans": "评弹欣赏会", "en": "Pingtan Evening"}}).where(Event.id == event.id)

    english_before = await items(client, lang="en")
    edited = await client.patch(
        f"/api/v1/events/{event.id}",
        json={"title": {"zh-Hans": "评弹专场·新春版", "en": "Pingtan Special: Spring Edition"}},
        headers=token_for(organiser),
    )
    assert edited.status_code == 200, edited.text
    assert english_before[0]["title"] != "Pingtan Special: Spring Edition"
    assert (await items(client))[0]["title"] == "评弹专场·新春版"
    assert (await items(client, lang="en"))[0]["title"] == "Pingtan Special: Spring Edition"
    one = await client.get(f"/api/v1/events/{event.id}", headers={"Accept-Language": "en"})
    assert one.json()["title"] == "Pingtan Special: Spring Edition"
    assert (await items(client, {"q": "新春"}))[0]["id"] == str(event.id)

    assert (await items(client))[0]["seats_left"] == 10
    await sign_up(client, event.id, party_size=1)
    assert (await items(client))[0]["seats_left"] == 9
    assert (await client.get(f"/api/v1/events/{event.id}")).json()["seats_left"] == 9
    if shared_redis is not None:
        assert int(await shared_redis.get("linli:cache:version:events")) >= 2  # bumped for every instance


async def test_every_write_that_changes_the_list_shows_on_the_next_cached_read(
    client: Client, shared_redis: Redis | None
) -> None:
    """With Redis (PostgreSQL here) and without (SQLite, in process): a page read twice is served
    from the cache, and each write through the API that changes what it shows (publishing,
    editing, a sign-up and its cancellation, cancelling the event) shows on the very next read."""
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    shown = await make_event(organiser, tree["street_a"], place, capacity=5, **times(in_days(3)))
    draft = await make_event(organiser, tree["street_a"], place, publish=False, **times(in_days(4)))
    staff_token = token_for(organiser)

    async def cached_items() -> list[dict[str, Any]]:
        first = await client.get("/api/v1/events?lang=zh-Hans")
        again = await client.get("/api/v1/events?lang=zh-Hans")
        assert first.status_code == again.status_code == 200
        assert first.content == again.content
        return list(first.json()["items"])

    def seats_left(found: list[dict[str, Any]]) -> int:
        return int(next(item for item in found if item["id"] == str(shown.id))["seats_left"])

    assert [item["id"] for item in await cached_items()] == [str(shown.id)]
    # The page is the cache's: a change behind the API's back (no bump) does not show.
    await Event.update({Event.seats_taken: 1}).where(Event.id == shown.id)
    assert seats_left(await cached_items()) == 5
    await Event.update({Event.seats_taken: 0}).where(Event.id == shown.id)
    if shared_redis is not None:
        assert int(await shared_redis.get("linli:cache:version:events") or 0) == 0

    published = await client.post(f"/api/v1/events/{draft.id}/publish", json={}, headers=staff_token)
    assert published.status_code == 200, published.text
    assert [item["id"] for item in await cached_items()] == [str(shown.id), str(draft.id)]

    edited = await client.patch(
        f"/api/v1/events/{shown.id}", json={"title": {"zh-Hans": "评弹专场·加演"}}, headers=staff_token
    )
    assert edited.status_code == 200, edited.text
    assert (await cached_items())[0]["title"] == "评弹专场·加演"

    assert seats_left(await cached_items()) == 5
    person = await resident()
    registration = await sign_up(client, shown.id, person, party_size=2)
    assert seats_left(await cached_items()) == 3
    withdrawn = await client.delete(f"/api/v1/registrations/{registration['id']}", headers=token_for(person))
    assert withdrawn.status_code in (200, 204), withdrawn.text
    assert seats_left(await cached_items()) == 5

    cancelled = await client.post(f"/api/v1/events/{shown.id}/cancel", headers=staff_token)
    assert cancelled.status_code == 200, cancelled.text
    assert [item["id"] for item in await cached_items()] == [str(draft.id)]
    if shared_redis is not None:
        assert int(await shared_redis.get("linli:cache:version:events")) >= 4  # every write bumped it


async def test_a_cached_page_is_answered_before_its_parameters_are_parsed(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same question in any parameter order is one cache entry, answered without building
    the filters again; a staff view and a refused question are never stored."""
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    await make_event(organiser, tree["street_a"], place, category="performance", **times(in_days(3)))

    built: list[queries.EventFilters] = []
    real_list_events = queries.list_events

    async def counted(**kwargs: Any) -> Any:
        built.append(kwargs["filters"])
        return await real_list_events(**kwargs)

    parsed: list[Any] = []

    def filters_from_parameters(**kwargs: Any) -> queries.EventFilters:
        parsed.append(kwargs)
        return queries.EventFilters(**kwargs)

    monkeypatch.setattr(queries, "list_events", counted)
    monkeypatch.setattr(event_controllers, "EventFilters", filters_from_parameters)
    first = await client.get("/api/v1/events?category=performance&limit=5&lang=en")
    again = await client.get("/api/v1/events?lang=en&limit=5&category=performance")
    assert first.status_code == again.status_code == 200
    assert first.content == again.content and len(first.json()["items"]) == 1
    assert len(built) == 1  # the second answer came from the cache...
    assert len(parsed) == 1  # ...before the handler read its parameters
    # Kept gzip-compressed: sent as it is to a client that takes gzip, unpacked for one that does not.
    assert again.headers["content-encoding"] == "gzip"
    assert {"Accept-Encoding", "Accept-Language"} <= {v.strip() for v in again.headers["vary"].split(",")}
    plain = await client.get(
        "/api/v1/events?lang=en&limit=5&category=performance", headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers and plain.json() == first.json()
    assert (await client.get("/api/v1/events?category=performance&limit=5&lang=ja")).json()["items"][0]["locale"]
    assert len(built) == 2  # another language is another question

    bad = await client.get("/api/v1/events?limit=500&lang=en")
    assert bad.status_code == 400 or bad.status_code == 422
    assert (await client.get("/api/v1/events?limit=500&lang=en")).status_code == bad.status_code  # refused again

    staff = token_for(organiser)
    for _ in range(2):
        mine = await client.get("/api/v1/events?mine=true", headers=staff)
        assert mine.status_code == 200
    assert sum(1 for filters in built if filters.mine) == 2  # the staff view is built every time


# --- recurring programmes through the API ----------------------------------------------------------


async def test_a_weekly_programme_makes_one_event_per_saturday_each_with_its_own_seats(client: Client) -> None:
    tree = await city_tree()
    organiser = await organiser_of(tree["street_a"])
    place = await venue(tree["street_a"], tree["community_a"])
    start = at(suzhou_day(2), 14, 0)  # a Wednesday; the programme is on Saturdays
    body = event_body(tree["street_a"], place, capacity=5, max_party_size=1, **times(start))
    body["recurrence"] = {"freq": "weekly", "weekdays": [5], "count": 4}

    created = await client.post("/api/v1/events", json=body, headers=token_for(organiser))
    assert created.status_code == 201, created.text
    series_id = created.json()["series_id"]
    made = created.json()["events"]
    assert series_id is not None and len(made) == 4
    assert {e["series_id"] for e in made} == {series_id}
    assert [e["occurrence"] for e in made] == [0, 1, 2, 3]
    assert {e["status"] for e in made} == {"draft"}
    local_starts = [datetime.fromisoformat(e["starts_at"]).astimezone(SUZHOU) for e in made]
    assert local_starts[0].date() == start.date() + timedelta(days=3)
    assert all(s.weekday() == 5 and (s.hour, s.minute) == (14, 0) for s in local_starts)
    assert [b - a for a, b in itertools.pairwise(local_starts)] == [timedelta(days=7)] * 3
    assert all(
        datetime.fromisoformat(e["ends_at"]) - datetime.fromisoformat(e["starts_at"]) == timedelta(hours=2)
        for e in made
    )
    assert await ids(client) == []  # drafts until published

    published = await client.post(
        f"/api/v1/events/{made[0]['id']}/publish", params={"scope": "following"}, headers=token_for(organiser)
    )
    assert published.status_code == 200, published.text
    listed = await items(client, {"evenings_weekends": "true"})
    assert [item["id"] for item in listed] == [e["id"] for e in made]
    assert {item["series_id"] for item in listed} == {series_id}

    await sign_up(client, made[1]["id"])
    seats = {item["id"]: item["seats_left"] for item in await items(client)}
    assert seats == {made[0]["id"]: 5, made[1]["id"]: 4, made[2]["id"]: 5, made[3]["id"]: 5}


async def test_times_without_an_offset_mean_suzhou_time(client: httpx.AsyncClient) -> None:
    """?from=2026-12-05T10:00:00 typed by a resident means 10:00 in Suzhou, not in UTC."""
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    day = (datetime.now(CITY_TZ) + timedelta(days=4)).date()
    at_nine = datetime.combine(day, time(9, 30), tzinfo=CITY_TZ)
    event = await factories.published_event(
        tree["street_a"], venue, starts_at=at_nine.isoformat(), ends_at=(at_nine + timedelta(hours=1)).isoformat()
    )
    # 09:30 Suzhou is 01:30 UTC: read as UTC, "from 08:00" would wrongly drop the event.
    found = await client.get("/api/v1/events", params={"from": f"{day.isoformat()}T08:00:00"})
    assert [item["id"] for item in found.json()["items"]] == [str(event.id)]
    later = await client.get("/api/v1/events", params={"from": f"{day.isoformat()}T10:00:00"})
    assert later.json()["items"] == []
