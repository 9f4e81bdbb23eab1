"""Incidents' part of a person's export and erasure (the domain's ``privacy`` module gathers it):
the reports they made, with their history; erasure keeps the reports and forgets who made them
and who moved them on."""

from __future__ import annotations

import uuid
from typing import Any

from backend.volunteers.incidents.tables import Incident, IncidentChange


async def export_reports(user_id: uuid.UUID) -> list[dict[str, Any]]:
    incidents = (
        await Incident.select(
            Incident.id,
            Incident.community,
            Incident.kind,
            Incident.text,
            Incident.photo,
            Incident.latitude,
            Incident.longitude,
            Incident.status,
            Incident.party,
            Incident.created_at,
            Incident.updated_at,
        )
        .where(Incident.reporter == user_id)
        .output(load_json=True)
    )
    for incident in incidents:
        incident["history"] = (
            await IncidentChange.select(
                IncidentChange.status, IncidentChange.actor_role, IncidentChange.note, IncidentChange.created_at
            )
            .where(IncidentChange.incident == incident["id"])
            .order_by(IncidentChange.created_at)
        )
    return incidents


async def forget_person(user_id: uuid.UUID) -> None:
    await Incident.update({Incident.reporter: None}).where(Incident.reporter == user_id)
    await IncidentChange.update({IncidentChange.actor: None}).where(IncidentChange.actor == user_id)
