"""The governance domain's public face: what it announces (typed signal payloads) for the domains
after it (notifications tells residents) and what they may read (the public board, for web's page;
who may answer a survey). Later domains import this module, never governance's tables or
internals. Each sub-package keeps its own section."""

from __future__ import annotations

import uuid

from backend.core.errors import NotFound
from backend.governance.meetings.board import community_board
from backend.governance.meetings.schemas import BoardRead
from backend.governance.meetings.signals import ActionChanged, MinutesPublished
from backend.governance.surveys.services import survey_row
from backend.governance.surveys.signals import SurveyOpened
from backend.places.api import residents_in

__all__ = ["ActionChanged", "BoardRead", "MinutesPublished", "SurveyOpened", "community_board", "survey_audience"]


# --- surveys -------------------------------------------------------------------------------------------


async def survey_audience(survey_id: uuid.UUID) -> list[uuid.UUID]:
    """The residents who may answer a survey (those who say they live in its audience), to tell
    them it has opened; none for a survey that no longer exists."""
    try:
        row = await survey_row(survey_id)
    except NotFound:
        return []
    return await residents_in(row["audience"], uuid.UUID(str(row["audience_id"])))
