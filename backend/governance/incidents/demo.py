"""Demo incidents for 南园社区, seeded by the volunteers demo once its patrol and volunteers exist.

The routing sends group renting to the property company of the estate a report falls in and
safety hazards to the workers of its grid (issue 19: reports by place), so the demo shows both
receivers; each report is resolved and routed by the same functions a real one goes through."""

from __future__ import annotations

import uuid
from datetime import timedelta

from backend.core import clock
from backend.core.domain import DemoWorld
from backend.governance.incidents.routing import route_for
from backend.governance.incidents.tables import (
    Incident,
    IncidentChange,
    IncidentKind,
    IncidentRouting,
    IncidentStatus,
    ResponsibleParty,
    RoutingReceiver,
)
from backend.places.api import place_of_report

XINCUN_GATE = (31.2951, 120.6289)  # by 南园新村 (grid 1)
ANZHI_GATE = (31.2977, 120.6345)  # by 南园安置小区 (grid 2)


async def seed_incidents(
    accounts: DemoWorld, *, community: uuid.UUID, team: uuid.UUID, reporter: uuid.UUID, coordinator: uuid.UUID
) -> None:
    """The community's routing, by place where it can be, and three reports on their way: one
    forwarded to 南园新村's property company, one forwarded to grid 2's workers, one just reported."""
    rules = {
        IncidentKind.group_renting: (
            ResponsibleParty.property_company,
            accounts.organisations["property"],  # where a report falls in no estate
            RoutingReceiver.estate_property_company,
        ),
        IncidentKind.safety_hazard: (ResponsibleParty.residents_committee, None, RoutingReceiver.grid_worker),
        IncidentKind.illegal_construction: (
            ResponsibleParty.city_management,
            accounts.organisations["chengguan"],
            RoutingReceiver.named,
        ),
        IncidentKind.noise: (ResponsibleParty.police, accounts.organisations["police"], RoutingReceiver.named),
    }
    for kind, (party, organisation, receiver) in rules.items():
        await IncidentRouting(
            community=community, kind=kind.value, party=party.value, organisation=organisation, receiver=receiver.value
        ).save()
    reported_at = clock.now().replace(microsecond=0) - timedelta(days=3)
    forwarded = [IncidentStatus.reported, IncidentStatus.acknowledged, IncidentStatus.forwarded]
    cases = [
        (IncidentKind.group_renting, "5幢302夜间进出人员多，疑似群租", XINCUN_GATE, forwarded),
        (IncidentKind.safety_hazard, "11幢楼道堆放电动车电池，正在充电", ANZHI_GATE, forwarded),
        (IncidentKind.illegal_construction, "12幢楼顶新搭彩钢棚", ANZHI_GATE, [IncidentStatus.reported]),
    ]
    for kind, text, (latitude, longitude), steps in cases:
        place = await place_of_report(community_id=community, latitude=latitude, longitude=longitude)
        route = await route_for(community_id=community, kind=kind.value, place=place)
        incident = Incident(
            reporter=reporter,
            community=community,
            team=team,
            kind=kind.value,
            text=text,
            latitude=latitude,
            longitude=longitude,
            party=route.party,
            party_organisation=route.organisation,
            status=steps[-1].value,
            estate=place.estate_id if place else None,
            grid=place.grid_id if place else None,
            route_reason=route.reason.value,
            created_at=reported_at,
            updated_at=reported_at,
        )
        await incident.save()
        for hour, step in enumerate(steps):
            actor, role = (reporter, "reporter") if step is IncidentStatus.reported else (coordinator, "coordinator")
            await IncidentChange(
                incident=incident.id,
                status=step.value,
                actor=actor,
                actor_role=role,
                party=route.party,
                created_at=reported_at + timedelta(hours=hour),
            ).save()
