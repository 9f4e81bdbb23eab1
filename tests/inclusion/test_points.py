"""Point rules, awards with their caps, expiry oldest-first, and the resident's points view."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Organisation, Role, User
from backend.core.i18n import CITY_TZ
from backend.events.api import AttendanceRecorded
from backend.events.catalogue.tables import Event
from backend.events.registrations.tables import Registration
from backend.inclusion.points import awards, ledger
from backend.inclusion.points.expiry import expire_points
from backend.inclusion.points.tables import PointEntry, PointReason
from backend.inclusion.profiles.tables import ResidentProfile
from backend.volunteers.api import HoursVerified
from backend.volunteers.hours.tables import HoursEntry
from backend.volunteers.teams.tables import Team
from tests import factories

Client = httpx.AsyncClient
_queue = itertools.count(1)
THIS_YEAR = datetime.now(UTC).year


# --- builders (shared with the other inclusion tests) ------------------------------------------------


@pytest.fixture
async def place(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    venue = await factories.venue(tree["community_a"], tree["community_a"])
    return {"tree": tree, "venue": venue, "community": tree["community_a"]}


async def new_event(place: dict[str, Any], **overrides: Any) -> Event:
    return await factories.published_event(place["tree"]["street_a"], place["venue"], **overrides)


async def person(birth_year: int | None = None) -> User:
    user = await factories.resident()
    if birth_year is not None:
        await User.update({User.birth_year: birth_year}).where(User.id == user.id)
    return user


async def attended(
    event: Event, user: User, *, at: datetime | None = None, referred_by: User | None = None
) -> AttendanceRecorded:
    """A checked-in registration written directly, and the payload events.attendance_recorded carries."""
    moment = at or datetime.now(UTC)
    registration = Registration(
        event=event.id,
        user=user.id,
        party_size=1,
        status="attended",
        queue_number=next(_queue),
        created_at=moment,
        confirmed_at=moment,
        checked_in_at=moment,
        referred_by=referred_by.id if referred_by else None,
    )
    await registration.save()
    return AttendanceRecorded(
        registration_id=registration.id,
        event_id=event.id,
        user_id=user.id,
        party_size=1,
        checked_in_at=moment,
        referred_by=referred_by.id if referred_by else None,
    )


async def entries(user: User, reason: PointReason | None = None) -> list[dict[str, Any]]:
    query = PointEntry.select().output(load_json=True).where(PointEntry.user == user.id)
    if reason is not None:
        query = query.where(PointEntry.reason == reason.value)
    return await query.order_by(PointEntry.created_at)


async def points_of(client: Client, user: User, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/me/points", params=params, headers=factories.token_for(user))
    assert response.status_code == 200, response.text
    return response.json()


async def put_rules(
    client: Client, organisation: Organisation, user: User, rules: list[dict[str, Any]]
) -> httpx.Response:
    return await client.put(
        f"/api/v1/communities/{organisation.id}/point-rules", json={"rules": rules}, headers=factories.token_for(user)
    )


async def team_in(community: Organisation) -> Team:
    team = Team(community=community.id, kind="patrol", name={"zh-Hans": "巡逻队"}, created_at=datetime.now(UTC))
    await team.save()
    return team


async def verified_hours(user: User, team: Team, minutes: int, corrects: HoursEntry | None = None) -> HoursEntry:
    entry = HoursEntry(
        user=user.id,
        team=team.id,
        kind="correction" if corrects else "shift",
        minutes=minutes,
        service_date=datetime.now(CITY_TZ).date(),
        source_key=f"test:{uuid.uuid4()}",
        status="verified",
        corrects=corrects.id if corrects else None,
        created_at=datetime.now(UTC),
    )
    await entry.save()
    return entry


def hours_payload(entry: HoursEntry, community: Organisation) -> HoursVerified:
    return HoursVerified(
        entry_id=entry.id,
        user_id=entry.user,
        team_id=entry.team,
        community_id=community.id,
        kind=entry.kind,
        minutes=entry.minutes,
        service_date=entry.service_date,
        verified_by=uuid.uuid4(),
        verified_at=datetime.now(UTC),
    )


# --- rules ---------------------------------------------------------------------------------------------


async def test_anyone_reads_the_rules_defaults_first(client: Client, place: dict[str, Any]) -> None:
    response = await client.get(f"/api/v1/communities/{place['community'].id}/point-rules?lang=en")
    assert response.status_code == 200, response.text
    rules = {rule["kind"]: rule for rule in response.json()}
    assert (rules["attendance"]["points"], rules["attendance"]["daily_cap"], rules["attendance"]["source"]) == (
        10,
        30,
        "default",
    )
    assert (rules["brought_neighbour"]["per_activity_cap"], rules["volunteer_hour"]["daily_cap"]) == (30, 40)
    assert rules["attendance"]["name"] == "Attending an event"
    street = await client.get(f"/api/v1/communities/{place['tree']['street_a'].id}/point-rules")
    assert (street.status_code, street.json()["code"]) == (404, "community_not_found")


async def test_an_admin_of_the_community_changes_the_next_award(client: Client, place: dict[str, Any]) -> None:
    admin = await factories.staff(Role.admin, place["community"])
    changed = await put_rules(
        client, place["community"], admin, [{"kind": "attendance", "points": 12, "daily_cap": 100}]
    )
    assert changed.status_code == 200, changed.text
    rules = {rule["kind"]: rule for rule in changed.json()}
    assert (rules["attendance"]["points"], rules["attendance"]["source"]) == (12, "community")
    assert rules["first_event"]["source"] == "default"
    resident = await person()
    await awards.award_for_attendance(await attended(await new_event(place), resident))
    assert [e["points"] for e in await entries(resident, PointReason.attendance)] == [12]
    # Another community still earns by the defaults.
    other = await factories.venue(place["tree"]["community_b"], place["tree"]["community_b"])
    elsewhere = await factories.published_event(place["tree"]["street_b"], other)
    await awards.award_for_attendance(await attended(elsewhere, resident))
    assert [e["points"] for e in await entries(resident, PointReason.attendance)] == [12, 10]


async def test_residents_and_other_communities_admins_may_not_change_rules(
    client: Client, place: dict[str, Any]
) -> None:
    body = [{"kind": "attendance", "points": 500}]
    for user in (
        await person(),
        await factories.staff(Role.admin, place["tree"]["community_b"]),
        await factories.staff(Role.organiser, place["community"]),
    ):
        response = await put_rules(client, place["community"], user, body)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    anonymous = await client.put(f"/api/v1/communities/{place['community'].id}/point-rules", json={"rules": body})
    assert anonymous.status_code == 401
    assert not await PointEntry.count()


async def test_bad_rules_are_refused(client: Client, place: dict[str, Any]) -> None:
    admin = await factories.staff(Role.admin, place["community"])
    twice = await put_rules(
        client, place["community"], admin, [{"kind": "attendance", "points": 5}, {"kind": "attendance", "points": 6}]
    )
    assert (twice.status_code, twice.json()["code"]) == (422, "duplicate_rule_kind")
    for rule in (
        {"kind": "attendance", "points": 1001},
        {"kind": "attendance", "points": -1},
        {"kind": "gift", "points": 5},
    ):
        response = await put_rules(client, place["community"], admin, [rule])
        assert response.status_code == 422, rule


async def test_a_city_admin_sets_city_wide_rules_and_a_community_switches_a_kind_off(
    client: Client, place: dict[str, Any]
) -> None:
    city_admin = await factories.staff(Role.admin, place["tree"]["city"])
    assert (
        await put_rules(client, place["tree"]["city"], city_admin, [{"kind": "first_event", "points": 25}])
    ).status_code == 200
    admin = await factories.staff(Role.admin, place["community"])
    assert (
        await put_rules(client, place["community"], admin, [{"kind": "attendance", "points": 10, "active": False}])
    ).status_code == 200
    rules = {
        r["kind"]: r for r in (await client.get(f"/api/v1/communities/{place['community'].id}/point-rules")).json()
    }
    assert (rules["first_event"]["points"], rules["first_event"]["source"], rules["attendance"]["active"]) == (
        25,
        "city",
        False,
    )
    resident = await person()
    await awards.award_for_attendance(await attended(await new_event(place), resident))
    assert [(e["reason"], e["points"]) for e in await entries(resident)] == [("first_event", 25)]
    # A PUT replaces: the kind left out follows the city again.
    assert (await put_rules(client, place["community"], admin, [])).status_code == 200
    rules = {
        r["kind"]: r for r in (await client.get(f"/api/v1/communities/{place['community'].id}/point-rules")).json()
    }
    assert (rules["attendance"]["active"], rules["attendance"]["source"]) == (True, "default")


# --- attendance awards and their caps ----------------------------------------------------------------


async def test_the_daily_cap_cuts_the_third_events_points(client: Client, place: dict[str, Any]) -> None:
    admin = await factories.staff(Role.admin, place["community"])
    assert (
        await put_rules(client, place["community"], admin, [{"kind": "attendance", "points": 12, "daily_cap": 30}])
    ).status_code == 200
    resident = await person()
    now = datetime.now(UTC)
    written = [
        await awards.award_for_attendance(await attended(await new_event(place), resident, at=now)) for _ in range(4)
    ]
    assert [e["points"] for e in await entries(resident, PointReason.attendance)] == [12, 12, 6]
    assert written == [12 + 20, 12, 6, 0]  # the first one also earned the first-event points
    # Another day has its own cap.
    await awards.award_for_attendance(await attended(await new_event(place), resident, at=now + timedelta(days=1)))
    assert [e["points"] for e in await entries(resident, PointReason.attendance)] == [12, 12, 6, 12]


async def test_first_event_points_only_once(client: Client, place: dict[str, Any]) -> None:
    resident = await person()
    earlier = datetime.now(UTC) - timedelta(days=2)
    await awards.award_for_attendance(await attended(await new_event(place), resident, at=earlier))
    await awards.award_for_attendance(await attended(await new_event(place), resident))
    assert [(e["reason"], e["points"]) for e in await entries(resident)] == [
        ("attendance", 10),
        ("first_event", 20),
        ("attendance", 10),
    ]


async def test_the_youth_bonus_goes_by_birth_year(client: Client, place: dict[str, Any]) -> None:
    event = await new_event(place)
    youth, adult, unknown, edge = (
        await person(THIS_YEAR - 20),
        await person(THIS_YEAR - 40),
        await person(),
        await person(THIS_YEAR - 35),
    )
    for user in (youth, adult, unknown, edge):
        await awards.award_for_attendance(await attended(event, user))
    assert [e["points"] for e in await entries(youth, PointReason.youth_bonus)] == [5]
    assert [e["points"] for e in await entries(edge, PointReason.youth_bonus)] == [5]
    assert await entries(adult, PointReason.youth_bonus) == []
    assert await entries(unknown, PointReason.youth_bonus) == []


async def test_children_and_deleted_accounts_earn_nothing(client: Client, place: dict[str, Any]) -> None:
    event = await new_event(place)
    child, gone = await person(THIS_YEAR - 10), await person(THIS_YEAR - 30)
    await User.update({User.deleted_at: datetime.now(UTC)}).where(User.id == gone.id)
    neighbour = await person()
    assert await awards.award_for_attendance(await attended(event, child, referred_by=neighbour)) == 0
    assert await awards.award_for_attendance(await attended(event, gone)) == 0
    assert not await PointEntry.count()
    # Nor does a deleted account that brought someone.
    await awards.award_for_attendance(await attended(event, neighbour, referred_by=gone))
    assert await entries(gone) == []


async def _profile(user: User, arrival: date | None, community: Organisation | None = None) -> None:
    now = datetime.now(UTC)
    await ResidentProfile(
        user=user.id,
        arrival_month=arrival,
        community=community.id if community else None,
        consented_at=now,
        created_at=now,
        updated_at=now,
    ).save()


async def test_a_first_event_within_90_days_of_arrival_earns_the_welcome_points(
    client: Client, place: dict[str, Any]
) -> None:
    today = datetime.now(CITY_TZ).date()
    newcomer, old_timer, veteran = await person(), await person(), await person()
    await _profile(newcomer, today.replace(day=1))
    await _profile(old_timer, (today - timedelta(days=150)).replace(day=1))
    await _profile(veteran, today.replace(day=1))
    await awards.award_for_attendance(
        await attended(await new_event(place), veteran, at=datetime.now(UTC) - timedelta(days=400))
    )
    event = await new_event(place)
    for user in (newcomer, old_timer, veteran):
        await awards.award_for_attendance(await attended(event, user))
    assert [e["points"] for e in await entries(newcomer, PointReason.first_event_after_arrival)] == [30]
    assert await entries(old_timer, PointReason.first_event_after_arrival) == []
    assert await entries(veteran, PointReason.first_event_after_arrival) == []  # not their first event
    await awards.award_for_attendance(await attended(await new_event(place), newcomer))
    assert len(await entries(newcomer, PointReason.first_event_after_arrival)) == 1


async def test_an_event_without_a_venue_community_counts_in_the_home_community(
    client: Client, place: dict[str, Any]
) -> None:
    venue = await factories.venue(place["tree"]["street_a"], None, name="无社区场馆")
    event = await factories.published_event(place["tree"]["street_a"], venue)
    resident = await person()
    await _profile(resident, None, place["tree"]["community_b"])
    await awards.award_for_attendance(await attended(event, resident))
    assert {e["community"] for e in await entries(resident)} == {place["tree"]["community_b"].id}


async def test_the_neighbour_cap_is_per_event(client: Client, place: dict[str, Any]) -> None:
    admin = await factories.staff(Role.admin, place["community"])
    rule = {"kind": "brought_neighbour", "points": 10, "per_activity_cap": 20}
    assert (await put_rules(client, place["community"], admin, [rule])).status_code == 200
    sharer = await person()
    first, second = await new_event(place), await new_event(place)
    for _ in range(3):
        await awards.award_for_attendance(await attended(first, await person(), referred_by=sharer))
    await awards.award_for_attendance(await attended(second, await person(), referred_by=sharer))
    brought = await entries(sharer, PointReason.brought_neighbour)
    assert [(e["points"], e["activity_key"]) for e in brought] == [
        (10, f"event:{first.id}"),
        (10, f"event:{first.id}"),
        (10, f"event:{second.id}"),
    ]
    assert set(brought[0]["reason_params"]) == {"event", "event_id"}  # the event, never the neighbour


async def test_moving_community_keeps_the_balance(client: Client, place: dict[str, Any]) -> None:
    resident = await person()
    await awards.award_for_attendance(await attended(await new_event(place), resident))
    body = {"consent": True, "community_id": str(place["community"].id)}
    headers = factories.token_for(resident)
    assert (await client.put("/api/v1/me/resident-profile", json=body, headers=headers)).status_code == 201
    before = (await points_of(client, resident))["balance"]
    body["community_id"] = str(place["tree"]["community_b"].id)
    assert (await client.put("/api/v1/me/resident-profile", json=body, headers=headers)).status_code == 200
    assert (await points_of(client, resident))["balance"] == before == 30


# --- volunteer hours -------------------------------------------------------------------------------------


async def test_hours_earn_by_the_rate_and_a_correction_takes_back_at_most_what_was_given(
    client: Client, place: dict[str, Any]
) -> None:
    volunteer = await person()
    team = await team_in(place["community"])
    entry = await verified_hours(volunteer, team, 150)
    assert await awards.award_for_hours(hours_payload(entry, place["community"])) == 12  # 2.5 h × 5, rounded down
    less = await verified_hours(volunteer, team, -60, corrects=entry)
    assert await awards.award_for_hours(hours_payload(less, place["community"])) == -5
    too_much = await verified_hours(volunteer, team, -600, corrects=entry)
    assert await awards.award_for_hours(hours_payload(too_much, place["community"])) == -7
    assert await ledger.balance(volunteer.id) == 0
    assert await awards.award_for_hours(hours_payload(too_much, place["community"])) == 0  # replayed
    assert [e["activity_key"] for e in await entries(volunteer)] == [f"team:{team.id}"] * 3


async def test_hours_are_capped_per_day(client: Client, place: dict[str, Any]) -> None:
    volunteer = await person()
    team = await team_in(place["community"])
    first, second = await verified_hours(volunteer, team, 360), await verified_hours(volunteer, team, 240)
    assert await awards.award_for_hours(hours_payload(first, place["community"])) == 30
    assert await awards.award_for_hours(hours_payload(second, place["community"])) == 10  # 20, cut to the cap of 40


# --- expiry ------------------------------------------------------------------------------------------------


async def _entry(user: User, points_: int, reason: PointReason, expires_at: datetime | None = None) -> None:
    await ledger.append(
        user_id=user.id, points=points_, reason=reason, source_key=f"test:{uuid.uuid4()}", expires_at=expires_at
    )


async def test_awards_can_expire_months_later(client: Client, place: dict[str, Any]) -> None:
    resident = await person()
    await awards.award_for_attendance(await attended(await new_event(place), resident), expire_months=6)
    expected = awards.add_months(datetime.now(UTC), 6)
    assert all(abs(e["expires_at"] - expected) < timedelta(minutes=1) for e in await entries(resident))
    assert awards.add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2027, 2, 28, tzinfo=UTC)


async def test_expiry_takes_the_unspent_oldest_points_once_a_day(client: Client, place: dict[str, Any]) -> None:
    resident = await person()
    now = datetime.now(UTC)
    await _entry(resident, 30, PointReason.attendance, now - timedelta(days=1))
    await _entry(resident, 20, PointReason.attendance, now + timedelta(days=10))
    await _entry(resident, 50, PointReason.adjustment)  # never expires
    await _entry(resident, -10, PointReason.redemption)  # spends from the oldest: 20 of the 30 are left
    soon = await points_of(client, resident)
    assert (soon["balance"], soon["expiring_soon"]) == (90, 40)
    assert await expire_points(now=now) == 20
    assert await expire_points(now=now + timedelta(hours=1)) == 0  # the same day: nothing more
    assert await ledger.balance(resident.id) == 70
    # Later the 20 expire too; a refund gives back points that were old, so they expire as well.
    await _entry(resident, 10, PointReason.redemption_refund)
    assert await expire_points(now=now + timedelta(days=11)) == 30
    assert await ledger.balance(resident.id) == 50
    expiries = await entries(resident, PointReason.expiry)
    assert [e["points"] for e in expiries] == [-20, -30]
    assert len({e["source_key"] for e in expiries}) == 2


async def test_spending_more_than_the_expired_awards_leaves_nothing_to_expire(
    client: Client, place: dict[str, Any]
) -> None:
    resident, other = await person(), await person()
    now = datetime.now(UTC)
    await _entry(resident, 10, PointReason.attendance, now - timedelta(days=1))
    await _entry(resident, 20, PointReason.attendance, now + timedelta(days=100))
    await _entry(resident, -15, PointReason.redemption)
    await _entry(other, 5, PointReason.attendance, now - timedelta(days=1))
    assert await expire_points(now=now) == 5
    assert await ledger.balance(resident.id) == 15
    assert await ledger.balance(other.id) == 0


# --- the points view -----------------------------------------------------------------------------------------


async def test_my_points_show_localised_reasons_newest_first(client: Client, place: dict[str, Any]) -> None:
    resident = await person()
    await awards.award_for_attendance(await attended(await new_event(place), resident))
    team = await team_in(place["community"])
    await awards.award_for_hours(hours_payload(await verified_hours(resident, team, 150), place["community"]))
    await ledger.append(
        user_id=resident.id,
        points=-5,
        reason=PointReason.redemption,
        source_key="test:redeem",
        reason_params={"reward": {"zh-Hans": "帆布袋", "en": "Canvas bag"}},
    )
    await _entry(resident, -1, PointReason.expiry)
    english = await points_of(client, resident, lang="en")
    assert english["balance"] == 10 + 20 + 12 - 5 - 1
    assert [e["reason_text"] for e in english["entries"]] == [
        "Points expired",
        "Redeemed: Canvas bag",
        "Volunteer service: 2.5 h",
        "Your first event: Pingtan Evening",
        "Attended: Pingtan Evening",
    ]
    assert [e["points"] for e in english["entries"]] == [-1, -5, 12, 20, 10]
    page = await points_of(client, resident, lang="en", limit=2, offset=1)
    assert ([e["reason"] for e in page["entries"]], page["total"]) == (["redemption", "volunteer_hours"], 5)
    chinese = await points_of(client, resident, lang="zh-Hans")
    texts = [e["reason_text"] for e in chinese["entries"]]
    assert texts[-1].endswith("评弹欣赏会") and texts[1].endswith("帆布袋")
    assert "Pingtan" not in "".join(texts)
    assert (
        await client.get("/api/v1/me/points", params={"limit": 101}, headers=factories.token_for(resident))
    ).status_code == 422
    assert (await client.get("/api/v1/me/points")).status_code == 401
