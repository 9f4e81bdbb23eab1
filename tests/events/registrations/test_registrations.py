"""Sign-up over HTTP: seats, the waitlist, cancellations and promotions, refusals, storms."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from backend.core import signals
from backend.events.api import (
    EventCancelled,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from backend.events.catalogue.tables import Event
from backend.events.registrations.tables import Registration
from backend.settings import Settings
from tests import factories
from tests.conftest import build_app, serve_in_process

Client = httpx.AsyncClient


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    return {"tree": tree, "venue": venue, "organisation": tree["street_a"]}


async def event(place: dict[str, Any], **overrides: Any) -> Event:
    return await factories.published_event(place["organisation"], place["venue"], **overrides)


async def sign_up(
    client: Client, event_id: uuid.UUID, user: Any, party_size: int = 1, **headers: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/events/{event_id}/registrations",
        json={"party_size": party_size},
        headers={**factories.token_for(user), **headers},
    )


@pytest.fixture
def recorded(listen: Any) -> dict[str, list[signals.SignalMessage]]:
    """Signals delivered during the test, by name."""
    kinds = [RegistrationConfirmed, RegistrationWaitlisted, RegistrationPromoted, RegistrationCancelled, EventCancelled]
    return {kind.NAME: listen(kind) for kind in kinds}


async def seats(event_id: uuid.UUID) -> tuple[int, int]:
    row = await Event.select(Event.seats_taken, Event.waitlist_count).where(Event.id == event_id).first()
    return row["seats_taken"], row["waitlist_count"]


# --- the happy path -------------------------------------------------------------------------------


async def test_a_seat_then_the_waitlist(client: Client, place: dict[str, Any], recorded: dict) -> None:
    ev = await event(place, capacity=3, max_party_size=2)
    first, second, third = [await factories.resident() for _ in range(3)]
    one = await sign_up(client, ev.id, first, 2)
    assert one.status_code == 201, one.text
    assert (one.json()["status"], one.json()["waitlist_position"]) == ("confirmed", None)
    two = await sign_up(client, ev.id, second, 2)
    assert (two.json()["status"], two.json()["waitlist_position"]) == ("waitlisted", 1)
    three = await sign_up(client, ev.id, third, 1)
    assert three.json()["status"] == "confirmed"  # one seat was still free for a party of one
    assert await seats(ev.id) == (3, 1)
    assert len(recorded["events.registration_confirmed"]) == 2
    assert recorded["events.registration_waitlisted"][0].payload.position == 1

    mine = await client.get("/api/v1/me/registrations", headers=factories.token_for(second))
    assert [(r["status"], r["waitlist_position"]) for r in mine.json()] == [("waitlisted", 1)]
    assert mine.json()[0]["event"]["id"] == str(ev.id)


async def test_cancelling_promotes_the_earliest_party_that_fits(
    client: Client, place: dict[str, Any], recorded: dict
) -> None:
    ev = await event(place, capacity=2, max_party_size=2)
    holder, big, small, later = [await factories.resident() for _ in range(4)]
    held = (await sign_up(client, ev.id, holder, 1)).json()
    await sign_up(client, ev.id, await factories.resident(), 1)
    big_reg = (await sign_up(client, ev.id, big, 2)).json()
    small_reg = (await sign_up(client, ev.id, small, 1)).json()
    later_reg = (await sign_up(client, ev.id, later, 1)).json()
    assert [big_reg["waitlist_position"], small_reg["waitlist_position"], later_reg["waitlist_position"]] == [1, 2, 3]

    cancelled = await client.delete(f"/api/v1/registrations/{held['id']}", headers=factories.token_for(holder))
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    # One seat free: the party of two still waits; the earliest party of one behind it gets in.
    big_now = await client.get(f"/api/v1/registrations/{big_reg['id']}", headers=factories.token_for(big))
    small_now = await client.get(f"/api/v1/registrations/{small_reg['id']}", headers=factories.token_for(small))
    later_now = await client.get(f"/api/v1/registrations/{later_reg['id']}", headers=factories.token_for(later))
    assert (big_now.json()["status"], big_now.json()["waitlist_position"]) == ("waitlisted", 1)
    assert small_now.json()["status"] == "confirmed"
    assert (later_now.json()["status"], later_now.json()["waitlist_position"]) == ("waitlisted", 2)
    assert [str(m.payload.registration_id) for m in recorded["events.registration_promoted"]] == [small_reg["id"]]
    assert await seats(ev.id) == (2, 2)


async def test_promotions_follow_arrival_order(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place, capacity=2, max_party_size=1)
    holders = [await factories.resident() for _ in range(2)]
    waiting = [await factories.resident() for _ in range(3)]
    held = [(await sign_up(client, ev.id, user)).json() for user in holders]
    queued = [(await sign_up(client, ev.id, user)).json() for user in waiting]
    for registration, user in zip(held, holders, strict=True):
        await client.delete(f"/api/v1/registrations/{registration['id']}", headers=factories.token_for(user))
    statuses = [
        (await client.get(f"/api/v1/registrations/{r['id']}", headers=factories.token_for(u))).json()["status"]
        for r, u in zip(queued, waiting, strict=True)
    ]
    assert statuses == ["confirmed", "confirmed", "waitlisted"]


async def test_cancelling_a_waitlisted_place_moves_the_line(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place, capacity=1, max_party_size=1)
    await sign_up(client, ev.id, await factories.resident())
    first, second = await factories.resident(), await factories.resident()
    first_reg = (await sign_up(client, ev.id, first)).json()
    second_reg = (await sign_up(client, ev.id, second)).json()
    await client.delete(f"/api/v1/registrations/{first_reg['id']}", headers=factories.token_for(first))
    now = (await client.get(f"/api/v1/registrations/{second_reg['id']}", headers=factories.token_for(second))).json()
    assert (now["status"], now["waitlist_position"]) == ("waitlisted", 1)
    assert await seats(ev.id) == (1, 1)


# --- parties and the waitlist ------------------------------------------------------------------------


async def test_a_party_that_does_not_fit_is_told_why_and_a_smaller_one_may_take_the_seat(
    client: Client, place: dict[str, Any]
) -> None:
    ev = await event(place, capacity=3, max_party_size=2)
    assert (await sign_up(client, ev.id, await factories.resident(), 2)).json()["status"] == "confirmed"
    family = await sign_up(client, ev.id, await factories.resident(), 2, **{"Accept-Language": "en"})
    body = family.json()
    assert (body["status"], body["waitlist_position"], body["waitlist_reason"], body["seats_left"]) == (
        "waitlisted",
        1,
        "party_too_large",
        1,
    )
    assert body["message"] == "1 seat left; your party of 2 is number 1 in line."
    chinese = await client.get(
        f"/api/v1/registrations/{body['id']}",
        headers={**factories.token_for(await _owner(body)), "Accept-Language": "zh-Hans"},
    )
    assert chinese.json()["message"] == "还剩 1 个名额，您的 2 人同行排在候补第 1 位。"
    # The rule, as documented: free seats go to whoever fits, so a party of one still gets the last seat.
    single = await sign_up(client, ev.id, await factories.resident(), 1, **{"Accept-Language": "en"})
    assert (single.json()["status"], single.json()["seats_left"], single.json()["message"]) == (
        "confirmed",
        0,
        "Your place is confirmed.",
    )
    full = await sign_up(client, ev.id, await factories.resident(), 1, **{"Accept-Language": "en"})
    assert (full.json()["waitlist_reason"], full.json()["seats_left"], full.json()["message"]) == (
        "event_full",
        0,
        "The event is full; you are number 2 in line.",
    )
    mine = await client.get(f"/api/v1/registrations/{body['id']}", headers=factories.token_for(await _owner(body)))
    assert mine.json()["waitlist_reason"] == "event_full"  # the reason is read as things stand now


async def _owner(registration: dict[str, Any]) -> Any:
    from backend.accounts.tables import User

    row = await Registration.select(Registration.user).where(Registration.id == uuid.UUID(registration["id"])).first()
    return await User.objects().where(User.id == row["user"]).first()


async def test_freed_seats_go_to_the_earliest_waiting_party_that_fits(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place, capacity=3, max_party_size=3)
    x, y, w1, w2, w3 = [await factories.resident() for _ in range(5)]
    held_x = (await sign_up(client, ev.id, x, 1)).json()
    held_y = (await sign_up(client, ev.id, y, 2)).json()
    waiting = {
        "w1": (await sign_up(client, ev.id, w1, 3)).json(),
        "w2": (await sign_up(client, ev.id, w2, 1)).json(),
        "w3": (await sign_up(client, ev.id, w3, 2)).json(),
    }
    assert [r["waitlist_position"] for r in waiting.values()] == [1, 2, 3]

    async def status(name: str, user: Any) -> tuple[str, int | None]:
        found = (
            await client.get(f"/api/v1/registrations/{waiting[name]['id']}", headers=factories.token_for(user))
        ).json()
        return found["status"], found["waitlist_position"]

    # Two seats free: the party of 3 at the head does not fit, the party of 1 behind it does.
    await client.delete(f"/api/v1/registrations/{held_y['id']}", headers=factories.token_for(y))
    assert [await status("w1", w1), await status("w2", w2), await status("w3", w3)] == [
        ("waitlisted", 1),
        ("confirmed", None),
        ("waitlisted", 2),
    ]
    assert await seats(ev.id) == (2, 2)
    # Two seats free again: still not three, so the party of 2 goes in.
    await client.delete(f"/api/v1/registrations/{held_x['id']}", headers=factories.token_for(x))
    assert [await status("w1", w1), await status("w3", w3)] == [("waitlisted", 1), ("confirmed", None)]
    assert await seats(ev.id) == (3, 1)


async def test_without_a_waitlist_a_party_too_large_for_the_seats_left_is_told_so(
    client: Client, place: dict[str, Any]
) -> None:
    ev = await event(place, capacity=2, max_party_size=2, waitlist_enabled=False)
    await sign_up(client, ev.id, await factories.resident(), 1)
    refused = await sign_up(client, ev.id, await factories.resident(), 2, **{"Accept-Language": "en"})
    assert (refused.status_code, refused.json()["code"], refused.json()["params"]) == (
        409,
        "not_enough_seats",
        {"seats_left": 1, "party_size": 2},
    )
    assert refused.json()["detail"] == "Seats left: 1, fewer than your party of 2. A smaller party can still sign up."
    assert (await sign_up(client, ev.id, await factories.resident(), 1)).status_code == 201


async def test_list_items_show_the_largest_party(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place, max_party_size=3)
    [item] = (await client.get("/api/v1/events")).json()["items"]
    assert (item["id"], item["max_party_size"]) == (str(ev.id), 3)


# --- refusals ------------------------------------------------------------------------------------


async def test_no_waitlist_means_event_full(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place, capacity=1, max_party_size=1, waitlist_enabled=False)
    await sign_up(client, ev.id, await factories.resident())
    refused = await sign_up(client, ev.id, await factories.resident(), **{"Accept-Language": "en"})
    assert (refused.status_code, refused.json()["code"]) == (409, "event_full")
    assert refused.json()["detail"] == "This event is full."


async def test_one_active_registration_per_resident(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place)
    resident = await factories.resident()
    first = await sign_up(client, ev.id, resident)
    again = await sign_up(client, ev.id, resident)
    assert (again.status_code, again.json()["code"]) == (409, "already_registered")
    await client.delete(f"/api/v1/registrations/{first.json()['id']}", headers=factories.token_for(resident))
    assert (await sign_up(client, ev.id, resident)).status_code == 201  # after cancelling, again


async def test_concurrent_duplicates_make_one_registration(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place)
    resident = await factories.resident()
    answers = await asyncio.gather(*(sign_up(client, ev.id, resident) for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7
    assert await Registration.count().where(Registration.user == resident.id) == 1
    assert await seats(ev.id) == (1, 0)


async def test_party_size_is_bounded(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place, max_party_size=2)
    refused = await sign_up(client, ev.id, await factories.resident(), 3)
    assert (refused.status_code, refused.json()["code"], refused.json()["params"]) == (
        422,
        "party_too_large",
        {"limit": 2},
    )
    invalid = await sign_up(client, ev.id, await factories.resident(), 0)
    assert invalid.status_code == 422


async def test_the_registration_window(client: Client, place: dict[str, Any]) -> None:
    soon = datetime.now(UTC) + timedelta(days=1)
    not_yet = await event(place, registration_opens_at=soon.isoformat())
    refused = await sign_up(client, not_yet.id, await factories.resident())
    assert (refused.status_code, refused.json()["code"]) == (409, "registration_not_open")
    closed = await event(place)
    await Event.update({Event.registration_closes_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        Event.id == closed.id
    )
    assert (await sign_up(client, closed.id, await factories.resident())).json()["code"] == "registration_closed"
    started = await event(place)
    await Event.update({Event.starts_at: datetime.now(UTC) - timedelta(minutes=5)}).where(Event.id == started.id)
    assert (await sign_up(client, started.id, await factories.resident())).json()["code"] == "registration_closed"


async def test_drafts_and_cancelled_events_take_no_sign_ups(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place)
    await Event.update({Event.status: "draft"}).where(Event.id == ev.id)
    assert (await sign_up(client, ev.id, await factories.resident())).status_code == 404
    await Event.update({Event.status: "cancelled"}).where(Event.id == ev.id)
    refused = await sign_up(client, ev.id, await factories.resident())
    assert (refused.status_code, refused.json()["code"]) == (409, "event_cancelled")
    assert (await sign_up(client, uuid.uuid4(), await factories.resident())).status_code == 404


async def test_seat_hoarding_is_capped(
    client: Client, place: dict[str, Any], settings: Settings, shared_redis: Redis | None
) -> None:
    app = build_app(settings, shared_redis, max_upcoming_registrations=2)
    events = [await event(place) for _ in range(3)]
    resident = await factories.resident()
    async with serve_in_process(app) as capped:
        assert (await sign_up(capped, events[0].id, resident)).status_code == 201
        assert (await sign_up(capped, events[1].id, resident)).status_code == 201
        refused = await sign_up(capped, events[2].id, resident)
    assert (refused.status_code, refused.json()["code"], refused.json()["params"]) == (
        409,
        "too_many_registrations",
        {"limit": 2},
    )


async def test_sign_ups_need_a_login(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place)
    response = await client.post(f"/api/v1/events/{ev.id}/registrations", json={"party_size": 1})
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


async def test_sign_ups_are_rate_limited_per_resident(
    client: Client, place: dict[str, Any], settings: Settings, shared_redis: Redis | None
) -> None:
    app = build_app(settings, shared_redis, signup_rate_limit=3)
    ev = await event(place)
    resident = await factories.resident()
    async with serve_in_process(app) as limited:
        answers = [(await sign_up(limited, ev.id, resident)).status_code for _ in range(4)]
    assert answers == [201, 409, 409, 429]


# --- idempotency -----------------------------------------------------------------------------------


async def test_a_retried_request_gets_the_first_answer(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place, capacity=5)
    resident = await factories.resident()
    first = await sign_up(client, ev.id, resident, 2, **{"Idempotency-Key": "k-123"})
    retry = await sign_up(client, ev.id, resident, 2, **{"Idempotency-Key": "k-123"})
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert await seats(ev.id) == (2, 0)
    other = await event(place)
    assert (await sign_up(client, other.id, resident, 1, **{"Idempotency-Key": "k-456"})).status_code == 201
    reused = await sign_up(client, ev.id, resident, 1, **{"Idempotency-Key": "k-456"})
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")


async def test_concurrent_retries_with_one_key_make_one_registration(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place)
    resident = await factories.resident()
    answers = await asyncio.gather(
        *(sign_up(client, ev.id, resident, 1, **{"Idempotency-Key": "same"}) for _ in range(6))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1


# --- other people's registrations -------------------------------------------------------------------


async def test_another_residents_registration_is_invisible(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place)
    owner, other = await factories.resident(), await factories.resident()
    registration = (await sign_up(client, ev.id, owner)).json()
    peek = await client.get(f"/api/v1/registrations/{registration['id']}", headers=factories.token_for(other))
    steal = await client.delete(f"/api/v1/registrations/{registration['id']}", headers=factories.token_for(other))
    assert (peek.status_code, steal.status_code) == (404, 404)
    assert steal.json()["code"] == "registration_not_found"
    mine = await client.get("/api/v1/me/registrations", headers=factories.token_for(other))
    assert mine.json() == []
    still = await client.get(f"/api/v1/registrations/{registration['id']}", headers=factories.token_for(owner))
    assert still.json()["status"] == "confirmed"


async def test_cancelling_twice_or_after_the_start_is_refused(client: Client, place: dict[str, Any]) -> None:
    ev = await event(place)
    resident = await factories.resident()
    registration = (await sign_up(client, ev.id, resident)).json()
    url = f"/api/v1/registrations/{registration['id']}"
    assert (await client.delete(url, headers=factories.token_for(resident))).status_code == 200
    assert (await client.delete(url, headers=factories.token_for(resident))).json()["code"] == "registration_not_active"
    started = await event(place)
    late = (await sign_up(client, started.id, resident)).json()
    await Event.update({Event.starts_at: datetime.now(UTC) - timedelta(minutes=1)}).where(Event.id == started.id)
    refused = await client.delete(f"/api/v1/registrations/{late['id']}", headers=factories.token_for(resident))
    assert refused.json()["code"] == "event_started"


# --- storms ----------------------------------------------------------------------------------------------


async def _storm(clients: list[Client], event_id: uuid.UUID, residents: list[Any]) -> list[httpx.Response]:
    return await asyncio.gather(
        *(sign_up(clients[i % len(clients)], event_id, user) for i, user in enumerate(residents))
    )


async def _check_storm(answers: list[httpx.Response], event_id: uuid.UUID, capacity: int) -> None:
    assert {a.status_code for a in answers} == {201}, {a.text for a in answers if a.status_code != 201}
    confirmed = [a.json() for a in answers if a.json()["status"] == "confirmed"]
    waiting = [a.json() for a in answers if a.json()["status"] == "waitlisted"]
    assert len(confirmed) == capacity
    assert sorted(r["waitlist_position"] for r in waiting) == list(range(1, len(answers) - capacity + 1))
    assert await seats(event_id) == (capacity, len(answers) - capacity)
    assert (
        await Registration.count().where((Registration.event == event_id) & (Registration.status == "confirmed"))
        == capacity
    )


async def test_a_storm_never_oversells(client: Client, place: dict[str, Any]) -> None:
    """200 residents at the same minute for 20 seats: 20 confirmed, 180 in line at 1..180."""
    ev = await event(place, capacity=20)
    residents = [await factories.resident() for _ in range(200)]
    answers = await _storm([client], ev.id, residents)
    await _check_storm(answers, ev.id, 20)


async def test_a_storm_across_two_instances_never_oversells(
    postgres_url: str,
    redis: Redis,
    fake_wechat: Any,
    wechat_base_url: str,
    workdir: Any,
    client: Client,
    place: dict[str, Any],
    backend: str,
) -> None:
    """Two app instances on one PostgreSQL and one Redis share the 20 seats correctly."""
    if backend != "postgres":
        return  # the SQLite embedded default is one process by design
    ev = await event(place, capacity=20)
    residents = [await factories.resident() for _ in range(200)]
    settings = Settings.from_env(
        {},
        env="test",
        database_url=postgres_url,
        secret_key=factories_secret(),
        log_level="WARNING",
        signup_rate_limit=1000,
        signal_sweep_seconds=0,
        housekeeping_seconds=0,
    )
    one, two = build_app(settings, redis), build_app(settings, redis)
    async with serve_in_process(one) as first, serve_in_process(two) as second:
        answers = await _storm([first, second], ev.id, residents)
        await _check_storm(answers, ev.id, 20)


def factories_secret() -> str:
    from tests.conftest import SECRET

    return SECRET


async def test_a_storm_of_cancellations_promotes_each_place_once(
    client: Client, place: dict[str, Any], recorded: dict
) -> None:
    ev = await event(place, capacity=10)
    residents = [await factories.resident() for _ in range(30)]
    answers = await _storm([client], ev.id, residents)
    holders = [(a.json(), r) for a, r in zip(answers, residents, strict=True) if a.json()["status"] == "confirmed"]
    cancels = await asyncio.gather(
        *(
            client.delete(f"/api/v1/registrations/{reg['id']}", headers=factories.token_for(user))
            for reg, user in holders
        )
    )
    assert {c.status_code for c in cancels} == {200}
    assert await seats(ev.id) == (10, 10)
    promoted = [str(m.payload.registration_id) for m in recorded["events.registration_promoted"]]
    assert len(promoted) == len(set(promoted)) == 10
    in_line = sorted(
        (a.json() for a in answers if a.json()["status"] == "waitlisted"), key=lambda r: r["waitlist_position"]
    )
    assert set(promoted) == {r["id"] for r in in_line[:10]}  # the first ten in line, no one else
