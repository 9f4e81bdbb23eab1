"""The demo's consultation on group renting in 南园, read on the public board as an anonymous
visitor: opinions from two estates, minutes, one action done and one overdue; seeding again adds
nothing."""

from __future__ import annotations

import httpx

from backend.core.wiring import seed_demo
from backend.domains import DOMAINS
from backend.governance.meetings.tables import Meeting
from backend.settings import Settings


async def test_the_demo_board_says_what_was_done_and_what_is_overdue(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    summary = await seed_demo(DOMAINS, keys=settings.sealing_keys)
    assert "demo meetings: a 民情恳谈会 on group renting in 南园" in summary
    meeting = await Meeting.objects().first()
    board = await client.get(f"/api/v1/communities/{meeting.community}/board", headers={"Accept-Language": "en"})
    assert board.status_code == 200, board.text
    answer = board.json()
    assert answer["totals"] == {"decisions": 1, "actions": 2, "done": 1, "in_progress": 1, "overdue": 1}
    [shown] = answer["meetings"]
    assert shown["kind_name"] == "Consultation meeting" and shown["said"] == 7
    assert [o["action"]["owner"]["kind"] for o in answer["overdue"]] == ["police_station"]
    kinds = {c["group"]: c["people"] for c in shown["participation_by_estate_kind"]}
    assert kinds == {"commercial": 5, "resettlement": None}  # two from the resettlement estate: suppressed
    detail = (await client.get(f"/api/v1/meetings/{meeting.id}", headers={"Accept-Language": "zh-Hans"})).json()
    authors = [s["author"] for item in detail["agenda"] for s in item["submissions"]]
    assert sorted(a for a in authors if a) == ["小吴", "小林", "陈先生"] and authors.count(None) == 4

    again = await seed_demo(DOMAINS, keys=settings.sealing_keys)
    assert "demo meetings: already there, none added" in again
    assert await Meeting.count() == 1
