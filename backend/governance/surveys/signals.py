"""What governance surveys announce; later domains import these from ``backend.governance.api``."""

from __future__ import annotations

import uuid
from typing import ClassVar

from backend.core.signals import Signal


class SurveyOpened(Signal, frozen=True):
    """A survey, poll or evaluation opened: the residents who may answer it are told."""

    NAME: ClassVar[str] = "governance.survey_opened"
    survey_id: uuid.UUID
    kind: str
    title: dict[str, str]  # {locale: title}; an evaluation's is the evaluated body's name
    closes_at: str  # ISO 8601, UTC
    year: int | None = None  # an evaluation's
