"""The console's home over HTTP (both databases): each role sees the cards of its own work and not
the others', the numbers counted in its own scope (another community's work is not counted), and
a staff member with none of these rooms a calm empty state."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.tables import Role
from backend.core import clock
from backend.core.i18n import CITY_TZ
from backend.events.catalogue.tables import Event
from backend.events.registrations.tables import Registration, RegistrationStatus
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointReason
from backend.volunteers.hours.tables import HoursEntry
from tests import factories
from tests.volunteers import builders
from tests.web.console import sign_in

Client = httpx.AsyncClient


async def today_event(organisation: Any, venue_: Any, *, seats: int, arrived: list[int]) -> Any:
    """A published event moved to today in the city, with ``seats`` taken and parties checked in."""
    event = await factories.published_event(organisation, venue_)
    start = datetime.combine(clock.city_today(), time(0, 1), tzinfo=CITY_TZ)
    await Event.update(
        {Event.starts_at: start, Event.ends_at: start + timedelta(hours=23), Event.seats_taken: seats}
    ).where(Event.id == event.id)
    for size in arrived:
        person = await factories.resident()
        await Registration(
            event=event.id,
            user=person.id,
            party_size=size,
            status=RegistrationStatus.attended.value,
            queue_number=1,
            created_at=clock.now(),
            checked_in_at=clock.now(),
        ).save()
    return event


async def claim(client: Client, team: Any, person: Any) -> None:
    answer = await client.post(
        f"/api/v1/teams/{team.id}/hours",
        json={"minutes": 90, "service_date": str(clock.city_today() - timedelta(days=1)), "reason": "社区活动帮忙"},
        headers=factories.token_for(person),
    )
    assert answer.status_code == 201, answer.text


async def reserve(client: Client, reward_id: str) -> None:
    resident = await factories.resident()
    await ledger.append(user_id=resident.id, points=300, reason=PointReason.adjustment, source_key=f"t:{uuid.uuid4()}")
    answer = await client.post(f"/api/v1/rewards/{reward_id}/redemptions", headers=factories.token_for(resident))
    assert answer.status_code == 201, answer.text


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    return await build_world(client)


async def build_world(client: Client) -> dict[str, Any]:
    """Today's work in community A (and some in B that A's staff must not count)."""
    tree = await factories.city_tree()
    a, b = tree["community_a"], tree["community_b"]
    venue_a, venue_b = await factories.venue(a), await factories.venue(b)
    await today_event(a, venue_a, seats=12, arrived=[2, 3])
    await today_event(a, venue_a, seats=4, arrived=[1])
    await today_event(b, venue_b, seats=30, arrived=[5])  # another community's
    await factories.published_event(a, venue_a)  # in three days: not today

    team = await builders.team(a, name="南园巡逻队")
    other = await builders.team(b, name="莲花志愿队")
    await builders.shift(team, starts_at=clock.now() - timedelta(minutes=30), minutes=120)  # under way
    await builders.shift(team)  # tomorrow
    await builders.shift(other, starts_at=clock.now() - timedelta(minutes=30), minutes=120)
    for name, where in (("小林", team), ("王阿姨", team), ("外队员", other)):
        person = await factories.resident(name)
        await builders.member(where, person)
        await claim(client, where, person)

    reporter = await factories.resident("王小明")
    for community in (a, a, b):
        made = await client.post(
            "/api/v1/incidents",
            json={"community_id": str(community.id), "kind": "group_renting", "text": "5号楼302室疑似群租"},
            headers=factories.token_for(reporter),
        )
        assert made.status_code == 201, made.text

    admin_a = await factories.staff(Role.admin, a)
    body = {"community_id": str(a.id), "name": {"zh-Hans": "环保购物袋"}, "points_cost": 100, "stock": 5}
    reward = await client.post("/api/v1/rewards", json=body, headers=factories.token_for(admin_a))
    assert reward.status_code == 201, reward.text
    for _ in range(3):
        await reserve(client, reward.json()["id"])
    return {
        "tree": tree,
        "organiser": await factories.staff(Role.organiser, a),
        "coordinator": await factories.staff(Role.coordinator, a),
        "admin": admin_a,
        "grid_worker": await factories.staff(Role.grid_worker, tree["street_a"]),
    }


def cards(html: str) -> dict[str, str]:
    """Each card's key and its number, as the page shows them."""
    found = re.findall(r'data-card="(\w+)">\s*<p class="home-count"><span class="home-number">([^<]*)</span>', html)
    return dict(found)


async def home(client: Client, user: Any, lang: str = "zh-Hans") -> str:
    client.cookies.clear()
    await sign_in(client, user)
    answer = await client.get(f"/console?lang={lang}")
    assert answer.status_code == 200, answer.text
    return answer.text


async def test_an_organiser_sees_todays_events_with_arrivals_and_seats(client: Client, world: dict[str, Any]) -> None:
    html = await home(client, world["organiser"])
    # staff of a community are its residents' committee: the reports room opens to them too
    assert cards(html) == {"events": "2", "reports": "0"}
    assert "已到 6 人，已订 16 座" in html
    assert 'href="/console/events"' in html


async def test_a_coordinator_sees_shifts_hours_and_reports(client: Client, world: dict[str, Any]) -> None:
    html = await home(client, world["coordinator"])
    assert cards(html) == {"shifts": "1", "hours": "2", "reports": "2"}
    for href in ("/console/volunteers/shifts", "/console/volunteers", "/console/reports"):
        assert f'href="{href}"' in html
    # read back as the API's lists count them
    pending = await HoursEntry.count().where(HoursEntry.status == "pending")
    assert pending == 3  # two of them in the coordinator's team


async def test_an_administrator_sees_every_card_of_their_community(client: Client, world: dict[str, Any]) -> None:
    html = await home(client, world["admin"], lang="en")
    assert cards(html) == {"events": "2", "shifts": "1", "hours": "2", "reports": "2", "pickups": "3"}
    assert "pickups not yet collected" in html and "6 arrived of 16 seats taken" in html


async def test_a_role_with_none_of_these_sees_a_calm_empty_state(client: Client, world: dict[str, Any]) -> None:
    html = await home(client, world["grid_worker"])
    assert cards(html) == {}
    assert "今天没有等您处理的事" in html


async def test_nothing_waiting_is_a_zero_not_an_error(client: Client) -> None:
    tree = await factories.city_tree()
    html = await home(client, await factories.staff(Role.admin, tree["community_b"]), lang="ja")
    assert cards(html) == {"events": "0", "shifts": "0", "hours": "0", "reports": "0", "pickups": "0"}


async def test_signed_out_goes_to_login(client: Client) -> None:
    answer = await client.get("/console")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/console/login")
