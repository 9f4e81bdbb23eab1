"""What later domains may use of governance. Each sub-package keeps its own section."""

from __future__ import annotations

import uuid

from backend.core.errors import NotFound
from backend.governance.surveys.services import survey_row
from backend.governance.surveys.signals import SurveyOpened
from backend.places.api import residents_in

__all__ = ["SurveyOpened", "survey_audience"]


# --- surveys -------------------------------------------------------------------------------------------


async def survey_audience(survey_id: uuid.UUID) -> list[uuid.UUID]:
    """The residents who may answer a survey (those who say they live in its audience), to tell
    them it has opened; none for a survey that no longer exists."""
    try:
        row = await survey_row(survey_id)
    except NotFound:
        return []
    return await residents_in(row["audience"], uuid.UUID(str(row["audience_id"])))
