"""What incidents' kinds, parties, statuses and roles are called, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping

from backend.core.i18n import N_, _
from backend.governance.incidents.tables import (
    IncidentKind,
    IncidentStatus,
    ResponsibleParty,
    RouteReason,
    RoutingReceiver,
)

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
RECEIVER_NAMES: Mapping[RoutingReceiver, str] = {
    RoutingReceiver.named: N_("The organisation named"),
    RoutingReceiver.estate_property_company: N_("The estate's property company"),
    RoutingReceiver.estate_owners_committee: N_("The estate's owners' committee"),
    RoutingReceiver.grid_worker: N_("The grid's workers"),
}
# Why a report went where it went; {estate} and {grid} are names, {party} the party's name.
REASON_TEXTS: Mapping[RouteReason, str] = {
    RouteReason.routing: N_("Routed by the community's routing for this kind of report."),
    RouteReason.default: N_("Nothing is routed for this kind of report: the residents' committee acts."),
    RouteReason.estate_property_company: N_("Routed to the property company of {estate}, where it happened."),
    RouteReason.estate_owners_committee: N_("Routed to the owners' committee of {estate}, where it happened."),
    RouteReason.grid_worker: N_("Routed to the workers of {grid}, which covers {estate}."),
    RouteReason.no_estate: N_("The place is in no known estate: routed to {party} instead."),
    RouteReason.no_property_company: N_("{estate} has no property company on record: routed to {party} instead."),
    RouteReason.no_owners_committee: N_("{estate} has no owners' committee: routed to {party} instead."),
    RouteReason.no_grid: N_("No grid covers {estate}: routed to {party} instead."),
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


def receiver_name(receiver: str) -> str:
    return _(RECEIVER_NAMES[RoutingReceiver(receiver)])


def route_text(reason: str, *, estate: str, grid: str, party: str) -> str:
    return _(REASON_TEXTS[RouteReason(reason)]).format(estate=estate, grid=grid, party=party)


def role_name(role: str) -> str:
    """'' for a change recorded without a role."""
    return _(ROLE_NAMES[role]) if role in ROLE_NAMES else ""
