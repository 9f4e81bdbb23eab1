"""Incidents' part of a person's export and erasure (the domain's ``privacy`` module gathers it).

Export: every report they made, with its text, place, history and the URLs of its photo (routes
only they, its coordinators and its party may open). Erasure keeps the reports for the community's
record and removes the person from them: the text becomes ``ERASED_TEXT`` (answers say in words
that it was removed), the exact place and the photo go (its files are deleted), the reporter and
any change they made point at nobody.
"""

from __future__ import annotations

import uuid
from typing import Any

from piccolo.columns.combination import WhereRaw

from backend.governance.incidents.presenters import photo_urls
from backend.governance.incidents.services import LEGACY_PHOTO_FOLDER
from backend.governance.incidents.tables import ERASED_TEXT, Incident, IncidentChange
from backend.volunteers.api import delete_files, private_store, public_store


async def export_reports(user_id: uuid.UUID) -> list[dict[str, Any]]:
    incidents = (
        await Incident.select(
            Incident.id,
            Incident.community,
            Incident.team,
            Incident.shift,
            Incident.kind,
            Incident.text,
            Incident.photo,
            Incident.latitude,
            Incident.longitude,
            Incident.status,
            Incident.party,
            Incident.party_organisation,
            Incident.estate,
            Incident.estate.name.as_alias("estate_name"),
            Incident.grid,
            Incident.route_reason,
            Incident.created_at,
            Incident.updated_at,
        )
        .where(Incident.reporter == user_id)
        .output(load_json=True)
    )
    for incident in incidents:
        incident["photo_urls"] = photo_urls(incident["id"], incident.pop("photo") or {})
        incident["history"] = (
            await IncidentChange.select(
                IncidentChange.status,
                IncidentChange.actor_role,
                IncidentChange.note,
                IncidentChange.party,
                IncidentChange.created_at,
            )
            .where(IncidentChange.incident == incident["id"])
            .order_by(IncidentChange.created_at)
        )
    return incidents


async def forget_person(user_id: uuid.UUID) -> list[str]:
    """The person's reports lose their words, place and photo, and their reporter. Returns the
    photo files to delete once this has committed (``delete_photos``)."""
    reports = (
        await Incident.select(Incident.id, Incident.photo).where(Incident.reporter == user_id).output(load_json=True)
    )
    await Incident.update(
        {
            Incident.reporter: None,
            Incident.text: ERASED_TEXT,
            Incident.latitude: None,
            Incident.longitude: None,
            Incident.photo: {},
        }
    ).where(Incident.reporter == user_id)
    await IncidentChange.update({IncidentChange.actor: None}).where(IncidentChange.actor == user_id)
    return [path for report in reports for path in (report["photo"] or {}).values()]


async def delete_photos(paths: list[str]) -> None:
    delete_files(private_store(), (path for path in paths if not path.startswith(LEGACY_PHOTO_FOLDER)))
    # A photo from before they were private is named by its content: another report may share it.
    shared = [path for path in paths if path.startswith(LEGACY_PHOTO_FOLDER) and await _still_shown(path)]
    delete_files(
        public_store(), (path for path in paths if path.startswith(LEGACY_PHOTO_FOLDER) and path not in shared)
    )


async def _still_shown(path: str) -> bool:
    return await Incident.exists().where(WhereRaw("CAST(photo AS TEXT) LIKE {}", f"%{path}%"))
