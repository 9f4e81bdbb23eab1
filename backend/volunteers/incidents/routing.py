"""Incident routing: which party acts on which kind of incident in a community (居·物·业·警·民),
set by staff who coordinate volunteers there; kinds left unset go to the residents' committee.

A party's organisation is one of its kind (police → a police station, …; the residents' committee
is the community itself) attached to the community or to the street or district above it: its
staff read the report's text, place and photo, so an unrelated organisation never may.
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
from backend.volunteers.incidents.names import party_name
from backend.volunteers.incidents.queries import load_community, organisation_names
from backend.volunteers.incidents.schemas import RoutingRule
from backend.volunteers.incidents.tables import IncidentKind, IncidentRouting, ResponsibleParty
from backend.volunteers.teams.guards import STAFF_COORDINATOR, may_coordinate_community

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


async def check_party_organisation(*, party: str, organisation_id: uuid.UUID, community: Mapping[str, Any]) -> None:
    """422 unless the organisation may act as this party for this community."""
    target = await organisation(organisation_id)
    if target is None:
        raise DomainError("organisation_not_found", N_("This organisation does not exist."), status=422)
    params = {"organisation_id": str(target.id), "organisation": pick(target.name)[0], "party": party_name(party)}
    if target.kind != PARTY_KINDS[ResponsibleParty(party)].value:
        raise DomainError(
            "party_organisation_wrong_kind",
            N_("{organisation} cannot act as {party}: choose an organisation of that kind."),
            params=params,
            status=422,
        )
    if party == DEFAULT_PARTY.value:
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


async def route_for(*, community_id: uuid.UUID, kind: str) -> tuple[str, uuid.UUID | None]:
    """The party that acts on this kind in this community, and its organisation."""
    row = (
        await IncidentRouting.select(IncidentRouting.party, IncidentRouting.organisation)
        .where((IncidentRouting.community == community_id) & (IncidentRouting.kind == kind))
        .first()
    )
    party, organisation = (row["party"], row["organisation"]) if row else (DEFAULT_PARTY.value, None)
    return party, party_organisation(party, organisation, community_id)


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


async def _routing_community(user_id: uuid.UUID, community_id: uuid.UUID) -> dict[str, Any]:
    community = await load_community(community_id)
    if not await may_coordinate_community(user_id=user_id, community_id=community_id):
        raise Forbidden()
    return community


async def incident_routing(*, user_id: uuid.UUID, community_id: uuid.UUID) -> list[Rule]:
    """Every kind with the party that acts on it here (the residents' committee where unset)."""
    await _routing_community(user_id, community_id)
    rows = await IncidentRouting.select(
        IncidentRouting.kind, IncidentRouting.party, IncidentRouting.organisation
    ).where(IncidentRouting.community == community_id)
    rules = {row["kind"]: row for row in rows}
    routes = []
    for kind in IncidentKind:
        rule = rules.get(kind.value)
        party = rule["party"] if rule else DEFAULT_PARTY.value
        organisation = party_organisation(party, rule["organisation"] if rule else None, community_id)
        routes.append((kind.value, party, organisation, rule is None))
    names = await organisation_names(organisation for _, _, organisation, _ in routes)
    return [
        Rule(kind, party, organisation, names.get(organisation, "") if organisation else "", default)
        for kind, party, organisation, default in routes
    ]


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
        if rule.organisation_id is not None:
            await check_party_organisation(
                party=rule.party.value, organisation_id=rule.organisation_id, community=community
            )
    try:
        async with transaction(IncidentRouting._meta.db):
            before = await IncidentRouting.select(
                IncidentRouting.kind, IncidentRouting.party, IncidentRouting.organisation
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
                before={row["kind"]: [row["party"], row["organisation"]] for row in before},
                after={rule.kind.value: [rule.party.value, rule.organisation_id] for rule in rules},
            )
    except UNIQUE_VIOLATIONS:
        raise DomainError(
            "incident_routing_conflict",
            N_("Someone else changed this routing at the same time. Please try again."),
            status=409,
        ) from None
    return await incident_routing(user_id=user_id, community_id=community_id)
