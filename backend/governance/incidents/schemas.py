"""Request and response bodies of the incidents API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.governance.incidents.tables import (
    IncidentKind,
    IncidentStatus,
    ResponsibleParty,
    RouteReason,
    RoutingReceiver,
)

TEXT_MAX = 1000
NOTE_MAX = 500

IncidentScope = Literal["mine", "coordinating", "assigned"]
# Whose eyes an incident is shown through: that decides the text, the reporter and the actors.
IncidentView = Literal["reporter", "coordinator", "responsible_party"]

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90, examples=[31.2946])]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180, examples=[120.6285])]


class IncidentCreate(msgspec.Struct, forbid_unknown_fields=True):
    community_id: Annotated[uuid.UUID, msgspec.Meta(examples=["0b8f4c2e-6d1a-4f3b-9c7e-2a5d8e1f4b6c"])]
    kind: Annotated[IncidentKind, msgspec.Meta(examples=["occupied_green_space"])]
    text: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=TEXT_MAX,
            description="what and where, in the reporter's words",
            examples=["3号楼东侧绿地被围起来堆放建材，已有一周。"],
        ),
    ]
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    team_id: uuid.UUID | None = None
    shift_id: Annotated[uuid.UUID | None, msgspec.Meta(description="the patrol shift the reporter was on")] = None
    estate_id: Annotated[
        uuid.UUID | None,
        msgspec.Meta(description="the estate (小区) it is in, when the reporter knows; else found from the point"),
    ] = None
    building_id: Annotated[
        uuid.UUID | None, msgspec.Meta(description="the building (楼栋) it is in; names its estate and grid")
    ] = None


class IncidentUpdate(msgspec.Struct, forbid_unknown_fields=True):
    status: Annotated[IncidentStatus, msgspec.Meta(examples=["forwarded"])]
    note: Annotated[str, msgspec.Meta(max_length=NOTE_MAX, examples=["已联系物业，明天上午清理。"])] = ""
    party: Annotated[
        ResponsibleParty | None, msgspec.Meta(description="when forwarding: another party than the routing's")
    ] = None
    party_organisation_id: Annotated[
        uuid.UUID | None, msgspec.Meta(description="when forwarding: the party's organisation, whose staff then see it")
    ] = None


class RoutingRule(msgspec.Struct, forbid_unknown_fields=True):
    kind: IncidentKind
    party: ResponsibleParty
    organisation_id: Annotated[
        uuid.UUID | None,
        msgspec.Meta(description="the party's organisation; for a receiver by place, the fallback when it finds none"),
    ] = None
    receiver: Annotated[
        RoutingReceiver,
        msgspec.Meta(
            description="named: the organisation above (or the residents' committee); estate_property_company, "
            "estate_owners_committee (party of that kind) or grid_worker (party residents_committee): the body of "
            "the report's estate or grid, resolved per report, falling back to the organisation above or the "
            "residents' committee",
            examples=["estate_property_company"],
        ),
    ] = RoutingReceiver.named


class IncidentRoutingPut(msgspec.Struct, forbid_unknown_fields=True):
    """The whole routing of a community: kinds left out go back to the residents' committee."""

    routes: Annotated[
        list[RoutingRule],
        msgspec.Meta(
            max_length=len(IncidentKind),
            description="each kind at most once",
            examples=[
                [
                    {"kind": "noise", "party": "police", "organisation_id": "5d2a7c1e-3b4f-4e8a-9d6c-1f2e3a4b5c6d"},
                    {
                        "kind": "group_renting",
                        "party": "property_company",
                        "organisation_id": "7e1b2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
                    },
                    {"kind": "safety_hazard", "party": "residents_committee", "receiver": "grid_worker"},
                ]
            ],
        ),
    ]


class NamedRef(msgspec.Struct):
    id: uuid.UUID
    name: str


class RoutingRead(msgspec.Struct):
    kind: IncidentKind
    kind_name: str
    party: ResponsibleParty
    party_name: str
    organisation: Annotated[NamedRef | None, msgspec.Meta(description="for a receiver by place: the fallback")]
    is_default: bool
    receiver: RoutingReceiver = RoutingReceiver.named
    receiver_name: str = ""


class IncidentChangeRead(msgspec.Struct):
    status: IncidentStatus
    status_name: str
    at: datetime
    at_text: str
    actor_role: str
    actor_role_name: str
    note: str
    party: ResponsibleParty | None
    party_name: str | None
    actor_name: Annotated[
        str | None, msgspec.Meta(description="coordinators only: staff by name, the reporter masked")
    ] = None


PhotoUrls = Annotated[
    dict[str, str],
    msgspec.Meta(
        description="rendition (w<width>.webp / w<width>.jpg) → URL of a route that serves it to those who may "
        "see the incident (with their token; never cached)",
        examples=[
            {
                "w480.webp": "/api/v1/incidents/0b8f4c2e-6d1a-4f3b-9c7e-2a5d8e1f4b6c/photo/w480.webp",
                "w480.jpg": "/api/v1/incidents/0b8f4c2e-6d1a-4f3b-9c7e-2a5d8e1f4b6c/photo/w480.jpg",
            }
        ],
    ),
]


class RouteRead(msgspec.Struct):
    """Where a report was routed and why, in words."""

    reason: Annotated[RouteReason, msgspec.Meta(examples=["estate_property_company"])]
    text: Annotated[str, msgspec.Meta(examples=["按事发小区“南园新村”交给其物业公司。"])]


class IncidentSummary(msgspec.Struct):
    id: uuid.UUID
    viewed_as: IncidentView
    kind: IncidentKind
    kind_name: str
    text: Annotated[str | None, msgspec.Meta(description="null for the responsible party while held for review")]
    text_held: Annotated[bool, msgspec.Meta(description="WeChat's text check asked for a person to read it first")]
    photo_urls: PhotoUrls
    latitude: float | None
    longitude: float | None
    community: NamedRef
    status: IncidentStatus
    status_name: str
    party: ResponsibleParty
    party_name: str
    party_organisation: NamedRef | None
    reporter_name: Annotated[
        str | None,
        msgspec.Meta(
            description="the reporter's display name: in full to themself, masked to coordinators, never to the party"
        ),
    ]
    team_id: uuid.UUID | None
    shift_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    estate: Annotated[NamedRef | None, msgspec.Meta(description="the estate its place resolved to")] = None
    grid: Annotated[NamedRef | None, msgspec.Meta(description="the grid covering that place")] = None
    routed: RouteRead | None = None


class ActionBrief(msgspec.Struct):
    id: uuid.UUID
    title: str
    status: str
    status_name: str
    due_on: str


class DealtWith(msgspec.Struct):
    """A meeting whose agenda took the report up, and the actions its decisions on that item set."""

    meeting_id: uuid.UUID
    kind: str
    title: str
    starts_at: datetime
    item: str
    actions: list[ActionBrief] = []


class IncidentRead(IncidentSummary):
    history: list[IncidentChangeRead] = []
    dealt_with: Annotated[
        list[DealtWith], msgspec.Meta(description="meetings that took this report up, and their actions")
    ] = []


class IncidentPage(msgspec.Struct):
    items: list[IncidentSummary]
    limit: int
    offset: int
    has_more: bool


class IncidentPhotoRead(msgspec.Struct):
    photo_urls: PhotoUrls
