"""What a notice says about the things it is about, read through the upstream domains' APIs.

Parameters are a snapshot: ids as strings, user content as {locale: text}, times in UTC as ISO
strings, so a notice reads the same later, in any language, whatever becomes of its source.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.core import clock, signals
from backend.core.values import as_uuid
from backend.events.api import EventSummary, event_summary
from backend.inclusion.api import redemption_summary
from backend.volunteers.api import shift_summary
from backend.volunteers.api import team_name as _team_name


def summary_params(event: EventSummary) -> dict[str, Any]:
    return {
        "event_id": str(event.id),
        "title": event.title,
        "starts_at": clock.iso(event.starts_at),
        "venue": event.venue_name,
    }


async def event_params(event_id: uuid.UUID | str) -> dict[str, Any] | None:
    key = as_uuid(event_id)
    # Read once per delivery batch: a storm's sign-ups of one event all name it.
    event = await signals.remembered(("event_summary", key), lambda: event_summary(key))
    return summary_params(event) if event is not None else None


async def shift_params(shift_id: uuid.UUID | str) -> dict[str, Any] | None:
    shift = await shift_summary(as_uuid(shift_id))
    if shift is None:
        return None
    return {
        "shift_id": str(shift.id),
        "title": shift.title,
        "starts_at": clock.iso(shift.starts_at),
        "team_id": str(shift.team_id),
        "team": shift.team_name,
    }


async def team_name(team_id: uuid.UUID | str) -> dict[str, str]:
    return await _team_name(as_uuid(team_id))


async def redemption_params(redemption_id: uuid.UUID | str) -> dict[str, Any] | None:
    found = await redemption_summary(as_uuid(redemption_id))
    if found is None:
        return None
    return {
        "redemption_id": str(found.id),
        "reward_id": str(found.reward_id),
        "reward": found.reward_name,
        "community": found.community_name,
        "pickup_code": found.pickup_code,
    }
