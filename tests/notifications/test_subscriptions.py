"""What the mini-program reports from wx.requestSubscribeMessage, and the budgets it makes."""

from __future__ import annotations

import httpx

from tests import factories
from tests.notifications.conftest import PROMOTION, REGISTRATION, TEMPLATES, wechat_resident

Client = httpx.AsyncClient


def _by_kind(body: dict) -> dict[str, dict]:
    return {row["kind"]: row for row in body["kinds"]}


async def test_each_accept_adds_one_message(client: Client) -> None:
    resident = await wechat_resident()
    me = factories.token_for(resident)
    first = await client.post(
        "/api/v1/me/subscriptions", json={"results": {PROMOTION: "accept", REGISTRATION: "reject"}}, headers=me
    )
    assert first.status_code == 200, first.text
    second = await client.post(
        "/api/v1/me/subscriptions", json={"results": {PROMOTION: "accept", REGISTRATION: "filter"}}, headers=me
    )
    kinds = _by_kind(second.json())
    assert kinds["registration_promoted"] == {
        "kind": "registration_promoted",
        "template_id": PROMOTION,
        "remaining": 2,
        "priority": "high",
    }
    assert kinds["registration_confirmed"]["remaining"] == 0
    assert kinds["event_reminder"]["priority"] == "low"
    assert sorted(second.json()["template_ids"]) == sorted(TEMPLATES.values())

    listed = await client.get("/api/v1/me/subscriptions", headers=me)
    assert listed.json() == second.json()
    # Only notice kinds that can be a WeChat message are listed (the inbox-only ones are not).
    assert set(kinds) == {
        "registration_confirmed",
        "registration_promoted",
        "event_changed",
        "event_cancelled",
        "event_reminder",
        "shift_reminder",
        "hours_verified",
        "reward_ready",
    }


async def test_a_ban_leaves_nothing_to_spend(client: Client) -> None:
    resident = await wechat_resident()
    me = factories.token_for(resident)
    await client.post("/api/v1/me/subscriptions", json={"results": {PROMOTION: "accept"}}, headers=me)
    banned = await client.post("/api/v1/me/subscriptions", json={"results": {PROMOTION: "ban"}}, headers=me)
    assert _by_kind(banned.json())["registration_promoted"]["remaining"] == 0


async def test_budgets_are_per_person(client: Client) -> None:
    one, two = await wechat_resident(), await wechat_resident()
    await client.post(
        "/api/v1/me/subscriptions", json={"results": {PROMOTION: "accept"}}, headers=factories.token_for(one)
    )
    mine = await client.get("/api/v1/me/subscriptions", headers=factories.token_for(two))
    assert _by_kind(mine.json())["registration_promoted"]["remaining"] == 0


async def test_unknown_templates_and_answers_are_refused(client: Client) -> None:
    resident = await wechat_resident()
    me = factories.token_for(resident)
    unknown = await client.post(
        "/api/v1/me/subscriptions", json={"results": {PROMOTION: "accept", "tplSomeoneElses": "accept"}}, headers=me
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "unknown_template")
    assert unknown.json()["params"] == {"template_id": "tplSomeoneElses"}
    # Nothing of a refused report is kept.
    assert (
        _by_kind((await client.get("/api/v1/me/subscriptions", headers=me)).json())["registration_promoted"][
            "remaining"
        ]
        == 0
    )
    for body in (
        {"results": {PROMOTION: "maybe"}},
        {"results": {"": "accept"}},
        {"results": {"x" * 129: "accept"}},
        {},
        {"results": []},
    ):
        answer = await client.post("/api/v1/me/subscriptions", json=body, headers=me)
        assert answer.status_code == 422, (body, answer.text)
    assert (await client.post("/api/v1/me/subscriptions", json={"results": {PROMOTION: "accept"}})).status_code == 401
    assert (await client.get("/api/v1/me/subscriptions")).status_code == 401
