"""What meetings announce: minutes published and an action changed, each with the residents to
tell (those who submitted or attended), so that notifications need not read governance's rows."""

from __future__ import annotations

import uuid
from typing import ClassVar

from backend.core.signals import Signal


class MinutesPublished(Signal, frozen=True):
    NAME: ClassVar[str] = "governance.minutes_published"
    meeting_id: uuid.UUID
    title: dict[str, str]
    recipients: list[uuid.UUID]


class ActionChanged(Signal, frozen=True):
    NAME: ClassVar[str] = "governance.action_changed"
    action_id: uuid.UUID
    meeting_id: uuid.UUID
    update_id: uuid.UUID
    title: dict[str, str]
    meeting_title: dict[str, str]
    status: str
    recipients: list[uuid.UUID]
