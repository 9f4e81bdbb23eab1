"""Demo incidents for 南园社区, seeded by the volunteers demo once its patrol and volunteers exist."""

from __future__ import annotations

import uuid
from datetime import timedelta

from backend.core import clock
from backend.core.domain import DemoWorld
from backend.volunteers.incidents.tables import (
    Incident,
    IncidentChange,
    IncidentKind,
    IncidentRouting,
    IncidentStatus,
    ResponsibleParty,
)


async def seed_incidents(
    accounts: DemoWorld, *, community: uuid.UUID, team: uuid.UUID, reporter: uuid.UUID, coordinator: uuid.UUID
) -> None:
    """The community's routing to the demo parties, and two reports on their way: one forwarded to
    the property company, one just reported."""
    parties = {
        IncidentKind.group_renting: (ResponsibleParty.property_company, accounts.organisations["property"]),
        IncidentKind.illegal_construction: (ResponsibleParty.city_management, accounts.organisations["chengguan"]),
        IncidentKind.noise: (ResponsibleParty.police, accounts.organisations["police"]),
    }
    for kind, (party, organisation) in parties.items():
        await IncidentRouting(community=community, kind=kind.value, party=party.value, organisation=organisation).save()
    reported_at = clock.now().replace(microsecond=0) - timedelta(days=3)
    cases = [
        (
            IncidentKind.group_renting,
            "5幢302夜间进出人员多，疑似群租",
            [IncidentStatus.reported, IncidentStatus.acknowledged, IncidentStatus.forwarded],
        ),
        (IncidentKind.illegal_construction, "12幢楼顶新搭彩钢棚", [IncidentStatus.reported]),
    ]
    for kind, text, steps in cases:
        party, organisation = parties[kind]
        incident = Incident(
            reporter=reporter,
            community=community,
            team=team,
            kind=kind.value,
            text=text,
            latitude=31.2950,
            longitude=120.6288,
            party=party.value,
            party_organisation=organisation,
            status=steps[-1].value,
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
                party=party.value,
                created_at=reported_at + timedelta(hours=hour),
            ).save()
