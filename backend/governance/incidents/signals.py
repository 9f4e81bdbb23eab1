"""What incidents announce: a report moved on (notifications tells the reporter). The signal keeps
its name from when incidents lived under volunteers, so messages already in the outbox still
reach their listener."""

from __future__ import annotations

import uuid
from typing import ClassVar

from backend.core.signals import Signal


class IncidentChanged(Signal, frozen=True):
    """The reporter's incident moved on (``reporter_id`` None: anonymous, or the account is gone)."""

    NAME: ClassVar[str] = "volunteers.incident_changed"
    incident_id: uuid.UUID
    reporter_id: uuid.UUID | None
    status: str
    party: str = ""
