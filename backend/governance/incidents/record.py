"""A party's report-handling record: what governance shows beside a property company's
evaluation scores (``surveys.results``), re-exported by ``governance.api``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core import clock
from backend.core.values import as_uuid
from backend.governance.incidents.tables import Incident, IncidentChange, IncidentStatus


@dataclass(frozen=True)
class HandlingRecord:
    """Reports routed to an organisation and made in [since, until): how many, how many resolved,
    and the seconds each resolved one took from report to resolution."""

    reports: int
    resolved_seconds: list[float]


async def handling_record(*, organisation_id: uuid.UUID, since: datetime, until: datetime) -> HandlingRecord:
    made = (
        (Incident.party_organisation == organisation_id)
        & (Incident.created_at >= since)
        & (Incident.created_at < until)
    )
    reports = await Incident.select(Incident.id, Incident.created_at).where(made)
    if not reports:
        return HandlingRecord(reports=0, resolved_seconds=[])
    changes = (
        await IncidentChange.select(IncidentChange.incident, IncidentChange.created_at)
        .where(
            IncidentChange.incident.is_in([row["id"] for row in reports])
            & (IncidentChange.status == IncidentStatus.resolved.value)
        )
        .order_by(IncidentChange.created_at)
    )
    resolved: dict[uuid.UUID, datetime] = {}
    for change in changes:
        resolved.setdefault(as_uuid(change["incident"]), clock.utc(change["created_at"]))
    seconds = [
        (resolved[as_uuid(row["id"])] - clock.utc(row["created_at"])).total_seconds()
        for row in reports
        if as_uuid(row["id"]) in resolved
    ]
    return HandlingRecord(reports=len(reports), resolved_seconds=sorted(seconds))
