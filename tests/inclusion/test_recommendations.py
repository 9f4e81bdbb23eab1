"""Recommendations: what fits the resident first, with short reasons in their language."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Organisation, User
from backend.core.i18n import CITY_TZ
from backend.events.catalogue.tables import Event
from backend.inclusion.profiles.tables import ResidentProfile
from tests import factories

Client = httpx.AsyncClient
RECOMMENDATIONS = "/api/v1/recommendations"
THIS_YEAR = datetime.now(CITY_TZ).year
HOME = (31.2951, 120.6290)  # about 70 m from the community centre
READING = {"zh-Hans": "日语绘本共读", "en": "Japanese Picture Book Reading", "ja": "日本語の絵本の読み聞かせ"}


def city_time(days: int, hour: int = 10, weekday: int | None = None) -> datetime:
    """A moment ``days`` from now at ``hour`` Suzhou time; moved forward to ``weekday`` if given."""
    day: date = datetime.now(CITY_TZ).date() + timedelta(days=days)
    while weekday is not None and day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), tzinfo=CITY_TZ)


def times(start: datetime) -> dict[str, str]:
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}


async def profile(user: User, community: Organisation | None, **values: Any) -> None:
    now = datetime.now(UTC)
    await ResidentProfile(
        user=user.id,
        community=community.id if community else None,
        consented_at=now,
        created_at=now,
        updated_at=now,
        **values,
    ).save()


@pytest.fixture
async def town(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    centre = await factories.venue(tree["community_a"], tree["community_a"])
    far = await factories.venue(tree["community_b"], tree["community_b"], lat=31.42, lng=120.78, name="莲花社区书屋")
    return {"tree": tree, "centre": centre, "far": far}


async def event_at(town: dict[str, Any], venue: str = "centre", **overrides: Any) -> Event:
    organiser_of = town["tree"]["street_a"] if venue == "centre" else town["tree"]["street_b"]
    return await factories.published_event(organiser_of, town[venue], **overrides)


async def ask(client: Client, user: User, **params: Any) -> dict[str, Any]:
    response = await client.get(RECOMMENDATIONS, params=params, headers=factories.token_for(user))
    assert response.status_code == 200, response.text
    return response.json()


def ids(body: dict[str, Any]) -> list[str]:
    return [item["event"]["id"] for item in body["items"]]


async def test_a_japanese_speaking_newcomer_gets_the_nearby_japanese_reading_first(
    client: Client, town: dict[str, Any]
) -> None:
    newcomer = await factories.resident()
    await User.update({User.birth_year: THIS_YEAR - 40}).where(User.id == newcomer.id)
    await profile(
        newcomer,
        town["tree"]["community_a"],
        resident_group="new_resident",
        languages=["ja"],
        interests=["reading"],
        home_latitude=HOME[0],
        home_longitude=HOME[1],
    )
    reading = await event_at(
        town, category="reading", languages=["ja", "zh"], audiences=[], title=READING, **times(city_time(6))
    )
    pingtan = await event_at(town, **times(city_time(3)))  # Mandarin and Suzhou dialect, welcomes new residents
    far_reading = await event_at(town, "far", category="reading", languages=["ja"], audiences=[], **times(city_time(2)))
    signed_up = await event_at(town, category="reading", languages=["ja"], **times(city_time(4)))
    response = await client.post(
        f"/api/v1/events/{signed_up.id}/registrations", json={}, headers=factories.token_for(newcomer)
    )
    assert response.status_code == 201, response.text
    hidden = [await event_at(town, category="reading", languages=["ja"], **times(city_time(5))) for _ in range(5)]
    await Event.update({Event.status: "cancelled"}).where(Event.id == hidden[0].id)
    await Event.update({Event.status: "draft"}).where(Event.id == hidden[1].id)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    await Event.update({Event.starts_at: yesterday, Event.ends_at: yesterday + timedelta(hours=2)}).where(
        Event.id == hidden[2].id
    )
    await Event.update(
        {
            Event.starts_at: datetime.now(UTC) + timedelta(days=40),
            Event.ends_at: datetime.now(UTC) + timedelta(days=40, hours=2),
        }
    ).where(Event.id == hidden[3].id)
    await Event.update({Event.seats_taken: Event.capacity, Event.waitlist_enabled: False}).where(
        Event.id == hidden[4].id
    )

    english = await ask(client, newcomer, lang="en")
    assert english["personalised"] is True
    first = english["items"][0]
    assert first["event"]["id"] == str(reading.id)
    assert first["event"]["title"] == "Japanese Picture Book Reading"
    assert first["event"]["venue"]["name"] and first["event"]["seats_left"] == 20
    assert first["event"]["distance_m"] < 100
    codes = [reason["code"] for reason in first["reasons"]]
    assert set(codes[:2]) == {"in_your_language", "near_you"} and codes[2] in {"matches_interests", "same_community"}
    texts = {reason["code"]: reason["text"] for reason in first["reasons"]}
    assert (texts["in_your_language"], texts["near_you"]) == ("In your language", "Near you")
    assert set(ids(english)) == {str(reading.id), str(pingtan.id), str(far_reading.id)}
    assert english["items"][0]["score"] > max(item["score"] for item in english["items"][1:])
    pingtan_reasons = next(item["reasons"] for item in english["items"] if item["event"]["id"] == str(pingtan.id))
    assert "welcomes_new_residents" in [reason["code"] for reason in pingtan_reasons]

    chinese = await ask(client, newcomer, lang="zh-Hans")
    texts = {reason["code"]: reason["text"] for reason in chinese["items"][0]["reasons"]}
    assert (texts["in_your_language"], texts["near_you"]) == ("用你的语言", "离你很近")
    assert chinese["items"][0]["event"]["title"] == "日语绘本共读"

    # Asked from the far side of town, the nearby reading loses "near you" to the far one.
    from_far = await ask(client, newcomer, near="31.4201,120.7801", lang="en")
    far_item = next(item for item in from_far["items"] if item["event"]["id"] == str(far_reading.id))
    assert "near_you" in [reason["code"] for reason in far_item["reasons"]]
    assert len((await ask(client, newcomer, limit=1))["items"]) == 1


async def test_evening_and_young_people_preferences_count(client: Client, town: dict[str, Any]) -> None:
    worker = await factories.resident()
    await User.update({User.birth_year: THIS_YEAR - 25}).where(User.id == worker.id)
    await profile(worker, None, resident_group="long_term_local", languages=["zh"], prefers_evenings_weekends=True)
    morning = await event_at(town, audiences=[], **times(city_time(8, hour=10, weekday=1)))  # a Tuesday morning
    evening = await event_at(town, audiences=["youth"], **times(city_time(8, hour=19, weekday=1)))
    body = await ask(client, worker, lang="en")
    assert ids(body) == [str(evening.id), str(morning.id)]
    codes = [reason["code"] for reason in body["items"][0]["reasons"]]
    assert codes[:2] == ["for_young_people", "after_work_hours"]
    assert "in_your_language" not in codes  # Mandarin says nothing: nearly every event uses it
    assert len(body["items"][0]["reasons"]) <= 3


async def test_without_a_profile_the_soonest_and_nearest_come_first(client: Client, town: dict[str, Any]) -> None:
    stranger = await factories.resident()
    later = await event_at(town, **times(city_time(10)))
    sooner = await event_at(town, "far", **times(city_time(2)))
    body = await ask(client, stranger, lang="en")
    assert body["personalised"] is False
    assert ids(body) == [str(sooner.id), str(later.id)]
    assert [reason["code"] for reason in body["items"][0]["reasons"]] == ["this_week", "seats_available"]
    assert [reason["text"] for reason in body["items"][0]["reasons"]] == ["Coming up this week", "Seats available"]
    near_centre = await ask(client, stranger, near="31.2946,120.6285")
    assert ids(near_centre)[0] == str(later.id)
    assert near_centre["items"][0]["reasons"][0]["code"] == "near_you"


async def test_bad_requests_are_refused(client: Client, town: dict[str, Any]) -> None:
    resident = await factories.resident()
    headers = factories.token_for(resident)
    assert (await client.get(RECOMMENDATIONS)).status_code == 401
    assert (await client.get(RECOMMENDATIONS, params={"near": "91,0"}, headers=headers)).json()[
        "code"
    ] == "near_invalid"
    assert (await client.get(RECOMMENDATIONS, params={"limit": 21}, headers=headers)).status_code in (400, 422)
    assert (await client.get(RECOMMENDATIONS, params={"limit": 0}, headers=headers)).status_code in (400, 422)
    assert (await ask(client, resident))["items"] == []
