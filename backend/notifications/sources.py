"""What a notice says about the things it is about, read from the domains upstream.

Parameters are a snapshot: ids as strings, user content as {locale: text}, times in UTC as ISO
strings, so a notice reads the same later, in any language, whatever becomes of its source.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.events.tables import Event
from backend.inclusion.tables import Redemption
from backend.volunteers.tables import Shift, Team


async def event_params(event_id: uuid.UUID | str) -> dict[str, Any] | None:
    row = await Event.select(Event.id, Event.title, Event.starts_at, Event.venue.name).where(
        Event.id == uuid.UUID(str(event_id))
    ).output(load_json=True).first()
    if row is None:
        return None
    return {"event_id": str(row["id"]), "title": row["title"] or {}, "starts_at": row["starts_at"].isoformat(), "venue": row["venue.name"] or {}}


async def shift_params(shift_id: uuid.UUID | str) -> dict[str, Any] | None:
    row = await Shift.select(Shift.id, Shift.title, Shift.starts_at, Shift.team.id, Shift.team.name).where(
        Shift.id == uuid.UUID(str(shift_id))
    ).output(load_json=True).first()
    if row is None:
        return None
    return {
        "shift_id": str(row["id"]), "title": row["title"] or {}, "starts_at": row["starts_at"].isoformat(),
        "team_id": str(row["team.id"]), "team": row["team.name"] or {},
    }


async def team_name(team_id: uuid.UUID | str) -> dict[str, str]:
    row = await Team.select(Team.name).where(Team.id == uuid.UUID(str(team_id))).output(load_json=True).first()
    return (row or {}).get("name") or {}


async def redemption_params(redemption_id: uuid.UUID | str) -> dict[str, Any] | None:
    row = await Redemption.select(
        Redemption.id, Redemption.reward.id, Redemption.reward.name, Redemption.reward.community.name, Redemption.pickup_code
    ).where(Redemption.id == uuid.UUID(str(redemption_id))).output(load_json=True).first()
    if row is None:
        return None
    return {
        "redemption_id": str(row["id"]), "reward_id": str(row["reward.id"]), "reward": row["reward.name"] or {},
        "community": row["reward.community.name"] or {}, "pickup_code": row["pickup_code"],
    }
