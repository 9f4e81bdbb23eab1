"""Renaming a patrol route over HTTP (both databases): coordinators only, the plates' codes kept,
an empty name refused, one audit entry per change and none when nothing changed."""

from __future__ import annotations

from typing import Any

import httpx

from backend.core.tables import AuditEntry
from tests import factories
from tests.volunteers.test_routes import create, crew

__all__ = ["crew"]
Client = httpx.AsyncClient


async def test_a_coordinator_renames_a_route_and_its_codes_stay(client: Client, crew: dict[str, Any]) -> None:
    route = (await create(client, crew)).json()
    url, lead = f"/api/v1/routes/{route['id']}", factories.token_for(crew["lead"])
    renamed = await client.patch(
        url, json={"name": {"zh-Hans": "北园夜巡线"}, "description": {"zh-Hans": "绕河一圈"}}, headers=lead
    )
    assert renamed.status_code == 200, renamed.text
    body = renamed.json()
    assert (body["name"], body["description"]) == ("北园夜巡线", "绕河一圈")
    assert [c["code"] for c in body["checkpoints"]] == [c["code"] for c in route["checkpoints"]]
    assert await AuditEntry.count().where(AuditEntry.action == "volunteers.route_changed") == 1
    again = await client.patch(url, json={"name": {"zh-Hans": "北园夜巡线"}}, headers=lead)
    assert again.status_code == 200
    assert await AuditEntry.count().where(AuditEntry.action == "volunteers.route_changed") == 1  # nothing changed


async def test_renaming_is_refused_as_the_api_refuses(client: Client, crew: dict[str, Any]) -> None:
    route = (await create(client, crew)).json()
    url = f"/api/v1/routes/{route['id']}"
    blank = await client.patch(url, json={"name": {"zh-Hans": "   "}}, headers=factories.token_for(crew["lead"]))
    assert blank.status_code == 422 and blank.json()["code"] == "name_required"
    assert (await client.patch(url, json={"name": {}}, headers=factories.token_for(crew["lead"]))).status_code == 422
    member = await client.patch(url, json={"name": {"zh-Hans": "x"}}, headers=factories.token_for(crew["member"]))
    assert member.status_code == 403
    outsider = await client.patch(url, json={"name": {"zh-Hans": "x"}}, headers=factories.token_for(crew["outsider"]))
    assert outsider.status_code == 404
    shown = await client.get(url, headers=factories.token_for(crew["lead"]))
    assert shown.json()["name"] == "南园夜巡线"
