"""Incidents, the routing that names who acts on them, and every change of their status.

Self-contained: the team and the shift an incident came from are named by their dotted paths,
as a table of another domain would be.
"""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, UUID, DoublePrecision, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class IncidentKind(str, Enum):
    illegal_construction = "illegal_construction"  # 违章搭建
    occupied_green_space = "occupied_green_space"  # 毁绿占绿
    group_renting = "group_renting"  # 群租
    safety_hazard = "safety_hazard"  # 安全隐患
    noise = "noise"  # 噪音扰民
    other = "other"


class ResponsibleParty(str, Enum):
    """居·物·业·警·民: who acts on an incident."""

    police = "police"
    city_management = "city_management"
    property_company = "property_company"
    owners_committee = "owners_committee"
    residents_committee = "residents_committee"


class RoutingReceiver(str, Enum):
    """Who a routing rule names: the organisation it holds (or the residents' committee), or a body
    found from the report's place, resolved per report (issue 19)."""

    named = "named"
    estate_property_company = "estate_property_company"  # the estate's own property company
    estate_owners_committee = "estate_owners_committee"  # the estate's own owners' committee
    grid_worker = "grid_worker"  # the workers of the grid covering the place


class RouteReason(str, Enum):
    """Why a report went where it went, kept with it and said in its answer."""

    routing = "routing"  # the community's routing names the party and organisation
    default = "default"  # nothing set for this kind: the residents' committee
    estate_property_company = "estate_property_company"
    estate_owners_committee = "estate_owners_committee"
    grid_worker = "grid_worker"
    # A rule by place that found nobody: the rule's organisation, else the residents' committee.
    no_estate = "no_estate"
    no_property_company = "no_property_company"
    no_owners_committee = "no_owners_committee"
    no_grid = "no_grid"


class IncidentStatus(str, Enum):
    reported = "reported"
    acknowledged = "acknowledged"
    forwarded = "forwarded"
    resolved = "resolved"


# What a report's text becomes when its reporter deletes their account (answers say so in words).
ERASED_TEXT = ""


class Moderation(str, Enum):
    clear = "clear"
    held = "held"  # WeChat's text check said "review", or could not be asked: coordinators only


class IncidentRouting(Table, tablename="volunteer_incident_routing"):
    """Which party acts on which kind of incident in a community; (community, kind) is unique."""

    id = UUID(primary_key=True)
    community = ForeignKey(LazyTableReference("Organisation", module_path="backend.accounts.tables"), null=False)
    kind = Varchar(length=32, choices=IncidentKind)
    party = Varchar(length=32, choices=ResponsibleParty)
    organisation = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"),
        null=True,
        default=None,
        help_text="the party's organisation, whose staff then see its incidents; for a rule by place, the fallback",
    )
    receiver = Varchar(length=32, choices=RoutingReceiver, default=RoutingReceiver.named.value)


class Incident(Table, tablename="volunteer_incident"):
    id = UUID(primary_key=True)
    reporter = ForeignKey(
        LazyTableReference("User", module_path="backend.accounts.tables"),
        null=True,
        default=None,
        help_text="null once the reporter deleted their account",
    )
    community = ForeignKey(LazyTableReference("Organisation", module_path="backend.accounts.tables"), null=False)
    team = ForeignKey(
        LazyTableReference("Team", module_path="backend.volunteers.teams.tables"), null=True, default=None
    )
    shift = ForeignKey(
        LazyTableReference("Shift", module_path="backend.volunteers.shifts.tables"), null=True, default=None
    )
    kind = Varchar(length=32, choices=IncidentKind)
    text = Text()
    moderation = Varchar(length=16, choices=Moderation, default=Moderation.clear.value)
    photo = JSON(default={}, help_text="{rendition: media path}")
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    party = Varchar(length=32, choices=ResponsibleParty)
    party_organisation = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"), null=True, default=None
    )
    status = Varchar(length=16, choices=IncidentStatus, default=IncidentStatus.reported.value, index=True)
    estate = ForeignKey(
        LazyTableReference("Estate", module_path="backend.places.tables"),
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
        help_text="the estate the report's place resolved to",
    )
    grid = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"),
        null=True,
        default=None,
        on_delete=OnDelete.set_null,
        help_text="the grid covering that place",
    )
    route_reason = Varchar(length=32, choices=RouteReason, default=RouteReason.routing.value)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class IncidentChange(Table, tablename="volunteer_incident_change"):
    """Every status change of an incident: who, when, and a note."""

    id = UUID(primary_key=True)
    incident = ForeignKey(Incident, null=False)
    status = Varchar(length=16, choices=IncidentStatus)
    actor = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=True, default=None)
    actor_role = Varchar(length=32, default="", help_text="reporter, coordinator or responsible_party")
    note = Text(default="")
    party = Varchar(length=32, null=True, default=None, choices=ResponsibleParty)
    created_at = Timestamptz()
