"""Shaping incidents and routing for the API, in the reader's language and through their eyes:
what a responsible party never reads (held text, the reporter) is left out here, and coordinators
see the reporter's name masked (need to know: they act on the report and answer through the app's
notices, they need not know who wrote it)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from backend.core.clock import utc
from backend.core.i18n import _, format_datetime
from backend.core.values import mask_name
from backend.governance.incidents.names import kind_name, party_name, receiver_name, role_name, route_text, status_name
from backend.governance.incidents.queries import IncidentListing
from backend.governance.incidents.routing import Rule
from backend.governance.incidents.schemas import (
    IncidentChangeRead,
    IncidentPage,
    IncidentPhotoRead,
    IncidentRead,
    IncidentSummary,
    IncidentView,
    NamedRef,
    RouteRead,
    RoutingRead,
)
from backend.governance.incidents.tables import ERASED_TEXT, Moderation


def _ref(organisation_id: uuid.UUID | None, names: Mapping[uuid.UUID, str]) -> NamedRef | None:
    if organisation_id is None:
        return None
    return NamedRef(id=organisation_id, name=names.get(organisation_id, ""))


def _reporter_name(row: Mapping[str, Any], listing: IncidentListing) -> str | None:
    """The reporter themself sees their name; coordinators a mask; the party nothing."""
    if listing.view == "responsible_party" or row["reporter"] is None:
        return None
    name = listing.reporter_names.get(row["reporter"], "")
    return name if listing.view == "reporter" else mask_name(name)


def _text(row: Mapping[str, Any], view: IncidentView) -> str | None:
    if row["text"] == ERASED_TEXT:
        return _("The reporter has deleted their account; the report's words were removed.")
    held = row["moderation"] == Moderation.held.value
    # Held text waits for a coordinator; the party never reads what nobody has checked.
    return None if held and view == "responsible_party" else row["text"]


def _routed(row: Mapping[str, Any], listing: IncidentListing) -> RouteRead:
    """Where the report was routed and why, with the estate's, grid's and party's names."""
    estates, orgs = listing.estate_names or {}, listing.organisation_names
    estate = estates.get(row["estate"], "") if row["estate"] else ""
    grid = orgs.get(row["grid"], "") if row["grid"] else ""
    party = orgs.get(row["party_organisation"], "") if row["party_organisation"] else party_name(row["party"])
    return RouteRead(
        reason=row["route_reason"], text=route_text(row["route_reason"], estate=estate, grid=grid, party=party)
    )


def _fields(row: Mapping[str, Any], listing: IncidentListing) -> dict[str, Any]:
    view, orgs = listing.view, listing.organisation_names
    estates = listing.estate_names or {}
    return {
        "id": row["id"],
        "viewed_as": view,
        "kind": row["kind"],
        "kind_name": kind_name(row["kind"]),
        "text": _text(row, view),
        "text_held": row["moderation"] == Moderation.held.value,
        "photo_urls": photo_urls(row["id"], row["photo"] or {}),
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "community": NamedRef(id=row["community"], name=orgs.get(row["community"], "")),
        "status": row["status"],
        "status_name": status_name(row["status"]),
        "party": row["party"],
        "party_name": party_name(row["party"]),
        "party_organisation": _ref(row["party_organisation"], orgs),
        "reporter_name": _reporter_name(row, listing),
        "team_id": row["team"],
        "shift_id": row["shift"],
        "created_at": utc(row["created_at"]),
        "updated_at": utc(row["updated_at"]),
        "estate": NamedRef(id=row["estate"], name=estates.get(row["estate"], "")) if row["estate"] else None,
        "grid": _ref(row["grid"], orgs),
        "routed": _routed(row, listing),
    }


def _actor_name(row: Mapping[str, Any], view: IncidentView) -> str | None:
    """Coordinators see who moved a report on (staff, by name), and its reporter masked."""
    if view != "coordinator":
        return None
    name = row["actor_name"] or ""
    return mask_name(name) if row["actor_role"] == "reporter" else name


def _change_read(row: Mapping[str, Any], view: IncidentView) -> IncidentChangeRead:
    return IncidentChangeRead(
        status=row["status"],
        status_name=status_name(row["status"]),
        at=utc(row["created_at"]),
        at_text=format_datetime(row["created_at"]),
        actor_role=row["actor_role"],
        actor_role_name=role_name(row["actor_role"]),
        note=row["note"],
        party=row["party"],
        party_name=party_name(row["party"]) if row["party"] else None,
        actor_name=_actor_name(row, view),
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


PHOTO_ROUTE = "/api/v1/incidents/{incident_id}/photo/{rendition}"


def photo_urls(incident_id: uuid.UUID, photo: Mapping[str, str]) -> dict[str, str]:
    """Rendition → the authorised route that serves it (the stored names never leave the server)."""
    return {name: PHOTO_ROUTE.format(incident_id=incident_id, rendition=name) for name in photo}


def photo_read(incident_id: uuid.UUID, photo: Mapping[str, str]) -> IncidentPhotoRead:
    return IncidentPhotoRead(photo_urls=photo_urls(incident_id, photo))


def routing_read(rule: Rule) -> RoutingRead:
    organisation = NamedRef(id=rule.organisation_id, name=rule.organisation_name) if rule.organisation_id else None
    return RoutingRead(
        kind=rule.kind,  # type: ignore[arg-type]  # an IncidentKind value
        kind_name=kind_name(rule.kind),
        party=rule.party,  # type: ignore[arg-type]  # a ResponsibleParty value
        party_name=party_name(rule.party),
        organisation=organisation,
        is_default=rule.is_default,
        receiver=rule.receiver,  # type: ignore[arg-type]  # a RoutingReceiver value
        receiver_name=receiver_name(rule.receiver),
    )
