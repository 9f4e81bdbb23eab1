"""The hours ledger over HTTP: who may verify, exactly-once signals, claims, corrections, totals, CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from backend.accounts.tables import Role, User
from backend.core.clock import city_today
from backend.core.tables import OutboxSignal
from backend.settings import Settings
from backend.volunteers.api import HoursVerified
from backend.volunteers.hours.tables import HoursEntry, HoursKind, HoursStatus
from backend.volunteers.teams.tables import Team
from tests import factories
from tests.conftest import build_app, serve_in_process
from tests.volunteers import builders

HOURS_VERIFIED = HoursVerified.NAME

Client = httpx.AsyncClient


async def entry(
    team: Team,
    user: User,
    minutes: int = 120,
    *,
    status: HoursStatus = HoursStatus.pending,
    service_date: date | None = None,
    content: str = "夜间巡逻",
    kind: HoursKind = HoursKind.shift,
) -> HoursEntry:
    row = HoursEntry(
        user=user.id,
        team=team.id,
        kind=kind.value,
        minutes=minutes,
        service_date=service_date or city_today(),
        content=content,
        source_key=f"test:{uuid.uuid4()}",
        status=status.value,
        created_by=user.id,
        created_at=datetime.now(UTC),
    )
    await row.save()
    return row


async def verified_signals(entry_id: Any = None) -> list[dict[str, Any]]:
    rows = (
        await OutboxSignal.select(OutboxSignal.payload)
        .output(load_json=True)
        .where(OutboxSignal.name == HOURS_VERIFIED)
    )
    payloads = [row["payload"] for row in rows]
    return [p for p in payloads if entry_id is None or p["entry_id"] == str(entry_id)]


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    team = await builders.team(tree["community_a"])
    other_team = await builders.team(tree["community_b"], name="莲花巡逻队")
    volunteer, coordinator, member, other_coordinator = [await factories.resident() for _ in range(4)]
    await builders.member(team, volunteer)
    await builders.member(team, member)
    await builders.coordinator(team, coordinator)
    await builders.coordinator(other_team, other_coordinator)
    await builders.profile(volunteer, real_name_masked="张*明")
    return {
        "tree": tree,
        "team": team,
        "other_team": other_team,
        "volunteer": volunteer,
        "coordinator": coordinator,
        "member": member,
        "other_coordinator": other_coordinator,
    }


async def verify(client: Client, entry_id: Any, user: User) -> httpx.Response:
    return await client.post(f"/api/v1/hours/{entry_id}/verify", headers=factories.token_for(user))


# --- who may verify ---------------------------------------------------------------------------------


async def test_only_coordinators_of_the_team_verify_and_never_their_own(client: Client, place: dict[str, Any]) -> None:
    team, tree = place["team"], place["tree"]
    pending = await entry(team, place["volunteer"])
    refusals = {
        "other team's coordinator": (place["other_coordinator"], 404, "hours_entry_not_found"),
        "plain member": (place["member"], 404, "hours_entry_not_found"),
        "the volunteer": (place["volunteer"], 403, "cannot_verify_own_hours"),
        "staff of another community": (
            await factories.staff(Role.coordinator, tree["community_b"]),
            404,
            "hours_entry_not_found",
        ),
    }
    for who, (user, status, code) in refusals.items():
        answer = await verify(client, pending.id, user)
        assert (answer.status_code, answer.json()["code"]) == (status, code), who
    assert await verified_signals() == []

    # A coordinator's own hours in their own team: someone else must verify them.
    own = await entry(team, place["coordinator"])
    refused = await verify(client, own.id, place["coordinator"])
    assert (refused.status_code, refused.json()["code"]) == (403, "cannot_verify_own_hours")
    admin = await factories.staff(Role.admin, tree["street_a"])
    admins_own = await entry(team, admin)
    assert (await verify(client, admins_own.id, admin)).json()["code"] == "cannot_verify_own_hours"

    staff = await factories.staff(Role.coordinator, tree["community_a"])
    done = await verify(client, pending.id, staff)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["id"]) == ("verified", str(pending.id))
    assert (await verify(client, own.id, staff)).json()["status"] == "verified"
    unknown = await verify(client, uuid.uuid4(), staff)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "hours_entry_not_found")


async def test_concurrent_verifications_announce_once(client: Client, place: dict[str, Any]) -> None:
    pending = await entry(place["team"], place["volunteer"], 95)
    answers = await asyncio.gather(*[verify(client, pending.id, place["coordinator"]) for _ in range(5)])
    assert [a.status_code for a in answers] == [200] * 5, [a.text for a in answers]
    assert {a.json()["status"] for a in answers} == {"verified"}
    signals = await verified_signals(pending.id)
    assert len(signals) == 1
    assert signals[0] | {"verified_at": None} == {
        "entry_id": str(pending.id),
        "user_id": str(place["volunteer"].id),
        "team_id": str(place["team"].id),
        "community_id": str(place["tree"]["community_a"].id),
        "kind": "shift",
        "minutes": 95,
        "service_date": city_today().isoformat(),
        "verified_by": str(place["coordinator"].id),
        "verified_at": None,
    }
    again = await verify(client, pending.id, place["coordinator"])
    assert (again.status_code, again.json()["status"]) == (200, "verified")
    assert len(await verified_signals(pending.id)) == 1


async def test_a_rejected_entry_stays_rejected(client: Client, place: dict[str, Any]) -> None:
    pending = await entry(place["team"], place["volunteer"])
    path = f"/api/v1/hours/{pending.id}/reject"
    by_volunteer = await client.post(path, json={"note": "不对"}, headers=factories.token_for(place["volunteer"]))
    assert by_volunteer.json()["code"] == "cannot_verify_own_hours"
    short = await client.post(path, json={"note": " "}, headers=factories.token_for(place["coordinator"]))
    assert short.status_code == 422
    rejected = await client.post(path, json={"note": "当天未排班"}, headers=factories.token_for(place["coordinator"]))
    assert (rejected.status_code, rejected.json()["status"], rejected.json()["decision_note"]) == (
        200,
        "rejected",
        "当天未排班",
    )
    again = await client.post(path, json={"note": "再次"}, headers=factories.token_for(place["coordinator"]))
    assert (again.status_code, again.json()["code"]) == (409, "hours_entry_decided")
    verifying = await verify(client, pending.id, place["coordinator"])
    assert (verifying.status_code, verifying.json()["code"]) == (409, "hours_entry_decided")
    verified = await entry(place["team"], place["volunteer"], status=HoursStatus.verified)
    late = await client.post(
        f"/api/v1/hours/{verified.id}/reject", json={"note": "晚了"}, headers=factories.token_for(place["coordinator"])
    )
    assert late.status_code == 409
    assert await verified_signals() == []


async def test_bulk_verification_follows_the_same_rules(client: Client, place: dict[str, Any]) -> None:
    team, coordinator = place["team"], place["coordinator"]
    first, second = await entry(team, place["volunteer"]), await entry(team, place["member"])
    own = await entry(team, coordinator)
    elsewhere = await entry(place["other_team"], place["volunteer"])
    rejected = await entry(team, place["volunteer"], status=HoursStatus.rejected)
    done = await entry(team, place["volunteer"], status=HoursStatus.verified)
    ids = [first.id, second.id, own.id, elsewhere.id, rejected.id, done.id, uuid.uuid4(), first.id]
    path = f"/api/v1/teams/{team.id}/hours/verify"
    answer = await client.post(
        path, json={"entry_ids": [str(i) for i in ids]}, headers=factories.token_for(coordinator)
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verified"] == [str(first.id), str(second.id), str(done.id)]
    skipped = {item["id"]: item["code"] for item in body["skipped"]}
    assert skipped == {
        str(own.id): "cannot_verify_own_hours",
        str(elsewhere.id): "hours_entry_not_found",
        str(rejected.id): "hours_entry_decided",
        str(ids[6]): "hours_entry_not_found",
    }
    assert len(await verified_signals()) == 2
    repeat = await client.post(path, json={"entry_ids": [str(first.id)]}, headers=factories.token_for(coordinator))
    assert repeat.json()["verified"] == [str(first.id)]
    assert len(await verified_signals()) == 2
    outsider = await client.post(
        path, json={"entry_ids": [str(first.id)]}, headers=factories.token_for(place["member"])
    )
    assert outsider.status_code == 403
    empty = await client.post(path, json={"entry_ids": []}, headers=factories.token_for(coordinator))
    assert empty.status_code == 422


# --- manual entries ------------------------------------------------------------------------------------


def manual(**overrides: Any) -> dict[str, Any]:
    return {
        "minutes": 90,
        "service_date": city_today().isoformat(),
        "content": "敬老活动引导",
        "reason": "忘记签到",
        **overrides,
    }


async def test_claims_and_entries_by_coordinators(client: Client, place: dict[str, Any]) -> None:
    team, volunteer, coordinator = place["team"], place["volunteer"], place["coordinator"]
    path = f"/api/v1/teams/{team.id}/hours"
    claim = await client.post(path, json=manual(), headers=factories.token_for(volunteer))
    assert claim.status_code == 201, claim.text
    assert (claim.json()["kind"], claim.json()["status"], claim.json()["hours"]) == ("manual", "pending", 1.5)
    entered = await client.post(path, json=manual(user_id=str(volunteer.id)), headers=factories.token_for(coordinator))
    assert entered.status_code == 201, entered.text
    assert entered.json()["flags"] == ["entered_by_coordinator"]
    stored = (
        await HoursEntry.select(HoursEntry.user, HoursEntry.created_by)
        .where(HoursEntry.id == entered.json()["id"])
        .first()
    )
    assert (stored["user"], stored["created_by"]) == (volunteer.id, coordinator.id)

    outsider = await factories.resident()
    refusals = [
        (outsider, manual(), 403, "not_team_member"),
        (coordinator, manual(user_id=str(coordinator.id)), 422, "own_hours_are_a_claim"),
        (place["member"], manual(user_id=str(volunteer.id)), 403, "forbidden"),
        (coordinator, manual(user_id=str(outsider.id)), 422, "volunteer_not_in_team"),
        (volunteer, manual(service_date=(city_today() + timedelta(days=1)).isoformat()), 422, "service_date_in_future"),
        (volunteer, manual(service_date=(city_today() - timedelta(days=366)).isoformat()), 422, "service_date_too_old"),
        (volunteer, manual(reason="  "), 422, "reason_required"),
        (volunteer, manual(minutes=0), 422, "validation_failed"),
        (volunteer, manual(minutes=1441), 422, "validation_failed"),
        (volunteer, {k: v for k, v in manual().items() if k != "reason"}, 422, "validation_failed"),
    ]
    for user, body, status, code in refusals:
        answer = await client.post(path, json=body, headers=factories.token_for(user))
        assert (answer.status_code, answer.json()["code"]) == (status, code), body
    missing_team = await client.post(
        f"/api/v1/teams/{uuid.uuid4()}/hours", json=manual(), headers=factories.token_for(volunteer)
    )
    assert (missing_team.status_code, missing_team.json()["code"]) == (404, "team_not_found")


async def test_a_repeated_idempotency_key_is_one_entry(client: Client, place: dict[str, Any]) -> None:
    path = f"/api/v1/teams/{place['team'].id}/hours"
    headers = {**factories.token_for(place["volunteer"]), "Idempotency-Key": "claim-2026-11-20"}
    answers = await asyncio.gather(*[client.post(path, json=manual(), headers=headers) for _ in range(5)])
    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await HoursEntry.count().where(HoursEntry.user == place["volunteer"].id) == 1
    reused = await client.post(path, json=manual(minutes=30), headers=headers)
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    # The key is the caller's own: someone else's same key is another entry.
    other = {**factories.token_for(place["member"]), "Idempotency-Key": "claim-2026-11-20"}
    assert (await client.post(path, json=manual(), headers=other)).status_code == 201
    assert await HoursEntry.count() == 2


# --- corrections ----------------------------------------------------------------------------------------


async def correct(client: Client, entry_id: Any, user: User, minutes: int, **headers: str) -> httpx.Response:
    body = {"minutes": minutes, "reason": "签退时间记录有误"}
    return await client.post(
        f"/api/v1/hours/{entry_id}/corrections", json=body, headers={**factories.token_for(user), **headers}
    )


async def test_corrections_are_new_verified_entries_never_below_zero(client: Client, place: dict[str, Any]) -> None:
    coordinator = place["coordinator"]
    original = await entry(
        place["team"],
        place["volunteer"],
        120,
        status=HoursStatus.verified,
        service_date=city_today() - timedelta(days=3),
    )
    first = await correct(client, original.id, coordinator, -90)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["kind"], body["status"], body["minutes"], body["corrects"]) == (
        "correction",
        "verified",
        -90,
        str(original.id),
    )
    assert body["service_date"] == original.service_date.isoformat()
    signal = (await verified_signals(body["id"]))[0]
    assert (signal["minutes"], signal["kind"], signal["verified_by"]) == (-90, "correction", str(coordinator.id))

    below = await correct(client, original.id, coordinator, -31)
    assert (below.status_code, below.json()["code"], below.json()["params"]["minutes"]) == (
        422,
        "correction_below_zero",
        30,
    )
    to_zero = await correct(client, body["id"], coordinator, -30)  # a correction's correction corrects the entry
    assert (to_zero.status_code, to_zero.json()["corrects"]) == (201, str(original.id))
    assert (await correct(client, original.id, coordinator, -1)).json()["code"] == "correction_below_zero"
    assert (await correct(client, original.id, coordinator, 15)).status_code == 201

    own = await correct(client, original.id, place["volunteer"], 30)
    assert (own.status_code, own.json()["code"]) == (403, "cannot_verify_own_hours")
    assert (await correct(client, original.id, place["other_coordinator"], 30)).status_code == 404
    assert (await correct(client, original.id, coordinator, 0)).json()["code"] == "correction_zero"
    assert (await correct(client, original.id, coordinator, -1441)).status_code == 422
    pending = await entry(place["team"], place["volunteer"])
    not_verified = await correct(client, pending.id, coordinator, 10)
    assert (not_verified.status_code, not_verified.json()["code"]) == (409, "hours_entry_not_verified")
    minutes = await HoursEntry.select(HoursEntry.minutes).where(HoursEntry.id == original.id).first()
    assert minutes["minutes"] == 120  # the ledger only grows
    assert len(await verified_signals()) == 3


async def test_concurrent_corrections_with_one_key_are_one(client: Client, place: dict[str, Any]) -> None:
    original = await entry(place["team"], place["volunteer"], 60, status=HoursStatus.verified)
    answers = await asyncio.gather(
        *[correct(client, original.id, place["coordinator"], -20, **{"Idempotency-Key": "fix-1"}) for _ in range(5)]
    )
    assert [a.status_code for a in answers] == [201] * 5, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await HoursEntry.count().where(HoursEntry.corrects == original.id) == 1
    assert len(await verified_signals()) == 1
    # Without a key, concurrent corrections are separate, and together never pass zero.
    racing = await asyncio.gather(*[correct(client, original.id, place["coordinator"], -15) for _ in range(4)])
    assert sorted(a.status_code for a in racing) == [201, 201, 422, 422]


# --- totals and levels ---------------------------------------------------------------------------------


async def test_totals_and_level_with_custom_milestones(
    client: Client, place: dict[str, Any], settings: Settings, shared_redis: Redis | None
) -> None:
    volunteer, team = place["volunteer"], place["team"]
    original = await entry(team, volunteer, 140, status=HoursStatus.verified)
    await correct(client, original.id, place["coordinator"], 10)
    await entry(team, volunteer, 30)
    await entry(team, volunteer, 500, status=HoursStatus.rejected)
    async with serve_in_process(build_app(settings, shared_redis, volunteer_milestone_hours="1,2,3")) as custom:
        mine = await custom.get("/api/v1/me/hours?lang=en", headers=factories.token_for(volunteer))
        assert mine.status_code == 200, mine.text
        assert mine.json()["totals"] == {
            "verified_minutes": 150,
            "verified_hours": 2.5,
            "pending_minutes": 30,
            "level": 2,
            "level_name": "2-star volunteer",
            "next_milestone_hours": 3,
            "hours_to_next": 0.5,
        }
        await entry(team, volunteer, 40, status=HoursStatus.verified)
        top = (await custom.get("/api/v1/me/hours", headers=factories.token_for(volunteer))).json()["totals"]
        assert (top["level"], top["next_milestone_hours"], top["hours_to_next"]) == (3, None, None)
    default = (await client.get("/api/v1/me/hours?lang=en", headers=factories.token_for(volunteer))).json()["totals"]
    assert (default["level"], default["level_name"], default["next_milestone_hours"], default["hours_to_next"]) == (
        0,
        "Volunteer",
        100,
        96.8,
    )


async def test_my_hours_lists_newest_first_in_pages(client: Client, place: dict[str, Any]) -> None:
    volunteer = place["volunteer"]
    made = [await entry(place["team"], volunteer, 30 + i) for i in range(5)]
    await entry(place["team"], place["member"], 60)
    headers = factories.token_for(volunteer)
    first = (await client.get("/api/v1/me/hours?limit=2&lang=en", headers=headers)).json()
    assert [item["minutes"] for item in first["items"]] == [34, 33]
    item = first["items"][0]
    assert (item["team"]["name"], item["kind_name"], item["status_name"], item["hours"]) == (
        "Nanyuan Patrol",
        "Shift",
        "Awaiting verification",
        0.6,
    )
    second = (await client.get(f"/api/v1/me/hours?limit=2&before={first['next_before']}", headers=headers)).json()
    assert [item["minutes"] for item in second["items"]] == [32, 31]
    third = (await client.get(f"/api/v1/me/hours?limit=2&before={second['next_before']}", headers=headers)).json()
    assert ([item["id"] for item in third["items"]], third["next_before"]) == ([str(made[0].id)], None)
    by_offset = (await client.get("/api/v1/me/hours?limit=2&offset=4", headers=headers)).json()
    assert [item["minutes"] for item in by_offset["items"]] == [30]
    assert (await client.get("/api/v1/me/hours?limit=201", headers=headers)).status_code in (400, 422)
    assert (await client.get("/api/v1/me/hours")).status_code == 401


async def test_the_verification_queue_of_a_team(client: Client, place: dict[str, Any]) -> None:
    team = place["team"]
    today = city_today()
    last_month = today.replace(day=1) - timedelta(days=1)
    await entry(team, place["volunteer"], 60)
    await entry(team, place["volunteer"], 45, service_date=last_month)
    await entry(team, place["member"], 30, status=HoursStatus.verified)
    path = f"/api/v1/teams/{team.id}/hours"
    headers = factories.token_for(place["coordinator"])
    pending = (await client.get(f"{path}?status=pending&month={today:%Y-%m}", headers=headers)).json()
    assert [(row["minutes"], row["volunteer"]["real_name_masked"]) for row in pending] == [(60, "张*明")]
    assert pending[0]["volunteer"]["id"] == str(place["volunteer"].id)
    assert len((await client.get(path, headers=headers)).json()) == 3
    assert (await client.get(path, headers=factories.token_for(place["member"]))).status_code == 403
    assert (await client.get(path, headers=factories.token_for(place["other_coordinator"]))).status_code == 403
    assert (await client.get(f"{path}?month=2026-13", headers=headers)).status_code in (400, 422)


# --- the monthly CSV ------------------------------------------------------------------------------------


async def test_the_monthly_csv(client: Client, place: dict[str, Any]) -> None:
    team, coordinator = place["team"], place["coordinator"]
    month_day = date(2026, 3, 14)
    inside = await entry(team, place["volunteer"], 90, service_date=month_day, content='=HYPERLINK("http://x")')
    await verify(client, inside.id, coordinator)
    await entry(team, place["volunteer"], 30, service_date=date(2026, 3, 31), content="@SUM(A1)")
    await entry(team, place["member"], 60, service_date=date(2026, 3, 1), status=HoursStatus.verified, content="+1")
    await entry(team, place["volunteer"], 999, service_date=date(2026, 4, 1))
    await entry(team, place["volunteer"], 999, service_date=date(2026, 2, 28))
    answer = await client.get(
        f"/api/v1/teams/{team.id}/hours.csv?month=2026-03&lang=en", headers=factories.token_for(coordinator)
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:7] == ["Date", "Volunteer", "Real name (masked)", "Kind", "Minutes", "Hours", "Status"]
    entries, totals = rows[1:4], rows[4:]
    assert [row[0] for row in entries] == ["2026-03-01", "2026-03-14", "2026-03-31"]
    assert "999" not in answer.text
    contents = {row[4]: row[7] for row in entries}
    assert contents == {"60": "'+1", "90": '\'=HYPERLINK("http://x")', "30": "'@SUM(A1)"}
    verified_row = next(row for row in entries if row[4] == "90")
    assert (verified_row[2], verified_row[6], verified_row[9]) == ("张*明", "Verified", coordinator.display_name)
    assert verified_row[10].startswith("20")
    assert sorted((row[3], row[4], row[5]) for row in totals) == [
        ("Total verified", "60", "1.0"),
        ("Total verified", "90", "1.5"),
    ]

    chinese = await client.get(
        f"/api/v1/teams/{team.id}/hours.csv?month=2026-03", headers=factories.token_for(coordinator)
    )
    assert chinese.status_code == 200
    for who in (place["member"], place["volunteer"], place["other_coordinator"]):
        refused = await client.get(f"/api/v1/teams/{team.id}/hours.csv?month=2026-03", headers=factories.token_for(who))
        assert refused.status_code == 403
    for bad in ("2026-3", "March", "2026-00"):
        malformed = await client.get(
            f"/api/v1/teams/{team.id}/hours.csv?month={bad}", headers=factories.token_for(coordinator)
        )
        assert malformed.status_code in (400, 422) and malformed.headers["content-type"].startswith(
            "application/problem+json"
        )
    missing = await client.get(f"/api/v1/teams/{team.id}/hours.csv", headers=factories.token_for(coordinator))
    assert missing.status_code in (400, 422)
