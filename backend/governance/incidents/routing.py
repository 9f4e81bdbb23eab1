"""Incident routing: which party acts on which kind of incident in a community (居·物·业·警·民),
set by staff who coordinate volunteers there; kinds left unset go to the residents' committee.

A party's organisation is one of its kind (police → a police station, …; the residents' committee
is the community itself, or one of its grids) attached to the community or to the street or
district above it: its staff read the report's text, place and photo, so an unrelated organisation
never may.

A rule may instead name a body found from the report's place (issue 19): the estate's own property
company or owners' committee, or the workers of the grid covering it (acting for the residents'
committee). It is resolved per report through ``places.api``; where the place has no such body
(no estate found, no owners' committee, no grid) the rule's organisation, else the residents'
committee, receives it, and the report keeps the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.accounts.api import OrganisationKind, ancestor_ids, organisation, organisations
from backend.core import audit
from backend.core.db import UNIQUE_VIOLATIONS, transaction
from backend.core.errors import DomainError, Forbidden
from backend.core.i18n import N_, pick
from backend.governance.incidents.names import party_name, receiver_name
from backend.governance.incidents.queries import load_community, organisation_names
from backend.governance.incidents.schemas import RoutingRule
from backend.governance.incidents.tables import (
    IncidentKind,
    IncidentRouting,
    ResponsibleParty,
    RouteReason,
    RoutingReceiver,
)
from backend.places.api import PlaceOfReport
from backend.volunteers.api import STAFF_COORDINATOR, may_coordinate_community

DEFAULT_PARTY = ResponsibleParty.residents_committee
PARTY_KINDS: Mapping[ResponsibleParty, OrganisationKind] = {
    ResponsibleParty.police: OrganisationKind.police_station,
    ResponsibleParty.city_management: OrganisationKind.city_management,
    ResponsibleParty.property_company: OrganisationKind.property_company,
    ResponsibleParty.owners_committee: OrganisationKind.owners_committee,
    ResponsibleParty.residents_committee: OrganisationKind.community,
}
# Where a party's organisation may hang: the community itself, or the street or district above it.
SERVING_LEVELS = (OrganisationKind.community.value, OrganisationKind.street.value, OrganisationKind.district.value)
# A receiver by place acts as this party.
RECEIVER_PARTIES: Mapping[RoutingReceiver, ResponsibleParty] = {
    RoutingReceiver.estate_property_company: ResponsibleParty.property_company,
    RoutingReceiver.estate_owners_committee: ResponsibleParty.owners_committee,
    RoutingReceiver.grid_worker: ResponsibleParty.residents_committee,
}


async def check_party_organisation(*, party: str, organisation_id: uuid.UUID, community: Mapping[str, Any]) -> None:
    """422 unless the organisation may act as this party for this community."""
    target = await organisation(organisation_id)
    if target is None:
        raise DomainError("organisation_not_found", N_("This organisation does not exist."), status=422)
    params = {"organisation_id": str(target.id), "organisation": pick(target.name)[0], "party": party_name(party)}
    grid = party == DEFAULT_PARTY.value and target.kind == OrganisationKind.grid.value
    if target.kind != PARTY_KINDS[ResponsibleParty(party)].value and not grid:
        raise DomainError(
            "party_organisation_wrong_kind",
            N_("{organisation} cannot act as {party}: choose an organisation of that kind."),
            params=params,
            status=422,
        )
    if grid:  # a grid of the community: its workers act for the residents' committee
        serves = ancestor_ids(target.path)[-2:-1] == [community["id"]]
    elif party == DEFAULT_PARTY.value:
        serves = target.id == community["id"]  # the residents' committee is the community's own
    else:
        above = await organisations(ancestor_ids(community["path"]))
        levels = {ref.id for ref in above.values() if ref.kind in SERVING_LEVELS}
        parents = ancestor_ids(target.path)[-2:-1]
        serves = bool(parents) and parents[0] in levels
    if not serves:
        raise DomainError(
            "party_organisation_elsewhere",
            N_(
                "{organisation} does not serve this community: choose one attached to the community "
                "or to the street or district above it."
            ),
            params=params,
            status=422,
        )


@dataclass(frozen=True)
class Route:
    """Where one report goes, and why."""

    party: str
    organisation: uuid.UUID | None
    reason: RouteReason


# What a receiver by place takes from the place, and the reason when the place has none of it.
_BY_PLACE: Mapping[RoutingReceiver, tuple[str, RouteReason, RouteReason]] = {
    RoutingReceiver.estate_property_company: (
        "property_company_id",
        RouteReason.estate_property_company,
        RouteReason.no_property_company,
    ),
    RoutingReceiver.estate_owners_committee: (
        "owners_committee_id",
        RouteReason.estate_owners_committee,
        RouteReason.no_owners_committee,
    ),
    RoutingReceiver.grid_worker: ("grid_id", RouteReason.grid_worker, RouteReason.no_grid),
}


async def route_for(*, community_id: uuid.UUID, kind: str, place: PlaceOfReport | None = None) -> Route:
    """The party that acts on this kind in this community, its organisation, and the reason: the
    rule's receiver by place when the place has one, else the rule's organisation, else the
    residents' committee."""
    row = (
        await IncidentRouting.select(IncidentRouting.party, IncidentRouting.organisation, IncidentRouting.receiver)
        .where((IncidentRouting.community == community_id) & (IncidentRouting.kind == kind))
        .first()
    )
    if row is None:
        return Route(DEFAULT_PARTY.value, community_id, RouteReason.default)
    receiver = RoutingReceiver(row["receiver"])
    if receiver is RoutingReceiver.named:
        return Route(
            row["party"], party_organisation(row["party"], row["organisation"], community_id), RouteReason.routing
        )
    field, found, missing = _BY_PLACE[receiver]
    body = getattr(place, field) if place is not None else None
    if body is not None:
        return Route(RECEIVER_PARTIES[receiver].value, body, found)
    reason = missing if place is not None else RouteReason.no_estate
    if row["organisation"] is not None:
        return Route(row["party"], row["organisation"], reason)
    return Route(DEFAULT_PARTY.value, community_id, reason)


def party_organisation(party: str, organisation: uuid.UUID | None, community_id: uuid.UUID) -> uuid.UUID | None:
    # The residents' committee is the community's own organisation unless routing names another.
    if organisation is None and party == DEFAULT_PARTY.value:
        return community_id
    return organisation


@dataclass(frozen=True)
class Rule:
    """Who acts on one kind of incident in a community; ``is_default`` where routing names nobody."""

    kind: str
    party: str
    organisation_id: uuid.UUID | None
    organisation_name: str
    is_default: bool
    receiver: str = RoutingReceiver.named.value


async def _routing_community(user_id: uuid.UUID, community_id: uuid.UUID) -> dict[str, Any]:
    community = await load_community(community_id)
    if not await may_coordinate_community(user_id=user_id, community_id=community_id):
        raise Forbidden()
    return community


async def incident_routing(*, user_id: uuid.UUID, community_id: uuid.UUID) -> list[Rule]:
    """Every kind with the party that acts on it here (the residents' committee where unset)."""
    await _routing_community(user_id, community_id)
    rows = await IncidentRouting.select(
        IncidentRouting.kind, IncidentRouting.party, IncidentRouting.organisation, IncidentRouting.receiver
    ).where(IncidentRouting.community == community_id)
    rules = {row["kind"]: row for row in rows}
    routes = []
    for kind in IncidentKind:
        rule = rules.get(kind.value)
        party = rule["party"] if rule else DEFAULT_PARTY.value
        receiver = rule["receiver"] if rule else RoutingReceiver.named.value
        organisation = rule["organisation"] if rule else None
        if receiver == RoutingReceiver.named.value:
            organisation = party_organisation(party, organisation, community_id)
        routes.append((kind.value, party, organisation, rule is None, receiver))
    names = await organisation_names(route[2] for route in routes)
    return [
        Rule(kind, party, organisation, names.get(organisation, "") if organisation else "", default, receiver)
        for kind, party, organisation, default, receiver in routes
    ]


def _audited(party: str, organisation: uuid.UUID | None, receiver: str) -> list[Any]:
    """A rule as the audit keeps it: party and organisation, and the receiver when by place."""
    if receiver == RoutingReceiver.named.value:
        return [party, organisation]
    return [party, organisation, receiver]


async def set_incident_routing(*, user_id: uuid.UUID, community_id: uuid.UUID, rules: list[RoutingRule]) -> list[Rule]:
    """Replace a community's routing; kinds left out go back to the residents' committee."""
    community = await _routing_community(user_id, community_id)
    kinds = [rule.kind for rule in rules]
    if len(set(kinds)) != len(kinds):
        duplicate = next(kind for kind in kinds if kinds.count(kind) > 1)
        raise DomainError(
            "incident_routing_duplicate",
            N_("Each kind of incident can be routed only once."),
            params={"kind": duplicate.value},
            status=422,
        )
    for rule in rules:
        implied = RECEIVER_PARTIES.get(rule.receiver)
        if implied is not None and rule.party is not implied:
            raise DomainError(
                "routing_receiver_party",
                N_("{receiver} acts as {party}: route it as that party."),
                params={
                    "kind": rule.kind.value,
                    "receiver": receiver_name(rule.receiver.value),
                    "party": party_name(implied.value),
                },
                status=422,
            )
        if rule.organisation_id is not None:
            await check_party_organisation(
                party=rule.party.value, organisation_id=rule.organisation_id, community=community
            )
    try:
        async with transaction(IncidentRouting._meta.db):
            before = await IncidentRouting.select(
                IncidentRouting.kind, IncidentRouting.party, IncidentRouting.organisation, IncidentRouting.receiver
            ).where(IncidentRouting.community == community_id)
            await IncidentRouting.delete().where(IncidentRouting.community == community_id)
            if rules:
                await IncidentRouting.insert(
                    *[
                        IncidentRouting(
                            community=community_id,
                            kind=r.kind.value,
                            party=r.party.value,
                            organisation=r.organisation_id,
                            receiver=r.receiver.value,
                        )
                        for r in rules
                    ]
                )
            await audit.record(
                "volunteers.incident_routing_changed",
                object_type="community",
                object_id=community_id,
                organisation_id=community_id,
                permission=STAFF_COORDINATOR,
                before={row["kind"]: _audited(row["party"], row["organisation"], row["receiver"]) for row in before},
                after={r.kind.value: _audited(r.party.value, r.organisation_id, r.receiver.value) for r in rules},
            )
    except UNIQUE_VIOLATIONS:
        raise DomainError(
            "incident_routing_conflict",
            N_("Someone else changed this routing at the same time. Please try again."),
            status=409,
        ) from None
    return await incident_routing(user_id=user_id, community_id=community_id)
