"""Issue 7 as it will be checked, through the API: a new resident attends and volunteers and sees
each award arrive once; the last reward goes to one of several residents redeeming at once; an
organiser's statistics match what happened; the resident's export holds all of it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from backend.accounts.tables import Role
from backend.core import signals
from backend.core.i18n import CITY_TZ
from backend.events.catalogue.tables import Event
from backend.volunteers.hours.tables import HoursEntry
from tests import factories
from tests.volunteers import builders

Client = httpx.AsyncClient


def as_(user: Any) -> dict[str, str]:
    return factories.token_for(user)


async def sign_up(client: Client, event_id: Any, resident: Any) -> str:
    signed = await client.post(f"/api/v1/events/{event_id}/registrations", json={}, headers=as_(resident))
    assert signed.status_code == 201, signed.text
    return signed.json()["id"]


async def attend(client: Client, event_id: Any, organiser: Any, resident: Any, registration_id: str) -> None:
    ticket = (await client.get(f"/api/v1/registrations/{registration_id}/ticket", headers=as_(resident))).json()[
        "ticket"
    ]
    for _ in range(2):  # the door scans twice: one attendance, one award
        scanned = await client.post(
            f"/api/v1/events/{event_id}/check-ins", json={"ticket": ticket}, headers=as_(organiser)
        )
        assert scanned.status_code == 200, scanned.text


async def test_a_new_resident_earns_once_redeems_the_last_item_and_the_statistics_match(client: Client) -> None:
    tree = await factories.city_tree()
    community = tree["community_a"]
    venue = await factories.venue(community, community)
    organiser = await factories.staff(Role.organiser, tree["street_a"])
    admin = await factories.staff(Role.admin, community)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    event = await factories.published_event(
        tree["street_a"], venue, starts_at=start.isoformat(), ends_at=(start + timedelta(hours=2)).isoformat()
    )

    newcomer = await factories.resident("newcomer")
    this_month = datetime.now(CITY_TZ).strftime("%Y-%m")
    assert (
        await client.patch("/api/v1/me", json={"birth_year": datetime.now(UTC).year - 25}, headers=as_(newcomer))
    ).status_code == 200
    profile = await client.put(
        "/api/v1/me/resident-profile",
        json={
            "consent": True,
            "community_id": str(community.id),
            "resident_group": "new_resident",
            "arrival_month": this_month,
            "languages": ["en"],
            "leaderboard_opt_in": True,
        },
        headers=as_(newcomer),
    )
    assert profile.status_code in (200, 201), profile.text
    neighbours = [await factories.resident(f"neighbour-{i}") for i in range(5)]
    places = {resident.id: await sign_up(client, event.id, resident) for resident in [newcomer, *neighbours]}
    # Time passes: the event began half an hour ago and the door is open.
    await Event.update({Event.starts_at: start - timedelta(minutes=35)}).where(Event.id == event.id)
    for resident in [newcomer, *neighbours]:
        await attend(client, event.id, organiser, resident, places[resident.id])

    # Attending: attendance 10 + first event 20 + first within 90 days of arrival 30 + youth 5.
    earned = (await client.get("/api/v1/me/points?lang=en", headers=as_(newcomer))).json()
    assert sorted(e["reason"] for e in earned["entries"]) == [
        "attendance",
        "first_event",
        "first_event_after_arrival",
        "youth_bonus",
    ]
    assert earned["balance"] == 65

    # Volunteering: two verified hours, verified twice at once: 5 points per hour, once.
    team = await builders.team(community)
    coordinator = await factories.resident("coordinator")
    await builders.coordinator(team, coordinator)
    await builders.member(team, newcomer)
    claim = await client.post(
        f"/api/v1/teams/{team.id}/hours",
        json={
            "minutes": 120,
            "service_date": datetime.now(CITY_TZ).date().isoformat(),
            "content": "帮忙布置活动场地",
            "reason": "活动志愿服务",
        },
        headers=as_(newcomer),
    )
    assert claim.status_code == 201, claim.text
    verify = [client.post(f"/api/v1/hours/{claim.json()['id']}/verify", headers=as_(coordinator)) for _ in range(3)]
    assert {r.status_code for r in await asyncio.gather(*verify)} == {200}
    assert await signals.sweep(older_than_seconds=0) == 0
    earned = (await client.get("/api/v1/me/points", headers=as_(newcomer))).json()
    assert [e["reason"] for e in earned["entries"]].count("volunteer_hours") == 1
    assert earned["balance"] == 75

    # The last item: the newcomer and four neighbours (topped up through the same award path) race for it.
    reward = await client.post(
        "/api/v1/rewards",
        json={
            "community_id": str(community.id),
            "name": {"zh-Hans": "图书馆帆布袋", "en": "Library tote"},
            "points_cost": 30,
            "stock": 1,
        },
        headers=as_(admin),
    )
    assert reward.status_code == 201, reward.text
    racers = [newcomer, *neighbours[:4]]
    answers = await asyncio.gather(
        *(client.post(f"/api/v1/rewards/{reward.json()['id']}/redemptions", headers=as_(r)) for r in racers)
    )
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"reward_out_of_stock"}
    shelf = (await client.get(f"/api/v1/rewards/{reward.json()['id']}")).json()
    assert shelf["stock"] == 0
    balances = [(await client.get("/api/v1/me/points", headers=as_(r))).json()["balance"] for r in racers]
    winner = next(i for i, a in enumerate(answers) if a.status_code == 201)
    assert balances[winner] == (75 if winner == 0 else 30) - 30
    assert all(b >= 0 for b in balances)

    # The organiser's statistics: six people attended this month in this community.
    stats = await client.get(
        f"/api/v1/stats/participation?community_id={community.id}&from={this_month}&to={this_month}",
        headers=as_(organiser),
    )
    assert stats.status_code == 200, stats.text
    row = next(r for r in stats.json()["rows"] if r["community_id"] == str(community.id))
    assert (row["participants"], row["attendances"]) == (6, 6)

    export = (await client.get("/api/v1/me/export", headers=as_(newcomer))).json()["domains"]
    assert export["inclusion"]["resident_profile"]["resident_group"] == "new_resident"
    assert sum(p["points"] for p in export["inclusion"]["points"]) == balances[0]
    assert [h["minutes"] for h in export["volunteers"]["hours"]] == [120]
    assert len(export["events"]["registrations"]) == 1
    assert await HoursEntry.count().where(HoursEntry.user == newcomer.id) == 1
