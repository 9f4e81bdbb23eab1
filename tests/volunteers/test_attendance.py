"""Attendance over HTTP: check-in (window, radius), checkpoint scans in order, check-out and the
attendance rule, forgotten check-outs, no-shows, and the coordinator's sheet."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import User
from backend.core import clock
from backend.core.tables import OutboxSignal
from backend.volunteers.hours.tables import HoursEntry
from backend.volunteers.shifts import attendance
from backend.volunteers.shifts.tables import CheckpointScan, ShiftSignup
from tests import factories
from tests.volunteers import builders

Client = httpx.AsyncClient
# The builders' route starts here and puts checkpoint n at LAT + 0.001 * n (about 111 m apart).
LAT, LNG = 31.2946, 120.6285


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"])
    boss = await factories.resident("队长")
    await builders.coordinator(team, boss)
    volunteer = await factories.resident("小林")
    await builders.member(team, volunteer)
    return {"tree": tree, "team": team, "coordinator": boss, "volunteer": volunteer}


async def running_shift(place: dict[str, Any], *, started_ago: int = 30, minutes: int = 120, **fields: Any) -> Any:
    return await builders.shift(
        place["team"], starts_at=builders.now() - timedelta(minutes=started_ago), minutes=minutes, **fields
    )


async def post(
    client: Client, shift_id: Any, what: str, user: Any, body: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(f"/api/v1/shifts/{shift_id}/{what}", json=body, headers=factories.token_for(user))


async def signup_row(signup_id: Any) -> Any:
    return await ShiftSignup.objects().output(load_json=True).where(ShiftSignup.id == signup_id).first()


# --- check-in -------------------------------------------------------------------------------------


async def test_check_in_opens_half_an_hour_before_and_closes_at_the_end(client: Client, place: dict[str, Any]) -> None:
    volunteer = place["volunteer"]
    early = await builders.shift(place["team"], starts_at=builders.now() + timedelta(minutes=45))
    gathering = await builders.shift(place["team"], starts_at=builders.now() + timedelta(minutes=20), minutes=60)
    ended = await running_shift(place, started_ago=180, minutes=120)
    for shift in (early, gathering, ended):
        await builders.signup(shift, volunteer)

    too_early = await post(client, early.id, "check-in", volunteer)
    assert (too_early.status_code, too_early.json()["code"]) == (409, "check_in_not_open")
    assert "opens_at" in too_early.json()["params"]
    over = await post(client, ended.id, "check-in", volunteer)
    assert (over.status_code, over.json()["code"]) == (409, "shift_ended")

    first = await post(client, gathering.id, "check-in", volunteer)
    assert first.status_code == 200, first.text
    assert first.json()["already_checked_in"] is False
    again = await post(client, gathering.id, "check-in", volunteer)
    assert again.status_code == 200
    assert (again.json()["checked_in_at"], again.json()["already_checked_in"]) == (first.json()["checked_in_at"], True)


async def test_no_check_in_on_someone_elses_place(client: Client, place: dict[str, Any]) -> None:
    shift = await running_shift(place)
    other = await factories.resident()
    await builders.member(place["team"], other)
    theirs = await builders.signup(shift, other)
    for what in ("check-in", "check-out", "checkpoints/ABCD/scan"):
        answer = await post(client, shift.id, what, place["volunteer"])
        assert (answer.status_code, answer.json()["code"]) == (404, "signup_not_found"), what
    assert (await signup_row(theirs.id)).checked_in_at is None
    assert (await post(client, uuid.uuid4(), "check-in", place["volunteer"])).json()["code"] == "shift_not_found"
    assert (await client.post(f"/api/v1/shifts/{shift.id}/check-in")).status_code == 401


async def test_a_check_in_radius_asks_for_a_location_and_keeps_none(
    client: Client, place: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    route, _ = await builders.route(place["team"], 2)
    shift = await running_shift(place, route_=route, latitude=31.3100, longitude=120.6400, check_in_radius_m=100)
    signup = await builders.signup(shift, place["volunteer"])
    volunteer = place["volunteer"]

    missing = await post(client, shift.id, "check-in", volunteer)
    assert (missing.status_code, missing.json()["code"]) == (422, "location_required")
    half = await post(client, shift.id, "check-in", volunteer, {"latitude": LAT})
    assert half.json()["code"] == "location_required"
    far = await post(
        client, shift.id, "check-in", volunteer, {"latitude": LAT + 0.011, "longitude": LNG}
    )  # ~1 km from everything
    assert (far.status_code, far.json()["code"]) == (422, "too_far_from_shift")
    assert far.json()["params"]["radius_m"] == 100
    assert 1000 < far.json()["params"]["distance_m"] < 1300
    bad = await post(client, shift.id, "check-in", volunteer, {"latitude": 123, "longitude": LNG})
    assert bad.status_code == 422
    assert (await signup_row(signup.id)).checked_in_at is None

    near_checkpoint = {"latitude": 31.29571234, "longitude": 120.62861234}  # ~15 m from checkpoint 1
    answer = await post(client, shift.id, "check-in", volunteer, near_checkpoint)
    assert answer.status_code == 200, answer.text
    row = await signup_row(signup.id)
    assert row.checked_in_at is not None
    stored = json.dumps([row.to_dict(), *await OutboxSignal.select()], default=str)
    assert "31.2957" not in stored and "120.6286" not in stored
    logged = capsys.readouterr()
    assert "31.2957" not in logged.out + logged.err


async def test_the_meeting_point_counts_as_near(client: Client, place: dict[str, Any]) -> None:
    shift = await running_shift(place, latitude=31.3100, longitude=120.6400, check_in_radius_m=50)
    await builders.signup(shift, place["volunteer"])
    answer = await post(
        client, shift.id, "check-in", place["volunteer"], {"latitude": 31.3102, "longitude": 120.6400}
    )  # ~22 m
    assert answer.status_code == 200, answer.text


async def test_without_a_radius_no_location_is_needed(client: Client, place: dict[str, Any]) -> None:
    shift = await running_shift(place)
    await builders.signup(shift, place["volunteer"])
    assert (await post(client, shift.id, "check-in", place["volunteer"])).status_code == 200


# --- checkpoints ----------------------------------------------------------------------------------


async def test_checkpoints_are_scanned_in_order(client: Client, place: dict[str, Any]) -> None:
    route, stops = await builders.route(place["team"], 4)
    shift = await running_shift(place, route_=route)
    await builders.signup(shift, place["volunteer"])
    volunteer = place["volunteer"]

    before = await post(client, shift.id, f"checkpoints/{stops[0].code}/scan", volunteer)
    assert (before.status_code, before.json()["code"]) == (409, "not_checked_in")
    await post(client, shift.id, "check-in", volunteer)

    one = await post(client, shift.id, f"checkpoints/{stops[0].code.lower()}/scan", volunteer)  # any case
    assert one.status_code == 200, one.text
    assert (one.json()["position"], one.json()["next_checkpoint"], one.json()["missed"]) == (
        1,
        {"position": 2, "name": "巡更点2"},
        [],
    )
    three = await post(client, shift.id, f"checkpoints/{stops[2].code}/scan", volunteer)
    assert (three.json()["position"], three.json()["next_checkpoint"]["position"], three.json()["missed"]) == (
        3,
        4,
        [2],
    )
    back = await post(client, shift.id, f"checkpoints/{stops[1].code}/scan", volunteer)
    assert (back.status_code, back.json()["code"], back.json()["params"]) == (
        409,
        "checkpoint_out_of_order",
        {"expected": 4},
    )
    repeat = await post(client, shift.id, f"checkpoints/{stops[0].code}/scan", volunteer)
    assert repeat.status_code == 200
    assert (repeat.json()["already_scanned"], repeat.json()["scanned_at"]) == (True, one.json()["scanned_at"])
    unknown = await post(client, shift.id, "checkpoints/NOPE1234/scan", volunteer)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "checkpoint_not_found")
    _, elsewhere = await builders.route(place["team"], 1)
    stranger = await post(client, shift.id, f"checkpoints/{elsewhere[0].code}/scan", volunteer)
    assert stranger.json()["code"] == "checkpoint_not_found"
    assert await CheckpointScan.count() == 2

    out = await post(client, shift.id, "check-out", volunteer)
    assert out.status_code == 200, out.text
    assert {"missed_checkpoints", "missed_checkpoint:2", "missed_checkpoint:4"} <= set(out.json()["flags"])
    after = await post(client, shift.id, f"checkpoints/{stops[3].code}/scan", volunteer)
    assert (after.status_code, after.json()["code"]) == (409, "already_checked_out")


async def test_a_plate_scanned_twice_at_once_is_one_scan(client: Client, place: dict[str, Any]) -> None:
    route, stops = await builders.route(place["team"], 2)
    shift = await running_shift(place, route_=route)
    await builders.signup(shift, place["volunteer"], checked_in_at=builders.now())
    answers = await asyncio.gather(
        *(post(client, shift.id, f"checkpoints/{stops[1].code}/scan", place["volunteer"]) for _ in range(5))
    )
    assert {a.status_code for a in answers} == {200}
    assert sorted(a.json()["already_scanned"] for a in answers) == [False] + [True] * 4
    assert await CheckpointScan.count() == 1


async def test_a_shift_without_a_route_has_no_checkpoints(client: Client, place: dict[str, Any]) -> None:
    shift = await running_shift(place)
    await builders.signup(shift, place["volunteer"], checked_in_at=builders.now())
    answer = await post(client, shift.id, "checkpoints/ABCD1234/scan", place["volunteer"])
    assert (answer.status_code, answer.json()["code"]) == (409, "shift_has_no_route")


# --- check-out and the attendance rule ------------------------------------------------------------


async def _attended(client: Client, place: dict[str, Any], present_minutes: int) -> httpx.Response:
    # Started an hour ago, 100 minutes long: the 60% rule asks for exactly 60 minutes.
    shift = await running_shift(place, started_ago=60, minutes=100)
    await builders.signup(shift, place["volunteer"], checked_in_at=builders.now() - timedelta(minutes=present_minutes))
    return await post(client, shift.id, "check-out", place["volunteer"])


async def test_exactly_at_the_rule_is_credited(client: Client, place: dict[str, Any]) -> None:
    answer = await _attended(client, place, 60)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["minutes_in_shift"], body["required_minutes"], body["credited_minutes"]) == (
        "attended",
        60,
        60,
        60,
    )
    assert body["hours_entry"]["status"] == "pending"
    assert body["flags"] == []
    entry = await HoursEntry.objects().where(HoursEntry.id == body["hours_entry"]["id"]).first()
    assert (entry.minutes, entry.kind, str(entry.signup)) == (60, "shift", body["signup_id"])


async def test_the_entry_keeps_the_shift_title_and_shows_it_in_the_readers_language(
    client: Client, place: dict[str, Any]
) -> None:
    answer = await _attended(client, place, 80)
    entry = (
        await HoursEntry.objects()
        .output(load_json=True)
        .where(HoursEntry.id == answer.json()["hours_entry"]["id"])
        .first()
    )
    assert entry.title == {"zh-Hans": "夜间巡逻", "en": "Night patrol"}
    headers = factories.token_for(place["volunteer"])
    shown = {}
    for lang in ("ko", "ja", "zh-Hant", "zh-Hans", "en"):
        mine = (await client.get(f"/api/v1/me/hours?lang={lang}", headers=headers)).json()
        shown[lang] = [(item["content"], item["team"]["name"]) for item in mine["items"]]
    # Korean and Japanese readers fall back to English before Chinese; Traditional readers get the
    # Simplified title converted.
    assert shown == {
        "ko": [("Night patrol", "Nanyuan Patrol")],
        "ja": [("Night patrol", "Nanyuan Patrol")],
        "zh-Hant": [("夜間巡邏", "南園巡邏隊")],
        "zh-Hans": [("夜间巡逻", "南园巡逻队")],
        "en": [("Night patrol", "Nanyuan Patrol")],
    }


async def test_a_minute_short_of_the_rule_is_not_credited(client: Client, place: dict[str, Any]) -> None:
    answer = await _attended(client, place, 59)
    body = answer.json()
    assert (body["status"], body["minutes_in_shift"], body["credited_minutes"], body["hours_entry"]) == (
        "attended",
        59,
        0,
        None,
    )
    assert body["flags"] == ["below_attendance_rule"]
    assert await HoursEntry.count() == 0


async def test_check_out_needs_a_check_in_and_repeats_its_answer(client: Client, place: dict[str, Any]) -> None:
    shift = await running_shift(place, started_ago=60, minutes=100)
    await builders.signup(shift, place["volunteer"])
    refused = await post(client, shift.id, "check-out", place["volunteer"])
    assert (refused.status_code, refused.json()["code"]) == (409, "not_checked_in")
    await post(client, shift.id, "check-in", place["volunteer"])
    answers = await asyncio.gather(*(post(client, shift.id, "check-out", place["volunteer"]) for _ in range(4)))
    assert {a.status_code for a in answers} == {200}
    assert len({a.json()["checked_out_at"] for a in answers}) == 1
    assert (await post(client, shift.id, "check-out", place["volunteer"])).json() == answers[0].json()
    assert await ShiftSignup.count().where(ShiftSignup.checked_out_at.is_not_null()) == 1


# --- housekeeping ---------------------------------------------------------------------------------


async def test_forgotten_check_outs_close_at_the_shift_end_once(client: Client, place: dict[str, Any]) -> None:
    route, stops = await builders.route(place["team"], 2)
    ended = await running_shift(place, started_ago=150, minutes=120, route_=route)
    signup = await builders.signup(ended, place["volunteer"], checked_in_at=ended.starts_at + timedelta(minutes=5))
    await CheckpointScan.insert(CheckpointScan(signup=signup.id, checkpoint=stops[0].id, scanned_at=builders.now()))
    still_running = await running_shift(place, started_ago=10, minutes=120)
    other = await factories.resident()
    await builders.member(place["team"], other)
    running = await builders.signup(still_running, other, checked_in_at=builders.now())

    assert await attendance.close_forgotten_checkouts() == 1
    row = await signup_row(signup.id)
    assert (row.status, row.checked_out_at, row.closed_automatically) == ("attended", ended.ends_at, True)
    assert row.flags == ["auto_checkout", "missed_checkpoints", "missed_checkpoint:2"]
    entry = await HoursEntry.objects().output(load_json=True).where(HoursEntry.signup == signup.id).first()
    assert (entry.status, entry.minutes, entry.flags) == ("pending", 115, row.flags)
    assert (await signup_row(running.id)).checked_out_at is None

    assert await attendance.close_forgotten_checkouts() == 0
    assert (
        sum(await asyncio.gather(attendance.close_forgotten_checkouts(), attendance.close_forgotten_checkouts())) == 0
    )
    assert await HoursEntry.count() == 1
    closed = await post(client, ended.id, "check-out", place["volunteer"])
    assert (closed.json()["closed_automatically"], closed.json()["credited_minutes"]) == (True, 115)


async def test_two_closers_at_once_close_each_place_once(client: Client, place: dict[str, Any]) -> None:
    ended = await running_shift(place, started_ago=150, minutes=120, capacity=5)
    people = [await factories.resident() for _ in range(4)]
    for person in people:
        await builders.member(place["team"], person)
        await builders.signup(ended, person, checked_in_at=ended.starts_at)
    results = await asyncio.gather(attendance.close_forgotten_checkouts(), attendance.close_forgotten_checkouts())
    assert sum(results) == 4
    assert await HoursEntry.count() == 4


async def test_places_never_checked_in_become_no_shows(client: Client, place: dict[str, Any]) -> None:
    ended = await running_shift(place, started_ago=150, minutes=120, capacity=5)
    running = await running_shift(place, started_ago=10, minutes=120)
    absent, present = await factories.resident(), await factories.resident()
    for person in (absent, present):
        await builders.member(place["team"], person)
    missing = await builders.signup(ended, absent)
    came = await builders.signup(ended, present, checked_in_at=ended.starts_at)
    waiting = await builders.signup(running, absent)
    assert await attendance.mark_shift_no_shows() == 1
    assert [(await signup_row(s.id)).status for s in (missing, came, waiting)] == ["no_show", "signed_up", "signed_up"]
    assert await attendance.mark_shift_no_shows() == 0
    with clock.frozen(running.ends_at):
        assert await attendance.mark_shift_no_shows() == 1


# --- the coordinator's sheet ----------------------------------------------------------------------


async def test_the_sheet_shows_attendance_to_coordinators_only(client: Client, place: dict[str, Any]) -> None:
    route, stops = await builders.route(place["team"], 2)
    shift = await running_shift(place, started_ago=60, minutes=100, route_=route)
    await User.update({User.phone: "13812345678"}).where(User.id == place["volunteer"].id)
    signup = await builders.signup(shift, place["volunteer"], checked_in_at=builders.now() - timedelta(minutes=60))
    await post(client, shift.id, f"checkpoints/{stops[1].code}/scan", place["volunteer"])
    out = (await post(client, shift.id, "check-out", place["volunteer"])).json()

    sheet = await client.get(
        f"/api/v1/shifts/{shift.id}/signups",
        headers={**factories.token_for(place["coordinator"]), "Accept-Language": "en"},
    )
    assert sheet.status_code == 200, sheet.text
    (row,) = sheet.json()["signups"]
    assert (row["signup_id"], row["display_name"], row["phone"], row["status"]) == (
        str(signup.id),
        "小林",
        "138****5678",
        "attended",
    )
    assert [(s["position"], s["name"]) for s in row["scans"]] == [(2, "Checkpoint 2")]
    assert row["flags"] == ["missed_checkpoints", "missed_checkpoint:1"]
    assert (row["credited_minutes"], row["hours_entry"]) == (60, out["hours_entry"])
    assert sheet.json()["counts"]["attended"] == 1
    assert "13812345678" not in sheet.text

    other_team = await builders.team(place["tree"]["community_b"], name="莲花巡逻队")
    other_boss = await factories.resident()
    await builders.coordinator(other_team, other_boss)
    for user in (other_boss, place["volunteer"]):
        refused = await client.get(f"/api/v1/shifts/{shift.id}/signups", headers=factories.token_for(user))
        assert refused.status_code == 403
