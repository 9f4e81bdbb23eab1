"""Shaping incidents and routing for the API, in the reader's language and through their eyes:
what a responsible party never reads (held text, the reporter) is left out here."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from backend.core.i18n import CITY_TZ, format_datetime
from backend.core.media import media_url
from backend.volunteers.incidents.names import kind_name, party_name, role_name, status_name
from backend.volunteers.incidents.queries import IncidentListing
from backend.volunteers.incidents.routing import Rule
from backend.volunteers.incidents.schemas import (
    IncidentChangeRead,
    IncidentPage,
    IncidentPhotoRead,
    IncidentRead,
    IncidentSummary,
    IncidentView,
    NamedRef,
    RoutingRead,
)
from backend.volunteers.incidents.tables import Moderation


def _ref(organisation_id: uuid.UUID | None, names: Mapping[uuid.UUID, str]) -> NamedRef | None:
    if organisation_id is None:
        return None
    return NamedRef(id=organisation_id, name=names.get(organisation_id, ""))


def _fields(row: Mapping[str, Any], listing: IncidentListing) -> dict[str, Any]:
    view, orgs = listing.view, listing.organisation_names
    held = row["moderation"] == Moderation.held.value
    party_view = view == "responsible_party"
    return {
        "id": row["id"],
        "viewed_as": view,
        "kind": row["kind"],
        "kind_name": kind_name(row["kind"]),
        # Held text waits for a coordinator; the party never reads what nobody has checked.
        "text": None if held and party_view else row["text"],
        "text_held": held,
        "photo_urls": photo_urls(row["photo"] or {}),
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "community": NamedRef(id=row["community"], name=orgs.get(row["community"], "")),
        "status": row["status"],
        "status_name": status_name(row["status"]),
        "party": row["party"],
        "party_name": party_name(row["party"]),
        "party_organisation": _ref(row["party_organisation"], orgs),
        "reporter_name": None
        if party_view or row["reporter"] is None
        else listing.reporter_names.get(row["reporter"], ""),
        "team_id": row["team"],
        "shift_id": row["shift"],
        "created_at": row["created_at"].astimezone(CITY_TZ),
        "updated_at": row["updated_at"].astimezone(CITY_TZ),
    }


def _change_read(row: Mapping[str, Any], view: IncidentView) -> IncidentChangeRead:
    return IncidentChangeRead(
        status=row["status"],
        status_name=status_name(row["status"]),
        at=row["created_at"].astimezone(CITY_TZ),
        at_text=format_datetime(row["created_at"]),
        actor_role=row["actor_role"],
        actor_role_name=role_name(row["actor_role"]),
        note=row["note"],
        party=row["party"],
        party_name=party_name(row["party"]) if row["party"] else None,
        actor_name=(row["actor_name"] or "") if view == "coordinator" else None,
    )


def incident_read(listing: IncidentListing) -> IncidentRead:
    """The one incident of a listing read with its history."""
    (row,) = listing.rows
    return IncidentRead(
        **_fields(row, listing), history=[_change_read(change, listing.view) for change in listing.history or []]
    )


def incident_page(listing: IncidentListing, *, limit: int, offset: int) -> IncidentPage:
    return IncidentPage(
        items=[IncidentSummary(**_fields(row, listing)) for row in listing.rows],
        limit=limit,
        offset=offset,
        has_more=listing.has_more,
    )


def photo_urls(photo: Mapping[str, str]) -> dict[str, str]:
    """Rendition → URL, from the media paths an incident stores."""
    return {name: media_url(path) for name, path in photo.items()}


def photo_read(photo: Mapping[str, str]) -> IncidentPhotoRead:
    return IncidentPhotoRead(photo_urls=photo_urls(photo))


def routing_read(rule: Rule) -> RoutingRead:
    organisation = NamedRef(id=rule.organisation_id, name=rule.organisation_name) if rule.organisation_id else None
    return RoutingRead(
        kind=rule.kind,  # type: ignore[arg-type]  # an IncidentKind value
        kind_name=kind_name(rule.kind),
        party=rule.party,  # type: ignore[arg-type]  # a ResponsibleParty value
        party_name=party_name(rule.party),
        organisation=organisation,
        is_default=rule.is_default,
    )
