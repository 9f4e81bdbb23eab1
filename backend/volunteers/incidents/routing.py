"""Incident routing: which party acts on which kind of incident in a community (居·物·业·警·民),
set by staff who coordinate volunteers there; kinds left unset go to the residents' committee."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from backend.core.db import UNIQUE_VIOLATIONS, transaction
from backend.core.errors import DomainError, Forbidden
from backend.core.i18n import N_
from backend.volunteers.incidents.queries import load_community, organisation_names
from backend.volunteers.incidents.schemas import RoutingRule
from backend.volunteers.incidents.tables import IncidentKind, IncidentRouting, ResponsibleParty
from backend.volunteers.teams.guards import may_coordinate_community

DEFAULT_PARTY = ResponsibleParty.residents_committee


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
    await _routing_community(user_id, community_id)
    kinds = [rule.kind for rule in rules]
    if len(set(kinds)) != len(kinds):
        duplicate = next(kind for kind in kinds if kinds.count(kind) > 1)
        raise DomainError(
            "incident_routing_duplicate",
            N_("Each kind of incident can be routed only once."),
            params={"kind": duplicate.value},
            status=422,
        )
    organisations = list({rule.organisation_id for rule in rules if rule.organisation_id is not None})
    if organisations and len(await organisation_names(organisations)) != len(organisations):
        raise DomainError("organisation_not_found", N_("This organisation does not exist."), status=422)
    try:
        async with transaction(IncidentRouting._meta.db):
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
    except UNIQUE_VIOLATIONS:
        raise DomainError(
            "incident_routing_conflict",
            N_("Someone else changed this routing at the same time. Please try again."),
            status=409,
        ) from None
    return await incident_routing(user_id=user_id, community_id=community_id)
