"""Shifts over HTTP: planning, reading, sign-up races and refusals, cancellations."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role
from backend.core import signals
from backend.core.tables import OutboxSignal
from backend.volunteers.api import ShiftCancelled
from backend.volunteers.shifts.tables import Shift, ShiftSignup
from backend.volunteers.teams.tables import MemberStatus
from tests import factories
from tests.volunteers import builders

SHIFT_CANCELLED = ShiftCancelled.NAME

Client = httpx.AsyncClient


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"])
    boss = await factories.resident("队长")
    await builders.coordinator(team, boss)
    return {"tree": tree, "team": team, "coordinator": boss}


@pytest.fixture
def recorded(listen: Any) -> list[signals.SignalMessage]:
    return listen(ShiftCancelled)


async def members(team: Any, count: int) -> list[Any]:
    people = [await factories.resident() for _ in range(count)]
    for person in people:
        await builders.member(team, person)
    return people


def shift_body(**overrides: Any) -> dict[str, Any]:
    start = builders.now() + timedelta(days=2)
    body: dict[str, Any] = {
        "title": {"zh-Hans": "南园夜间巡逻", "en": "Nanyuan night patrol"},
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 4,
    }
    body.update(overrides)
    return body


async def create(client: Client, team_id: Any, user: Any, **overrides: Any) -> httpx.Response:
    return await client.post(
        f"/api/v1/teams/{team_id}/shifts", json=shift_body(**overrides), headers=factories.token_for(user)
    )


async def sign_up(client: Client, shift_id: Any, user: Any, **headers: str) -> httpx.Response:
    return await client.post(f"/api/v1/shifts/{shift_id}/signups", headers={**factories.token_for(user), **headers})


async def seats_taken(shift_id: Any) -> int:
    row = await Shift.select(Shift.seats_taken).where(Shift.id == shift_id).first()
    return row["seats_taken"]


# --- planning -------------------------------------------------------------------------------------


async def test_a_coordinator_plans_a_shift(client: Client, place: dict[str, Any]) -> None:
    route, checkpoints = await builders.route(place["team"], 3)
    answer = await create(
        client,
        place["team"].id,
        place["coordinator"],
        route_id=str(route.id),
        min_attendance_percent=75,
        latitude=31.2946,
        longitude=120.6285,
        check_in_radius_m=300,
    )
    assert answer.status_code == 201, answer.text
    shift = answer.json()
    assert shift["title"] == "南园夜间巡逻"
    assert shift["team"] == {"id": str(place["team"].id), "name": "南园巡逻队"}
    assert shift["route"] == {"id": str(route.id), "name": "南园夜巡线", "checkpoint_count": 3}
    assert (shift["capacity"], shift["seats_left"], shift["min_attendance_percent"]) == (4, 4, 75)
    assert (shift["status"], shift["my_signup"], shift["check_in_radius_m"]) == ("scheduled", None, 300)


async def test_a_time_without_an_offset_is_city_time(client: Client, place: dict[str, Any]) -> None:
    answer = await create(
        client, place["team"].id, place["coordinator"], starts_at="2099-12-05T19:00:00", ends_at="2099-12-05T21:00:00"
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["starts_at"].startswith("2099-12-05T11:00:00")  # 19:00 in Suzhou is 11:00 UTC


def _times(start_in: timedelta, length: timedelta) -> dict[str, Any]:
    start = builders.now() + start_in
    return {"starts_at": start.isoformat(), "ends_at": (start + length).isoformat()}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"times": (timedelta(days=1), timedelta(minutes=-5))}, "shift_ends_before_start"),
        ({"times": (timedelta(days=1), timedelta(hours=24, minutes=1))}, "shift_too_long"),
        ({"times": (timedelta(hours=-1), timedelta(hours=2))}, "shift_in_past"),
        ({"check_in_radius_m": 200}, "check_in_radius_needs_place"),
        ({"latitude": 31.29}, "meeting_point_incomplete"),
        ({"title": {"en": "   "}}, "title_required"),
        ({"capacity": 0}, "validation_failed"),
        ({"capacity": 501}, "validation_failed"),
        ({"min_attendance_percent": 0}, "validation_failed"),
        ({"latitude": 95, "longitude": 120.6}, "validation_failed"),
        ({"check_in_radius_m": 10, "latitude": 31.29, "longitude": 120.6}, "validation_failed"),
        ({"title": {}}, "validation_failed"),
        ({"title": {"fr": "Patrouille"}}, "validation_failed"),
    ],
)
async def test_bad_shifts_are_refused(
    client: Client, place: dict[str, Any], overrides: dict[str, Any], code: str
) -> None:
    fields = dict(overrides)
    if "times" in fields:
        fields.update(_times(*fields.pop("times")))
    answer = await create(client, place["team"].id, place["coordinator"], **fields)
    assert (answer.status_code, answer.json()["code"]) == (422, code), answer.text


async def test_a_day_long_shift_is_allowed(client: Client, place: dict[str, Any]) -> None:
    answer = await create(
        client, place["team"].id, place["coordinator"], **_times(timedelta(days=1), timedelta(hours=24))
    )
    assert answer.status_code == 201, answer.text


async def test_a_route_must_belong_to_the_team(client: Client, place: dict[str, Any]) -> None:
    other_team = await builders.team(place["tree"]["community_b"], name="莲花巡逻队")
    route, _ = await builders.route(other_team)
    answer = await create(client, place["team"].id, place["coordinator"], route_id=str(route.id))
    assert (answer.status_code, answer.json()["code"]) == (422, "route_not_in_team")
    answer = await create(client, place["team"].id, place["coordinator"], route_id=str(uuid.uuid4()))
    assert (answer.status_code, answer.json()["code"]) == (422, "route_not_in_team")


async def test_only_the_teams_coordinators_plan_its_shifts(client: Client, place: dict[str, Any]) -> None:
    other_team = await builders.team(place["tree"]["community_b"], name="莲花巡逻队")
    other_boss = await factories.resident()
    await builders.coordinator(other_team, other_boss)
    (volunteer,) = await members(place["team"], 1)
    for user in (other_boss, volunteer):
        answer = await create(client, place["team"].id, user)
        assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")
    staff = await factories.staff(Role.coordinator, place["tree"]["street_a"])  # coordinates the street above
    assert (await create(client, place["team"].id, staff)).status_code == 201
    assert (await create(client, uuid.uuid4(), place["coordinator"])).status_code == 404
    assert (await client.post(f"/api/v1/teams/{place['team'].id}/shifts", json=shift_body())).status_code == 401


# --- reading --------------------------------------------------------------------------------------


async def test_anyone_sees_shifts_and_only_their_own_place(client: Client, place: dict[str, Any]) -> None:
    soon = await builders.shift(place["team"], starts_at=builders.now() + timedelta(hours=3), capacity=3)
    later = await builders.shift(place["team"], starts_at=builders.now() + timedelta(days=2))
    await builders.shift(place["team"], starts_at=builders.now() - timedelta(days=1))  # over
    volunteer, other = await members(place["team"], 2)
    mine = await builders.signup(soon, volunteer)
    await builders.signup(soon, other)

    anonymous = await client.get("/api/v1/shifts", params={"lang": "en"})
    assert anonymous.status_code == 200
    assert [s["id"] for s in anonymous.json()] == [str(soon.id), str(later.id)]
    first = anonymous.json()[0]
    assert (first["title"], first["seats_left"], first["my_signup"]) == ("Night patrol", 1, None)
    assert str(other.id) not in anonymous.text and str(mine.id) not in anonymous.text

    seen = await client.get("/api/v1/shifts", headers=factories.token_for(volunteer))
    assert seen.json()[0]["my_signup"]["id"] == str(mine.id)
    assert seen.json()[0]["my_signup"]["status"] == "signed_up"
    assert seen.json()[1]["my_signup"] is None

    own = await client.get("/api/v1/shifts", params={"mine": "true"}, headers=factories.token_for(volunteer))
    assert [s["id"] for s in own.json()] == [str(soon.id)]
    assert (await client.get("/api/v1/shifts", params={"mine": "true"})).status_code == 401

    one = await client.get(f"/api/v1/shifts/{soon.id}", headers=factories.token_for(volunteer))
    assert one.json()["my_signup"]["id"] == str(mine.id)
    assert (await client.get(f"/api/v1/shifts/{uuid.uuid4()}")).json()["code"] == "shift_not_found"


async def test_shifts_filter_by_team_and_time(client: Client, place: dict[str, Any]) -> None:
    other_team = await builders.team(place["tree"]["community_b"], name="莲花巡逻队")
    ours = await builders.shift(place["team"], starts_at=builders.now() + timedelta(days=1))
    theirs = await builders.shift(other_team, starts_at=builders.now() + timedelta(days=5))
    past = await builders.shift(place["team"], starts_at=builders.now() - timedelta(days=3))
    by_team = await client.get("/api/v1/shifts", params={"team_id": str(other_team.id)})
    assert [s["id"] for s in by_team.json()] == [str(theirs.id)]
    window = {
        "from": (builders.now() - timedelta(days=4)).isoformat(),
        "to": (builders.now() + timedelta(days=2)).isoformat(),
    }
    in_window = await client.get("/api/v1/shifts", params=window)
    assert [s["id"] for s in in_window.json()] == [str(past.id), str(ours.id)]
    assert len((await client.get("/api/v1/shifts", params={**window, "limit": 1})).json()) == 1
    assert (await client.get("/api/v1/shifts", params={"limit": 101})).status_code in (400, 422)


# --- taking a place -------------------------------------------------------------------------------


async def test_ten_members_race_for_three_places(client: Client, place: dict[str, Any]) -> None:
    shift = await builders.shift(place["team"], capacity=3)
    people = await members(place["team"], 10)
    answers = await asyncio.gather(*(sign_up(client, shift.id, person) for person in people))
    assert sorted(a.status_code for a in answers) == [201] * 3 + [409] * 7, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"shift_full"}
    assert await seats_taken(shift.id) == 3
    assert await ShiftSignup.count().where(ShiftSignup.shift == shift.id) == 3


async def test_one_volunteers_duplicate_requests_make_one_place(client: Client, place: dict[str, Any]) -> None:
    shift = await builders.shift(place["team"], capacity=5)
    (volunteer,) = await members(place["team"], 1)
    answers = await asyncio.gather(*(sign_up(client, shift.id, volunteer) for _ in range(6)))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 5
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"already_signed_up"}
    assert await seats_taken(shift.id) == 1


async def test_a_retry_with_the_same_key_gets_the_first_answer(client: Client, place: dict[str, Any]) -> None:
    shift = await builders.shift(place["team"], capacity=5)
    other = await builders.shift(place["team"], starts_at=builders.now() + timedelta(days=4))
    (volunteer,) = await members(place["team"], 1)
    first = await sign_up(client, shift.id, volunteer, **{"Idempotency-Key": "tap-1"})
    again = await sign_up(client, shift.id, volunteer, **{"Idempotency-Key": "tap-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert await seats_taken(shift.id) == 1
    reused = await sign_up(client, other.id, volunteer, **{"Idempotency-Key": "tap-1"})
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    racing = await asyncio.gather(
        *(sign_up(client, other.id, volunteer, **{"Idempotency-Key": "tap-2"}) for _ in range(5))
    )
    assert sorted(a.status_code for a in racing) == [200] * 4 + [201]
    assert len({a.json()["id"] for a in racing}) == 1


async def test_overlapping_shifts_are_refused_touching_ones_allowed(client: Client, place: dict[str, Any]) -> None:
    start = builders.now() + timedelta(days=1)
    evening = await builders.shift(place["team"], starts_at=start, minutes=120)
    overlapping = await builders.shift(place["team"], starts_at=start + timedelta(minutes=60), minutes=120)
    touching = await builders.shift(place["team"], starts_at=start + timedelta(minutes=120), minutes=60)
    (volunteer,) = await members(place["team"], 1)
    assert (await sign_up(client, evening.id, volunteer)).status_code == 201
    refused = await client.post(
        f"/api/v1/shifts/{overlapping.id}/signups", headers={**factories.token_for(volunteer), "Accept-Language": "en"}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "shift_overlap")
    assert refused.json()["params"]["starts_at"].startswith(start.strftime("%Y-%m-%dT%H:%M"))
    assert "You already have a shift from" in refused.json()["detail"]
    assert (await sign_up(client, touching.id, volunteer)).status_code == 201


async def test_cancelling_frees_a_place_for_someone_else(client: Client, place: dict[str, Any]) -> None:
    shift = await builders.shift(place["team"], capacity=1)
    first, second = await members(place["team"], 2)
    assert (await sign_up(client, shift.id, first)).status_code == 201
    assert (await sign_up(client, shift.id, second)).json()["code"] == "shift_full"
    cancelled = await client.delete(f"/api/v1/shifts/{shift.id}/signups/me", headers=factories.token_for(first))
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")
    assert await seats_taken(shift.id) == 0
    again = await client.delete(f"/api/v1/shifts/{shift.id}/signups/me", headers=factories.token_for(first))
    assert (again.status_code, again.json()["code"]) == (409, "not_signed_up")
    assert (await sign_up(client, shift.id, second)).status_code == 201
    assert (await sign_up(client, shift.id, first)).json()["code"] == "shift_full"
    assert await seats_taken(shift.id) == 1


async def test_no_sign_up_or_cancel_once_the_shift_has_started(client: Client, place: dict[str, Any]) -> None:
    started = await builders.shift(place["team"], starts_at=builders.now() - timedelta(minutes=5))
    volunteer, holder = await members(place["team"], 2)
    await builders.signup(started, holder)
    refused = await sign_up(client, started.id, volunteer)
    assert (refused.status_code, refused.json()["code"]) == (409, "shift_started")
    kept = await client.delete(f"/api/v1/shifts/{started.id}/signups/me", headers=factories.token_for(holder))
    assert (kept.status_code, kept.json()["code"]) == (409, "shift_started")


async def test_only_active_members_take_places(client: Client, place: dict[str, Any]) -> None:
    shift = await builders.shift(place["team"])
    stranger, pending = await factories.resident(), await factories.resident()
    await builders.member(place["team"], pending, status=MemberStatus.pending)
    for person in (stranger, pending):
        answer = await sign_up(client, shift.id, person)
        assert (answer.status_code, answer.json()["code"]) == (403, "not_team_member")
    assert (await client.post(f"/api/v1/shifts/{shift.id}/signups")).status_code == 401
    assert (await sign_up(client, uuid.uuid4(), stranger)).status_code == 404
    assert await seats_taken(shift.id) == 0


# --- calling a shift off --------------------------------------------------------------------------


async def test_cancelling_a_shift_releases_every_place_and_says_so(
    client: Client, place: dict[str, Any], recorded: list
) -> None:
    shift = await builders.shift(place["team"], capacity=3)
    first, second, gone = await members(place["team"], 3)
    places = [(await sign_up(client, shift.id, person)).json()["id"] for person in (first, second, gone)]
    await client.delete(f"/api/v1/shifts/{shift.id}/signups/me", headers=factories.token_for(gone))

    answer = await client.post(f"/api/v1/shifts/{shift.id}/cancel", headers=factories.token_for(place["coordinator"]))
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["seats_left"]) == ("cancelled", 3)
    assert await ShiftSignup.count().where((ShiftSignup.shift == shift.id) & (ShiftSignup.status != "cancelled")) == 0
    assert await OutboxSignal.count().where(OutboxSignal.name == SHIFT_CANCELLED) == 1
    (message,) = recorded
    assert str(message.payload.shift_id) == str(shift.id) and str(message.payload.team_id) == str(place["team"].id)
    assert sorted(str(s.signup_id) for s in message.payload.signups) == sorted(places[:2])
    assert {str(s.user_id) for s in message.payload.signups} == {str(first.id), str(second.id)}

    assert (await sign_up(client, shift.id, gone)).json()["code"] == "shift_cancelled"
    twice = await client.post(f"/api/v1/shifts/{shift.id}/cancel", headers=factories.token_for(place["coordinator"]))
    assert (twice.status_code, twice.json()["code"]) == (409, "shift_cancelled")


async def test_only_the_teams_coordinators_call_a_shift_off(client: Client, place: dict[str, Any]) -> None:
    shift = await builders.shift(place["team"])
    other_team = await builders.team(place["tree"]["community_b"], name="莲花巡逻队")
    other_boss = await factories.resident()
    await builders.coordinator(other_team, other_boss)
    (volunteer,) = await members(place["team"], 1)
    for user in (other_boss, volunteer):
        answer = await client.post(f"/api/v1/shifts/{shift.id}/cancel", headers=factories.token_for(user))
        assert answer.status_code == 403
    started = await builders.shift(place["team"], starts_at=builders.now() - timedelta(minutes=1))
    late = await client.post(f"/api/v1/shifts/{started.id}/cancel", headers=factories.token_for(place["coordinator"]))
    assert (late.status_code, late.json()["code"]) == (409, "shift_started")
    assert await OutboxSignal.count().where(OutboxSignal.name == SHIFT_CANCELLED) == 0
