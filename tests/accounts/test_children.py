"""Children under 14 take part through a guardian's account, never an account of their own."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests import factories


async def test_a_birth_year_under_fourteen_is_refused_and_nothing_changes(client: httpx.AsyncClient) -> None:
    resident = await factories.resident()
    headers = factories.token_for(resident)
    this_year = datetime.now(UTC).year
    refused = await client.patch("/api/v1/me?lang=en", json={"birth_year": this_year - 10}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["code"] == "child_needs_guardian"
    assert "guardian" in refused.json()["detail"]
    assert (await client.get("/api/v1/me", headers=headers)).json()["birth_year"] is None
    # Fourteen this year is old enough.
    allowed = await client.patch("/api/v1/me", json={"birth_year": this_year - 14}, headers=headers)
    assert allowed.status_code == 200
    assert allowed.json()["birth_year"] == this_year - 14
