"""What incidents' kinds, parties, statuses and roles are called, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping

from backend.core.i18n import N_, _
from backend.volunteers.incidents.tables import IncidentKind, IncidentStatus, ResponsibleParty

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


def kind_name(kind: str) -> str:
    return _(KIND_NAMES[IncidentKind(kind)])


def party_name(party: str) -> str:
    return _(PARTY_NAMES[ResponsibleParty(party)])


def status_name(status: str) -> str:
    return _(STATUS_NAMES[IncidentStatus(status)])


def role_name(role: str) -> str:
    """'' for a change recorded without a role."""
    return _(ROLE_NAMES[role]) if role in ROLE_NAMES else ""
