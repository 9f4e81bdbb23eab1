"""Participation statistics: counts that match what happened, small cells suppressed, scope, CSV."""

from __future__ import annotations

import csv
import io
import itertools
import statistics
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Organisation, OrganisationKind, Role, User
from backend.core.i18n import CITY_TZ
from backend.events.catalogue.tables import Event
from backend.events.registrations.tables import Registration
from backend.inclusion.insight.statistics import month_range
from backend.inclusion.profiles.tables import ResidentProfile
from tests import factories

Client = httpx.AsyncClient
STATS = "/api/v1/stats/participation"
_queue = itertools.count(1)

Month = tuple[int, int]


def months_ago(count: int) -> Month:
    today = datetime.now(CITY_TZ).date()
    index = today.year * 12 + today.month - 1 - count
    return index // 12, index % 12 + 1


def text(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def first_day(month: Month, back: int = 0) -> date:
    index = month[0] * 12 + month[1] - 1 - back
    return date(index // 12, index % 12 + 1, 1)


async def past_event(organisation: Organisation, venue: Any, month: Month, day: int = 15) -> Event:
    """A published event moved into a past month (the services refuse to create one there)."""
    event = await factories.published_event(organisation, venue)
    start = datetime(month[0], month[1], day, 10, tzinfo=CITY_TZ)
    await Event.update(
        {Event.starts_at: start, Event.ends_at: start + timedelta(hours=2), Event.status: "completed"}
    ).where(Event.id == event.id)
    return event


async def attend(event: Event, user: User, party_size: int = 1, status: str = "attended") -> None:
    moment = datetime.now(UTC)
    await Registration(
        event=event.id,
        user=user.id,
        party_size=party_size,
        status=status,
        queue_number=next(_queue),
        created_at=moment,
        confirmed_at=moment,
        checked_in_at=moment if status == "attended" else None,
    ).save()


async def person(
    birth_year: int | None = None, group: str | None = None, arrival: date | None = None, profile: bool = True
) -> User:
    user = await factories.resident()
    if birth_year is not None:
        await User.update({User.birth_year: birth_year}).where(User.id == user.id)
    if profile:
        now = datetime.now(UTC)
        await ResidentProfile(
            user=user.id, resident_group=group, arrival_month=arrival, consented_at=now, created_at=now, updated_at=now
        ).save()
    return user


@pytest.fixture
async def story(client: Client) -> dict[str, Any]:
    """What happened, in two past months, in community A (street A) and community B (street B)."""
    tree = await factories.city_tree()
    m1, m2 = months_ago(2), months_ago(1)
    young, old = m1[0] - 25, m1[0] - 60
    venue_a = await factories.venue(tree["community_a"], tree["community_a"])
    venue_b = await factories.venue(tree["community_b"], tree["community_b"], lat=31.32, lng=120.72)
    nowhere = await factories.venue(tree["street_a"], None, lat=31.30, lng=120.63)
    e1 = await past_event(tree["street_a"], venue_a, m1)
    e2 = await past_event(tree["street_a"], venue_a, m2, day=10)
    e3 = await past_event(tree["street_a"], venue_a, m2, day=20)
    # Five new residents, arrived 0–4 months before month 1, first come in month 1 and return in month 2.
    newcomers = [await person(young, "new_resident", first_day(m1, back)) for back in range(5)]
    local = await person(old, "long_term_local")
    for newcomer in newcomers:
        await attend(e1, newcomer)
    await attend(e1, local)
    await attend(e2, newcomers[0], party_size=3)
    for newcomer in newcomers[1:]:
        await attend(e2, newcomer)
    await attend(e2, local)
    # Month 2 also brings a sixth new resident (no arrival month, no birth year) and two foreigners.
    sixth = await person(None, "new_resident")
    foreigners = [await person(m2[0] - 30, "foreign_resident", first_day(m2, 1)) for _ in range(2)]
    for someone in (sixth, *foreigners):
        await attend(e2, someone)
    await attend(e3, foreigners[0])
    # Not counted: a place never checked in, and an event at a venue outside any community.
    await attend(e3, local, status="confirmed")
    await attend(await past_event(tree["street_a"], nowhere, m2), newcomers[1])
    # Community B: three people in month 2, one of them without a profile.
    e_b = await past_event(tree["street_b"], venue_b, m2)
    for someone in (
        await person(young, "migrant_worker"),
        await person(young, "foreign_resident"),
        await person(profile=False),
    ):
        await attend(e_b, someone)
    event_days = [(date(m1[0], m1[1], 15) - first_day(m1, back)).days for back in range(5)]
    return {"tree": tree, "m1": m1, "m2": m2, "median_m1": float(statistics.median(event_days))}


async def report(client: Client, user: User, scope: Organisation, **params: str) -> httpx.Response:
    return await client.get(STATS, params={"community_id": str(scope.id), **params}, headers=factories.token_for(user))


def rows_by(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(row["community_name"], row["month"]): row for row in body["rows"]}


async def test_statistics_match_what_happened(client: Client, story: dict[str, Any]) -> None:
    tree, m1, m2 = story["tree"], text(story["m1"]), text(story["m2"])
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    response = await report(client, organiser, tree["street_a"], **{"from": m1, "to": m2})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["scope_kind"], body["months"], body["min_cell_size"]) == ("street", [m1, m2], 5)
    rows = rows_by(body)
    assert set(rows) == {("南园社区", m1), ("南园社区", m2)}

    first = rows[("南园社区", m1)]
    assert (first["participants"], first["attendances"], first["people"]) == (6, 6, 6)
    assert first["repeat_participants"] is None  # nobody had come before month 1
    assert first["youth_share"] == round(5 / 6, 3)
    assert first["groups"]["new_resident"] == round(5 / 6, 3)
    assert first["groups"]["long_term_local"] is None
    assert first["new_residents_days_to_first"] == story["median_m1"]
    assert set(first["suppressed"]) == {
        "repeat_participants",
        "group:long_term_local",
        "group:relocated_villager",
        "group:migrant_worker",
        "group:foreign_resident",
        "group:undeclared",
    }

    second = rows[("南园社区", m2)]
    assert (second["participants"], second["attendances"], second["people"]) == (9, 10, 12)
    assert second["repeat_participants"] == 7  # the five newcomers and the local came back; one foreigner came twice
    assert second["youth_share"] == round(7 / 8, 3)  # the sixth newcomer has no birth year
    assert second["groups"]["new_resident"] == round(6 / 9, 3)
    assert second["groups"]["foreign_resident"] is None and "group:foreign_resident" in second["suppressed"]
    assert second["new_residents_days_to_first"] is None  # two foreigners' first time: too few
    assert "new_residents_days_to_first" in second["suppressed"]
    assert "participants" not in second["suppressed"]


async def test_history_before_the_range_still_makes_a_repeat_participant(client: Client, story: dict[str, Any]) -> None:
    admin = await factories.staff(Role.admin, story["tree"]["city"])
    only_m2 = text(story["m2"])
    body = (await report(client, admin, story["tree"]["community_a"], **{"from": only_m2, "to": only_m2})).json()
    assert [(row["month"], row["repeat_participants"]) for row in body["rows"]] == [(only_m2, 7)]


async def test_a_small_community_is_suppressed_shares_included(client: Client, story: dict[str, Any]) -> None:
    admin = await factories.staff(Role.admin, story["tree"]["city"])
    body = (
        await report(client, admin, story["tree"]["city"], **{"from": text(story["m1"]), "to": text(story["m2"])})
    ).json()
    rows = rows_by(body)
    assert {name for name, _month in rows} == {"南园社区", "莲花社区"}
    small = rows[("莲花社区", text(story["m2"]))]
    for cell in (
        "participants",
        "attendances",
        "people",
        "repeat_participants",
        "youth_share",
        "new_residents_days_to_first",
    ):
        assert small[cell] is None and cell in small["suppressed"], cell
    assert all(share is None for share in small["groups"].values())
    assert {f"group:{group}" for group in small["groups"]} <= set(small["suppressed"])
    assert rows[("南园社区", text(story["m2"]))]["participants"] == 9


async def test_a_lone_hidden_group_takes_the_next_smallest_with_it(client: Client) -> None:
    tree = await factories.city_tree()
    month = months_ago(1)
    event = await past_event(tree["street_a"], await factories.venue(tree["community_a"], tree["community_a"]), month)
    groups = ["long_term_local"] * 5 + ["new_resident"] * 5 + ["relocated_villager"] * 5 + ["migrant_worker"] * 5
    groups += [None] * 5 + ["foreign_resident"] * 2
    for group in groups:
        await attend(event, await person(month[0] - 40, group))
    admin = await factories.staff(Role.admin, tree["city"])
    (row,) = (await report(client, admin, tree["community_a"], **{"from": text(month), "to": text(month)})).json()[
        "rows"
    ]
    assert row["participants"] == 27
    assert row["groups"]["foreign_resident"] is None
    # Otherwise 1 minus the five shown shares would give the two foreigners away.
    assert sum(share is None for share in row["groups"].values()) == 2
    assert row["youth_share"] is None  # nobody aged 14–35: a numerator under 5


async def test_scope_decides_who_sees_what(client: Client, story: dict[str, Any]) -> None:
    tree = story["tree"]
    organiser_b = await factories.staff(Role.organiser, tree["street_b"])
    assert (await report(client, organiser_b, tree["community_a"])).status_code == 403
    assert (await report(client, organiser_b, tree["city"])).status_code == 403
    rows = (await report(client, organiser_b, tree["street_b"])).json()["rows"]
    assert {row["community_name"] for row in rows} == {"莲花社区"} and len(rows) == 6  # the default: six months
    resident = await person()
    assert (await report(client, resident, tree["community_a"])).json()["code"] == "forbidden"
    coordinator = await factories.staff(Role.coordinator, tree["city"])
    assert (await report(client, coordinator, tree["community_a"])).status_code == 403
    assert (await client.get(STATS, params={"community_id": str(tree["community_a"].id)})).status_code == 401
    admin = await factories.staff(Role.admin, tree["city"])
    assert (await report(client, admin, tree["library_a"])).json()["code"] == "stats_scope_invalid"
    unknown = await client.get(STATS, params={"community_id": str(uuid.uuid4())}, headers=factories.token_for(admin))
    assert unknown.status_code == 403  # an id that does not exist answers like one that is not yours


async def test_bad_ranges_are_refused(client: Client, story: dict[str, Any]) -> None:
    admin = await factories.staff(Role.admin, story["tree"]["city"])
    scope = story["tree"]["city"]
    assert (await report(client, admin, scope, **{"from": "2026-13"})).status_code == 422
    assert (await report(client, admin, scope, **{"from": "0000-01", "to": "0000-02"})).status_code == 422
    assert (await report(client, admin, scope, **{"from": "2026-05", "to": "2026-04"})).json()[
        "code"
    ] == "stats_range_invalid"
    too_long = await report(client, admin, scope, **{"from": "2024-01", "to": "2026-01"})
    assert (too_long.status_code, too_long.json()["code"]) == (422, "stats_range_too_long")
    assert (await report(client, admin, scope, **{"from": "2024-02", "to": "2026-01"})).status_code == 200
    assert (await client.get(STATS, params={"community_id": "x"}, headers=factories.token_for(admin))).status_code in (
        400,
        422,
    )


def test_the_default_range_is_the_last_six_months() -> None:
    assert month_range(None, None, date(2026, 3, 9)) == [
        (2025, 10),
        (2025, 11),
        (2025, 12),
        (2026, 1),
        (2026, 2),
        (2026, 3),
    ]
    assert month_range("2025-12", "2026-01") == [(2025, 12), (2026, 1)]


async def test_the_csv_is_excel_ready_localised_and_suppressed(client: Client, story: dict[str, Any]) -> None:
    tree = story["tree"]
    await factories.organisation(OrganisationKind.community, tree["street_b"], '=HYPERLINK("http://x")')
    admin = await factories.staff(Role.admin, tree["city"])
    span = {"from": text(story["m1"]), "to": text(story["m2"]), "format": "csv"}
    response = await report(client, admin, tree["city"], lang="en", **span)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:7] == [
        "Community",
        "Month",
        "Participants",
        "Attendances",
        "People",
        "Repeat participants",
        "Share aged 14–35",
    ]
    assert table[0][-1] == "Median days from arrival to first event"
    rows = {(line[0], line[1]): line for line in table[1:]}
    assert rows[("南园社区", text(story["m2"]))][2:6] == ["9", "10", "12", "7"]
    assert rows[("莲花社区", text(story["m2"]))][2] == "<5"
    assert ('\'=HYPERLINK("http://x")', text(story["m1"])) in rows
    chinese = await report(client, admin, tree["city"], lang="zh-Hans", **span)
    assert chinese.content.decode("utf-8-sig").splitlines()[0].split(",")[:2] == ["社区", "月份"]
