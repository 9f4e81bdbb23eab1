"""A report's whole answer: the incident as its presenter reads it, and what became of it — the
meetings that took it up and the actions set there (governance's meetings, in the same domain).
Kept apart from the presenters, which only shape rows, because it reads the meetings."""

from __future__ import annotations

from backend.governance.incidents.presenters import incident_read
from backend.governance.incidents.queries import IncidentListing
from backend.governance.incidents.schemas import IncidentRead
from backend.governance.meetings.presenters import dealt_with_read
from backend.governance.meetings.queries import dealt_with


async def incident_answer(listing: IncidentListing) -> IncidentRead:
    read = incident_read(listing)
    read.dealt_with = dealt_with_read(await dealt_with(read.id))
    return read
