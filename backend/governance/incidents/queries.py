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

from piccolo.custom_types import Combinable

from backend.accounts.api import (
    OrganisationKind,
    Permission,
    is_member,
    member_organisation_ids,
    organisation,
    organisations,
    people,
    scope_paths,
)
from backend.core.errors import NotFound
from backend.core.i18n import N_, pick
from backend.governance.incidents.schemas import IncidentScope, IncidentView
from backend.governance.incidents.tables import Incident, IncidentChange, IncidentStatus
from backend.places.api import estate_names
from backend.volunteers.api import (
    STAFF_COORDINATOR,
    TEAM_COORDINATOR,
    coordinated_team_ids,
    is_team_coordinator,
    may_coordinate_community,
)

# The party's staff see an incident from the moment it is handed to them.
PARTY_STATUSES = (IncidentStatus.forwarded.value, IncidentStatus.resolved.value)


def _not_found() -> NotFound:
    return NotFound("incident_not_found", N_("This incident does not exist."))


async def load_community(community_id: uuid.UUID) -> dict[str, Any]:
    """The community an incident is reported in (id and path); 404 for anything else."""
    found = await organisation(community_id)
    if found is None or found.kind != OrganisationKind.community.value:
        raise NotFound("community_not_found", N_("This community does not exist."))
    return {"id": found.id, "path": found.path}


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


# --- who is asking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """What the caller is to one incident; a person can be several at once. ``coordinating_as``:
    the permission by which they coordinate it (None when they do not)."""

    reporter: bool
    coordinating_as: str | None
    party: bool

    @property
    def coordinator(self) -> bool:
        return self.coordinating_as is not None

    @property
    def view(self) -> IncidentView | None:
        if self.coordinator:
            return "coordinator"
        if self.reporter:
            return "reporter"
        if self.party:
            return "responsible_party"
        return None


async def coordinating_incident_as(
    *, user_id: uuid.UUID, community_id: uuid.UUID, team_id: uuid.UUID | None
) -> str | None:
    """Staff who coordinate volunteers in the community, or a coordinator of the reporting team."""
    if await may_coordinate_community(user_id=user_id, community_id=community_id):
        return STAFF_COORDINATOR
    if team_id is not None and await is_team_coordinator(user_id=user_id, team_id=team_id):
        return TEAM_COORDINATOR
    return None


async def viewer_of(*, user_id: uuid.UUID, incident: Mapping[str, Any]) -> Viewer:
    party = (
        incident["status"] in PARTY_STATUSES
        and incident["party_organisation"] is not None
        and await is_member(user_id, incident["party_organisation"])
    )
    return Viewer(
        reporter=incident["reporter"] == user_id,
        coordinating_as=await coordinating_incident_as(
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


# --- incidents as one kind of reader sees them ----------------------------------------------------


@dataclass(frozen=True)
class IncidentListing:
    """Incident rows seen through one pair of eyes (``view``), with the names of their
    communities, parties' organisations, grids and estates and, unless the party is reading, their
    reporters; ``history`` holds the status changes of a single incident, oldest first."""

    rows: list[dict[str, Any]]
    view: IncidentView
    organisation_names: dict[uuid.UUID, str]
    reporter_names: dict[uuid.UUID, str]
    has_more: bool = False
    history: list[dict[str, Any]] | None = None
    estate_names: dict[uuid.UUID, str] | None = None


async def _listing(
    rows: list[dict[str, Any]],
    view: IncidentView,
    *,
    has_more: bool = False,
    history: list[dict[str, Any]] | None = None,
) -> IncidentListing:
    orgs = await organisation_names(
        [r["community"] for r in rows] + [r["party_organisation"] for r in rows] + [r["grid"] for r in rows]
    )
    reporters = {} if view == "responsible_party" else await _user_names(r["reporter"] for r in rows)
    estates = {key: pick(name)[0] for key, name in (await estate_names(r["estate"] for r in rows)).items()}
    return IncidentListing(rows, view, orgs, reporters, has_more, history, estates)


async def _history(incident_id: uuid.UUID) -> list[dict[str, Any]]:
    return (
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


async def read_incident(*, user_id: uuid.UUID, incident_id: uuid.UUID) -> IncidentListing:
    """One incident with its history, as the caller may see it."""
    row, viewer = await visible_incident(user_id=user_id, incident_id=incident_id)
    view = viewer.view
    assert view is not None  # visible_incident answered 404 otherwise
    return await _listing([row], view, history=await _history(row["id"]))


async def _scope_condition(user_id: uuid.UUID, scope: IncidentScope) -> Combinable | None:
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
    teams = await coordinated_team_ids(user_id=user_id)
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
) -> IncidentListing:
    """Newest first: my reports, what I coordinate, or what was handed to my organisations."""
    view = _SCOPE_VIEWS[scope]
    condition = await _scope_condition(user_id, scope)
    if condition is None:
        return IncidentListing([], view, {}, {})
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
    return await _listing(rows[:limit], view, has_more=len(rows) > limit)


# --- the console's reports room and home: the API's scopes, with a kind filter, a sort and counts

QUEUE_SORTS = {"created_at": Incident.created_at, "kind": Incident.kind, "status": Incident.status}


async def staff_queue(
    *,
    user_id: uuid.UUID,
    scope: IncidentScope,
    status: str | None,
    kind: str | None,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[IncidentListing | None, int]:
    """The API's list of a scope (same scopes, same eyes) with a kind filter and a sort: the
    listing the presenters draw, and how many there are in all."""
    condition = await _scope_condition(user_id, scope)
    if condition is None:
        return None, 0
    if status is not None:
        condition = condition & (Incident.status == status)
    if kind is not None:
        condition = condition & (Incident.kind == kind)
    total = await Incident.count().where(condition)
    rows = await (
        Incident.select()
        .where(condition)
        .order_by(QUEUE_SORTS.get(sort, Incident.created_at), ascending=not descending)
        .order_by(Incident.created_at, Incident.id)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
    return await _listing(rows, _SCOPE_VIEWS[scope]), total


async def coordinates_incidents(user_id: uuid.UUID) -> bool:
    """Whether the coordinating scope holds anything for this person."""
    return await _scope_condition(user_id, "coordinating") is not None


async def waiting_count(user_id: uuid.UUID) -> int:
    """Reports waiting for this person: in the coordinating scope those not yet forwarded or
    resolved, in the assigned scope those forwarded to their organisation."""
    waiting: Any = None
    coordinating = await _scope_condition(user_id, "coordinating")
    if coordinating is not None:
        waiting = coordinating & Incident.status.is_in(
            [IncidentStatus.reported.value, IncidentStatus.acknowledged.value]
        )
    assigned = await _scope_condition(user_id, "assigned")
    if assigned is not None:
        mine = assigned & (Incident.status == IncidentStatus.forwarded.value)
        waiting = mine if waiting is None else waiting | mine
    if waiting is None:
        return 0
    return int(await Incident.count().where(waiting))
