"""Meetings over HTTP, on both databases: the issue's check end to end — convene a consultation,
residents of two estates submit (one refused by the text check), moderation, the door, minutes
with actions, an action done and the submitters told, and the board read anonymously."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from backend.governance.meetings.tables import Action, Attendance, Submission
from backend.notifications.tables import Notice
from tests.fakes.wechat import FakeWechat
from tests.governance.meetings_world import (
    EN,
    V1,
    Client,
    audited,
    auth,
    begin,
    check_in_everyone,
    convened,
    minutes_body,
    moderate,
    submit,
    world,
)

__all__ = ["world"]


# --- the check, end to end --------------------------------------------------------------------


async def test_a_consultation_from_convening_to_the_board(
    client: Client, world: dict[str, Any], fake_wechat: FakeWechat
) -> None:
    fake_wechat.risky_words = {"违禁"}
    meeting = await convened(client, world, starts_in=timedelta(minutes=30))
    assert meeting["kind_name"] == "Consultation meeting" and meeting["status"] == "open"
    assert [p["name"] for p in meeting["parties"]] == ["南园物业", "双塔派出所"]
    [convened_entry] = await audited("events.event_created")
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
    # A meeting is an event: attending earns inclusion's attendance points (its community's rules).
    points = await client.get(f"{V1}/me/points", headers=auth(world["residents"][1]))
    assert points.json()["balance"] > 0

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
