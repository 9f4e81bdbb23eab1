"""Reading incidents, scoped to who is asking.

Three kinds of reader: the reporter follows their own report; coordinators of the community (or
of the reporting team) see everything there; the responsible party's staff see an incident only
once it has been forwarded to them, and never learn who reported it.
"""

from __future__ import annotations

import functools
import operator
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from piccolo.columns.combination import Where

from backend.accounts.api import Permission, is_member, member_organisation_ids, organisations, people, scope_paths
from backend.core.errors import NotFound
from backend.core.i18n import CITY_TZ, N_, _, format_datetime, pick
from backend.core.media import media_url
from backend.volunteers.incidents.schemas import (
    IncidentChangeRead,
    IncidentPage,
    IncidentRead,
    IncidentScope,
    IncidentSummary,
    IncidentView,
    NamedRef,
)
from backend.volunteers.incidents.tables import (
    Incident,
    IncidentChange,
    IncidentKind,
    IncidentStatus,
    Moderation,
    ResponsibleParty,
)
from backend.volunteers.teams import guards as access

KIND_NAMES: Mapping[IncidentKind, str] = {
    IncidentKind.illegal_construction: N_("Illegal construction"),
    IncidentKind.occupied_green_space: N_("Damaged or occupied green space"),
    IncidentKind.group_renting: N_("Group renting"),
    IncidentKind.safety_hazard: N_("Safety hazard"),
    IncidentKind.noise: N_("Noise nuisance"),
    IncidentKind.other: N_("Other"),
}
PARTY_NAMES: Mapping[ResponsibleParty, str] = {
    ResponsibleParty.police: N_("Police station"),
    ResponsibleParty.city_management: N_("City management"),
    ResponsibleParty.property_company: N_("Property management company"),
    ResponsibleParty.owners_committee: N_("Owners' committee"),
    ResponsibleParty.residents_committee: N_("Residents' committee"),
}
STATUS_NAMES: Mapping[IncidentStatus, str] = {
    IncidentStatus.reported: N_("Reported"),
    IncidentStatus.acknowledged: N_("Acknowledged"),
    IncidentStatus.forwarded: N_("Forwarded"),
    IncidentStatus.resolved: N_("Resolved"),
}
ROLE_NAMES: Mapping[str, str] = {
    "reporter": N_("Reporter"),
    "coordinator": N_("Coordinator"),
    "responsible_party": N_("Responsible party"),
}
# The party's staff see an incident from the moment it is handed to them.
PARTY_STATUSES = (IncidentStatus.forwarded.value, IncidentStatus.resolved.value)


def kind_name(kind: str) -> str:
    return _(KIND_NAMES[IncidentKind(kind)])


def party_name(party: str) -> str:
    return _(PARTY_NAMES[ResponsibleParty(party)])


def status_name(status: str) -> str:
    return _(STATUS_NAMES[IncidentStatus(status)])


def _not_found() -> NotFound:
    return NotFound("incident_not_found", N_("This incident does not exist."))


@dataclass(frozen=True)
class Viewer:
    """What the caller is to one incident; a person can be several at once."""

    reporter: bool
    coordinator: bool
    party: bool

    @property
    def view(self) -> IncidentView | None:
        if self.coordinator:
            return "coordinator"
        if self.reporter:
            return "reporter"
        if self.party:
            return "responsible_party"
        return None


async def may_coordinate_incident(*, user_id: uuid.UUID, community_id: uuid.UUID, team_id: uuid.UUID | None) -> bool:
    if await access.may_coordinate_community(user_id=user_id, community_id=community_id):
        return True
    return team_id is not None and await access.is_team_coordinator(user_id=user_id, team_id=team_id)


async def viewer_of(*, user_id: uuid.UUID, incident: Mapping[str, Any]) -> Viewer:
    party = (
        incident["status"] in PARTY_STATUSES
        and incident["party_organisation"] is not None
        and await is_member(user_id, incident["party_organisation"])
    )
    return Viewer(
        reporter=incident["reporter"] == user_id,
        coordinator=await may_coordinate_incident(
            user_id=user_id, community_id=incident["community"], team_id=incident["team"]
        ),
        party=bool(party),
    )


async def visible_incident(*, user_id: uuid.UUID, incident_id: uuid.UUID) -> tuple[dict[str, Any], Viewer]:
    """The incident row and what the caller is to it; 404 for anyone who may not see it."""
    row = await Incident.select().where(Incident.id == incident_id).output(load_json=True).first()
    if row is None:
        raise _not_found()
    viewer = await viewer_of(user_id=user_id, incident=row)
    if viewer.view is None:
        raise _not_found()
    return row, viewer


async def organisation_names(ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = list({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {found.id: pick(found.name)[0] for found in (await organisations(wanted)).values()}


async def _user_names(ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    wanted = list({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {found.id: found.display_name for found in (await people(wanted)).values()}


def _ref(organisation_id: uuid.UUID | None, names: Mapping[uuid.UUID, str]) -> NamedRef | None:
    if organisation_id is None:
        return None
    return NamedRef(id=organisation_id, name=names.get(organisation_id, ""))


def _fields(
    row: Mapping[str, Any], view: IncidentView, orgs: Mapping[uuid.UUID, str], people: Mapping[uuid.UUID, str]
) -> dict[str, Any]:
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
        "photo_urls": {name: media_url(path) for name, path in (row["photo"] or {}).items()},
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "community": NamedRef(id=row["community"], name=orgs.get(row["community"], "")),
        "status": row["status"],
        "status_name": status_name(row["status"]),
        "party": row["party"],
        "party_name": party_name(row["party"]),
        "party_organisation": _ref(row["party_organisation"], orgs),
        "reporter_name": None if party_view or row["reporter"] is None else people.get(row["reporter"], ""),
        "team_id": row["team"],
        "shift_id": row["shift"],
        "created_at": row["created_at"].astimezone(CITY_TZ),
        "updated_at": row["updated_at"].astimezone(CITY_TZ),
    }


async def _present(rows: list[dict[str, Any]], view: IncidentView) -> list[dict[str, Any]]:
    orgs = await organisation_names([r["community"] for r in rows] + [r["party_organisation"] for r in rows])
    people = {} if view == "responsible_party" else await _user_names(r["reporter"] for r in rows)
    return [_fields(row, view, orgs, people) for row in rows]


async def _history(incident_id: uuid.UUID, view: IncidentView) -> list[IncidentChangeRead]:
    rows = (
        await IncidentChange.select(
            IncidentChange.status,
            IncidentChange.actor_role,
            IncidentChange.note,
            IncidentChange.party,
            IncidentChange.created_at,
            IncidentChange.actor.display_name.as_alias("actor_name"),
        )
        .where(IncidentChange.incident == incident_id)
        .order_by(IncidentChange.created_at)
    )
    return [
        IncidentChangeRead(
            status=row["status"],
            status_name=status_name(row["status"]),
            at=row["created_at"].astimezone(CITY_TZ),
            at_text=format_datetime(row["created_at"]),
            actor_role=row["actor_role"],
            actor_role_name=_(ROLE_NAMES[row["actor_role"]]) if row["actor_role"] in ROLE_NAMES else "",
            note=row["note"],
            party=row["party"],
            party_name=party_name(row["party"]) if row["party"] else None,
            actor_name=(row["actor_name"] or "") if view == "coordinator" else None,
        )
        for row in rows
    ]


async def read_incident(*, user_id: uuid.UUID, incident_id: uuid.UUID) -> IncidentRead:
    """One incident with its history, as the caller may see it."""
    row, viewer = await visible_incident(user_id=user_id, incident_id=incident_id)
    view = viewer.view
    assert view is not None  # visible_incident answered 404 otherwise
    (fields,) = await _present([row], view)
    return IncidentRead(**fields, history=await _history(row["id"], view))


async def _scope_condition(user_id: uuid.UUID, scope: IncidentScope) -> Where | None:
    """Which incidents a list of this scope holds for the caller; None when it is empty."""
    if scope == "mine":
        return Incident.reporter == user_id
    if scope == "assigned":
        member_of = await member_organisation_ids(user_id)
        if not member_of:
            return None
        return Incident.party_organisation.is_in(member_of) & Incident.status.is_in(list(PARTY_STATUSES))
    paths = await scope_paths(user_id=user_id, permission=Permission.coordinate_volunteers)
    conditions: list[Any] = [Incident.community.path.like(f"{path}%") for path in paths]
    teams = await access.coordinated_team_ids(user_id=user_id)
    if teams:
        conditions.append(Incident.team.is_in(teams))
    return functools.reduce(operator.or_, conditions) if conditions else None


_SCOPE_VIEWS: Mapping[IncidentScope, IncidentView] = {
    "mine": "reporter",
    "coordinating": "coordinator",
    "assigned": "responsible_party",
}


async def list_incidents(
    *,
    user_id: uuid.UUID,
    scope: IncidentScope,
    status: IncidentStatus | None,
    community_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> IncidentPage:
    """Newest first: my reports, what I coordinate, or what was handed to my organisations."""
    condition = await _scope_condition(user_id, scope)
    if condition is None:
        return IncidentPage(items=[], limit=limit, offset=offset, has_more=False)
    if status is not None:
        condition = condition & (Incident.status == status.value)
    if community_id is not None:
        condition = condition & (Incident.community == community_id)
    rows = await (
        Incident.select()
        .where(condition)
        .order_by(Incident.created_at, ascending=False)
        .order_by(Incident.id)
        .limit(limit + 1)
        .offset(offset)
        .output(load_json=True)
    )
    fields = await _present(rows[:limit], _SCOPE_VIEWS[scope])
    return IncidentPage(
        items=[IncidentSummary(**f) for f in fields], limit=limit, offset=offset, has_more=len(rows) > limit
    )
