"""Meetings over HTTP, on both databases: convening on an event, residents' submissions (the text
check, the audience, the limit, moderation), the door, minutes with decisions and actions, action
updates by the owner's staff with the submitters told, and the public board."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.accounts.services import _upsert_wechat_user
from backend.accounts.tables import OrganisationKind, Role, User
from backend.core.tables import AuditEntry
from backend.events.catalogue.tables import Event
from backend.governance.meetings.tables import Attendance, Submission
from backend.notifications.tables import Notice
from tests import factories
from tests.fakes.wechat import FakeWechat

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


# --- the check, end to end --------------------------------------------------------------------


async def test_a_consultation_from_convening_to_the_board(
    client: Client, world: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    fake_wechat.risky_words = {"违禁"}
    meeting = await convened(client, world, starts_in=timedelta(minutes=30))
    assert meeting["kind_name"] == "Consultation meeting" and meeting["status"] == "open"
    assert [p["name"] for p in meeting["parties"]] == ["南园物业", "双塔派出所"]
    [convened_entry] = await audited("governance.meeting_convened")
    assert convened_entry["permission"] == "manage_events"

    north, south = world["residents"][0], world["residents"][3]
    refused = await submit(client, north, meeting, "这里有违禁内容")
    assert (refused.status_code, refused.json()["code"]) == (422, "text_refused")
    assert refused.json()["detail"] == "This text cannot be sent. Please put your opinion in other words."
    assert await Submission.count() == 0
    said_north = await submit(client, north, meeting, "建议物业加强门禁登记", item=1, named=True)
    said_south = await submit(client, south, meeting, "群租房噪音扰民", item=1)
    assert said_north.status_code == 201 and said_south.status_code == 201, (said_north.text, said_south.text)
    assert said_north.json()["status"] == "pending"

    # Nothing is public until a convenor accepts it.
    public = (await client.get(f"{V1}/meetings/{meeting['id']}")).json()
    assert public["agenda"][1]["submissions"] == []
    queue = (await client.get(f"{V1}/meetings/{meeting['id']}/submissions", headers=auth(world["convenor"]))).json()
    assert sorted(s["author"] for s in queue) == ["北*", "南*"]
    for said in (said_north, said_south):
        assert (await moderate(client, world, said.json()["id"], "accepted")).status_code == 200
    public = (await client.get(f"{V1}/meetings/{meeting['id']}")).json()
    shown = {s["text"]: s["author"] for s in public["agenda"][1]["submissions"]}
    assert shown == {"建议物业加强门禁登记": "北0", "群租房噪音扰民": None}

    # Held through the door: the attendance is the meeting's.
    await check_in_everyone(client, world, meeting, [world["residents"][1]])
    assert await Attendance.count().where(Attendance.meeting == meeting["id"]) == 1

    await begin(meeting)
    overdue_day = date.today() - timedelta(days=1)
    published = await client.post(
        f"{V1}/meetings/{meeting['id']}/minutes",
        json=minutes_body(world, meeting, date.today() + timedelta(days=30)),
        headers=auth(world["convenor"], **EN),
    )
    assert published.status_code == 201, published.text
    decision = published.json()["decisions"][0]
    police_action, company_action = sorted(decision["actions"], key=lambda a: a["owner"]["name"] != "双塔派出所")
    told = {n["recipient"] for n in await Notice.select().where(Notice.kind == "minutes_published")}
    assert told == {north.id, south.id, world["residents"][1].id}

    # The owner's staff move their action; the submitters on its item are told.
    update = await client.post(
        f"{V1}/meeting-actions/{company_action['id']}/updates",
        json={"status": "done", "note": {"zh-Hans": "已完成门禁登记", "en": "Gate cards registered"}},
        headers=auth(world["company_staff"], **EN),
    )
    assert update.status_code == 201, update.text
    assert update.json()["status"] == "done" and update.json()["updates"][0]["note"] == "Gate cards registered"
    changed = await Notice.select().where(Notice.kind == "action_changed").output(load_json=True)
    assert {n["recipient"] for n in changed} == {north.id, south.id, world["residents"][1].id}
    inbox = (await client.get(f"{V1}/me/notifications", headers=auth(north, **EN))).json()["items"]
    assert any(n["kind"] == "action_changed" and "done" in n["body"] for n in inbox), inbox
    [entry] = await audited("governance.action_updated")
    assert entry["permission"] == "responsible_party" and entry["organisation"] == world["company"].id

    # The police action is made overdue; the anonymous board says so, in the reader's language.
    from backend.governance.meetings.tables import Action

    await Action.update({Action.due_on: overdue_day}).where(Action.id == police_action["id"])
    board = await client.get(f"{V1}/communities/{world['community'].id}/board", headers=EN)
    assert board.status_code == 200, board.text
    answer = board.json()
    assert answer["totals"] == {"decisions": 1, "actions": 2, "done": 1, "in_progress": 0, "overdue": 1}
    [shown_meeting] = answer["meetings"]
    assert shown_meeting["title"] == "Group renting: a consultation" and shown_meeting["said"] == 2
    assert [o["action"]["title"] for o in answer["overdue"]] == ["Door-to-door checks"]
    # Three took part from one estate kind and one from the other: every cell is under five.
    assert all(cell["people"] is None for cell in shown_meeting["participation_by_estate_kind"])
    for name in ("北1", "北2", "南1", "南2"):
        assert name not in board.text
    zh = (
        await client.get(f"{V1}/communities/{world['community'].id}/board", headers={"Accept-Language": "zh-Hans"})
    ).json()
    assert zh["meetings"][0]["title"] == "群租整治民情恳谈会"
