"""What the meetings tests share: a community with two estates of residents (three each, on
WeChat so that the text check applies), its property company and police station, a venue, and
the steps of a meeting over HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.services import _upsert_wechat_user
from backend.accounts.tables import OrganisationKind, Role, User
from backend.core.tables import AuditEntry
from backend.events.catalogue.tables import Event
from tests import factories

Client = httpx.AsyncClient
V1 = "/api/v1"
EN = {"Accept-Language": "en"}
QUESTION = {"zh-Hans": "南园部分小区出现群租，如何整治？", "en": "Group renting in Nanyuan: what should be done?"}


def auth(user: User, **extra: str) -> dict[str, str]:
    return {**factories.token_for(user), **extra}


async def wechat_resident(openid: str, name: str) -> User:
    user, _ = await _upsert_wechat_user(openid=openid, unionid=None, session_key=None, display_name=name)
    await factories.signed_in(user)
    return user


async def lives_in(client: Client, user: User, estate_id: Any) -> None:
    answer = await client.put(
        f"{V1}/me/residence", json={"estate_id": str(estate_id), "consent": True}, headers=auth(user)
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture
async def world(client: Client) -> dict[str, Any]:
    tree = await factories.city_tree()
    community = tree["community_a"]
    company = await factories.organisation(OrganisationKind.property_company, community, "南园物业")
    police = await factories.organisation(OrganisationKind.police_station, tree["street_a"], "双塔派出所")
    other_company = await factories.organisation(OrganisationKind.property_company, tree["community_b"], "别处物业")
    north = await factories.estate(community, kind="commercial")
    south = await factories.estate(community, kind="resettlement")
    elsewhere = await factories.estate(tree["community_b"])
    venue = await factories.venue(community, community)
    residents = [await wechat_resident(f"o_north_{i}", f"北{i}") for i in range(3)]
    residents += [await wechat_resident(f"o_south_{i}", f"南{i}") for i in range(3)]
    for i, resident in enumerate(residents):
        await lives_in(client, resident, north if i < 3 else south)
    return {
        "tree": tree,
        "community": community,
        "company": company,
        "police": police,
        "other_company": other_company,
        "north": north,
        "south": south,
        "elsewhere": elsewhere,
        "venue": venue,
        "convenor": await factories.staff(Role.organiser, community),
        "company_staff": await factories.staff(Role.organiser, company),
        "police_staff": await factories.staff(Role.organiser, police),
        "residents": residents,
    }


def meeting_body(
    world: dict[str, Any], *, starts_in: timedelta = timedelta(days=3), **overrides: Any
) -> dict[str, Any]:
    start = datetime.now(UTC).replace(microsecond=0) + starts_in
    return {
        "community_id": str(world["community"].id),
        "kind": "consultation",
        "title": {"zh-Hans": "群租整治民情恳谈会", "en": "Group renting: a consultation"},
        "question": QUESTION,
        "venue_id": str(world["venue"].id),
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": 40,
        "agenda": [
            {"title": {"zh-Hans": "群租现状", "en": "Group renting today"}},
            {"title": {"zh-Hans": "整治措施", "en": "What to do"}},
        ],
        "parties": [str(world["company"].id), str(world["police"].id)],
        "audience": {"kind": "estates", "ids": [str(world["north"]), str(world["south"])]},
        **overrides,
    }


async def convened(client: Client, world: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    created = await client.post(
        f"{V1}/meetings", json=meeting_body(world, **overrides), headers=auth(world["convenor"], **EN)
    )
    assert created.status_code == 201, created.text
    announced = await client.post(
        f"{V1}/meetings/{created.json()['id']}/announce", headers=auth(world["convenor"], **EN)
    )
    assert announced.status_code == 200, announced.text
    return announced.json()


async def submit(
    client: Client, user: User, meeting: dict[str, Any], text: str, item: int = 0, **extra: Any
) -> httpx.Response:
    body = {"item_id": meeting["agenda"][item]["id"], "text": text, **extra}
    return await client.post(f"{V1}/meetings/{meeting['id']}/submissions", json=body, headers=auth(user, **EN))


async def moderate(
    client: Client, world: dict[str, Any], submission_id: str, status: str, reason: str = ""
) -> httpx.Response:
    return await client.patch(
        f"{V1}/meeting-submissions/{submission_id}",
        json={"status": status, "reason": reason},
        headers=auth(world["convenor"], **EN),
    )


async def check_in_everyone(client: Client, world: dict[str, Any], meeting: dict[str, Any], people: list[User]) -> None:
    for person in people:
        signed = await client.post(f"{V1}/events/{meeting['event_id']}/registrations", json={}, headers=auth(person))
        assert signed.status_code == 201, signed.text
        ticket = await client.get(f"{V1}/registrations/{signed.json()['id']}/ticket", headers=auth(person))
        scanned = await client.post(
            f"{V1}/events/{meeting['event_id']}/check-ins",
            json={"ticket": ticket.json()["ticket"]},
            headers=auth(world["convenor"]),
        )
        assert scanned.status_code == 200, scanned.text


async def begin(meeting: dict[str, Any]) -> None:
    """The meeting has begun (its event's start moved a minute into the past)."""
    now = datetime.now(UTC)
    await Event.update({Event.starts_at: now - timedelta(minutes=1), Event.ends_at: now + timedelta(hours=2)}).where(
        Event.id == meeting["event_id"]
    )


def minutes_body(world: dict[str, Any], meeting: dict[str, Any], due: date) -> dict[str, Any]:
    return {
        "minutes": {
            "zh-Hans": "与会居民和各方就群租整治达成共识。",
            "en": "Residents and parties agreed on group renting.",
        },
        "decisions": [
            {
                "item_id": meeting["agenda"][1]["id"],
                "text": {"zh-Hans": "联合排查群租房", "en": "Inspect group-rented flats together"},
                "actions": [
                    {
                        "owner_id": str(world["police"].id),
                        "title": {"zh-Hans": "上门排查", "en": "Door-to-door checks"},
                        "due_on": due.isoformat(),
                    },
                    {
                        "owner_id": str(world["company"].id),
                        "title": {"zh-Hans": "门禁登记", "en": "Register gate cards"},
                        "due_on": due.isoformat(),
                    },
                ],
            }
        ],
    }


async def audited(action: str) -> list[dict[str, Any]]:
    return await AuditEntry.select().where(AuditEntry.action == action).output(load_json=True)
