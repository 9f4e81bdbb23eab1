"""The public board (居务公开) in a real browser, on a phone and a desktop, in Chinese and Japanese:
a concluded consultation with one action done and one overdue, photographed and checked by
axe-core; an unknown community is a page of its own."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Page

from backend.governance.meetings.tables import Action
from tests.browser.test_public_pages import look_at
from tests.governance.meetings_world import (
    EN,
    V1,
    auth,
    begin,
    convened,
    minutes_body,
    moderate,
    submit,
    world,
)

__all__ = ["world"]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_board_page(
    page: Page, served: str, client: httpx.AsyncClient, world: dict[str, Any], outside: list[str], screenshot: Any
) -> None:
    meeting = await convened(client, world)
    said = await submit(client, world["residents"][0], meeting, "建议物业加强门禁登记", item=1, named=True)
    assert (await moderate(client, world, said.json()["id"], "accepted")).status_code == 200
    await begin(meeting)
    published = await client.post(
        f"{V1}/meetings/{meeting['id']}/minutes",
        json=minutes_body(world, meeting, date.today() + timedelta(days=30)),
        headers=auth(world["convenor"], **EN),
    )
    actions = {a["owner"]["name"]: a["id"] for a in published.json()["decisions"][0]["actions"]}
    done = await client.post(
        f"{V1}/meeting-actions/{actions['南园物业']}/updates",
        json={"status": "done", "note": {"zh-Hans": "已完成门禁卡登记，一户一卡。"}},
        headers=auth(world["company_staff"]),
    )
    assert done.status_code == 201
    await Action.update({Action.due_on: date.today() - timedelta(days=2)}).where(Action.id == actions["双塔派出所"])

    board = f"/communities/{world['community'].id}/board"
    await look_at(page, served, board, "board", screenshot)
    await page.goto(f"{served}{board}?lang=zh-Hans&seen=again")
    text = await page.inner_text("main")
    assert "群租整治民情恳谈会" in text and "上门排查" in text and "已完成门禁卡登记" in text
    assert "北0" not in text  # a name is on the meeting's own page if chosen, never on the board
    await look_at(page, served, f"/communities/{uuid.uuid4()}/board", "board-not-found", screenshot, status=404)
    assert outside == []
