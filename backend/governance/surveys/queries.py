"""Reading surveys: public (anyone may see what is asked and when), with the count of answers for
the community's staff only until the results are published."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from backend.core import clock
from backend.governance.surveys import access
from backend.governance.surveys.services import state_of, survey_row
from backend.governance.surveys.tables import Survey


@dataclass(frozen=True)
class Shown:
    row: dict[str, Any]
    state: str
    show_answers: bool


async def _shown(row: dict[str, Any], viewer: uuid.UUID | None, now: Any) -> Shown:
    state = state_of(row, now)
    staff = await access.may_manage(viewer, uuid.UUID(str(row["community"])))
    return Shown(row, state, show_answers=staff)


async def survey(survey_id: uuid.UUID, *, viewer: uuid.UUID | None) -> Shown:
    return await _shown(await survey_row(survey_id), viewer, clock.now())


async def list_surveys(*, community_id: uuid.UUID, viewer: uuid.UUID | None, limit: int) -> list[Shown]:
    """A community's surveys, polls and evaluations, the latest opening first."""
    rows = (
        await Survey.select()
        .where(Survey.community == community_id)
        .order_by(Survey.opens_at, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )
    now = clock.now()
    staff = bool(rows) and await access.may_manage(viewer, community_id)
    return [Shown(row, state_of(row, now), show_answers=staff) for row in rows]
