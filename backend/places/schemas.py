"""Request and response bodies of the places API: estates, buildings and units, grids, where a
resident lives, estate alliances and their documents."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.core.i18n import LocaleCode

EstateKindCode = Annotated[
    Literal["commercial", "affordable", "improved", "resettlement"],
    msgspec.Meta(
        description="商品房, 保障型, 改善型, 拆迁安置 (the 'transitional' estates)", examples=["resettlement"]
    ),
]
AllianceRoleCode = Annotated[
    Literal["flagship", "partner", "allied"],
    msgspec.Meta(description="旗舰小区, 协力小区, 联合小区", examples=["flagship"]),
]
Name = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(min_length=1, max_length=80)]],
    msgspec.Meta(min_length=1, examples=[{"zh-Hans": "南园新村", "en": "Nanyuan New Village"}]),
]
Address = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=200)]],
    msgspec.Meta(examples=[{"zh-Hans": "苏州市姑苏区南园北路 88 号", "en": "88 Nanyuan North Road"}]),
]
DocumentText = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]],
    msgspec.Meta(
        min_length=1,
        examples=[{"zh-Hans": "第一条 各小区业主共同遵守……", "en": "Article 1. The owners of every estate …"}],
    ),
]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^\S(.*\S)?$", examples=["3幢"])]
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90, examples=[31.2946])]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180, examples=[120.6285])]
YearBuilt = Annotated[int, msgspec.Meta(ge=1900, le=2100, examples=[1998])]
Households = Annotated[int, msgspec.Meta(ge=0, le=100_000, examples=[640])]
FloorArea = Annotated[float, msgspec.Meta(gt=0, le=100_000, examples=[89.5])]


# --- estates, buildings, units ------------------------------------------------------------------------


class EstateCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new estate in a community the caller manages places of."""

    community_id: uuid.UUID
    name: Name
    kind: EstateKindCode
    address: Address = {}
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    year_built: YearBuilt | None = None
    households: Households | None = None
    property_company_id: uuid.UUID | None = None
    owners_committee_id: Annotated[
        uuid.UUID | None, msgspec.Meta(description="an owners' committee (业委会) implies has_owners_committee")
    ] = None
    has_owners_committee: bool = False


class EstateUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    kind: EstateKindCode | msgspec.UnsetType = msgspec.UNSET
    address: Address | msgspec.UnsetType = msgspec.UNSET
    latitude: Latitude | msgspec.UnsetType | None = msgspec.UNSET
    longitude: Longitude | msgspec.UnsetType | None = msgspec.UNSET
    year_built: YearBuilt | msgspec.UnsetType | None = msgspec.UNSET
    households: Households | msgspec.UnsetType | None = msgspec.UNSET
    property_company_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    owners_committee_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    has_owners_committee: bool | msgspec.UnsetType = msgspec.UNSET


class OrganisationBrief(msgspec.Struct):
    id: uuid.UUID
    name: Annotated[str, msgspec.Meta(examples=["苏州南园物业服务有限公司"])]


class EstateAlliance(msgspec.Struct):
    id: uuid.UUID
    name: str
    role: AllianceRoleCode


class EstateRead(msgspec.Struct):
    id: uuid.UUID
    community_id: uuid.UUID
    name: Annotated[str, msgspec.Meta(examples=["南园新村"])]
    names: Annotated[dict[str, str], msgspec.Meta(description="the name in every language written")]
    address: str
    kind: EstateKindCode
    latitude: float | None
    longitude: float | None
    year_built: int | None
    households: int | None
    property_company: OrganisationBrief | None
    owners_committee: OrganisationBrief | None
    has_owners_committee: bool
    buildings: int
    alliance: EstateAlliance | None


class BuildingCreate(msgspec.Struct, forbid_unknown_fields=True):
    label: Label


class BuildingRead(msgspec.Struct):
    id: uuid.UUID
    estate_id: uuid.UUID
    label: str
    units: int


class UnitCreate(msgspec.Struct, forbid_unknown_fields=True):
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^\S(.*\S)?$", examples=["1单元301"])]
    floor_area: FloorArea | None = None


class UnitRead(msgspec.Struct):
    id: uuid.UUID
    building_id: uuid.UUID
    label: str
    floor_area: float | None


class ImportRead(msgspec.Struct):
    buildings_added: Annotated[int, msgspec.Meta(examples=[2])]
    units_added: Annotated[int, msgspec.Meta(examples=[48])]
    units_updated: Annotated[int, msgspec.Meta(description="floor areas changed", examples=[0])]


class ResidenceCount(msgspec.Struct):
    building_id: uuid.UUID | None
    label: Annotated[str | None, msgspec.Meta(description="null: residents who named no building")]
    residents: Annotated[int | None, msgspec.Meta(description="null: fewer than five, not shown")]


class EstateResidentsRead(msgspec.Struct):
    """How many residents say they live here, never who: cells under five are not shown."""

    estate_id: uuid.UUID
    residents: int | None
    by_building: list[ResidenceCount]


# --- grids ------------------------------------------------------------------------------------------


class GridAreaIn(msgspec.Struct, forbid_unknown_fields=True):
    """A whole estate, or one building of it."""

    estate_id: uuid.UUID
    building_id: uuid.UUID | None = None


GridAreas = Annotated[
    list[GridAreaIn],
    msgspec.Meta(
        max_length=200,
        examples=[
            [
                {"estate_id": "3f1c2a9e-5b7d-4e8a-9c61-2d4b8f0a7e15"},
                {
                    "estate_id": "8a2d6c41-0f3b-4d9e-b7a5-61c9e2f84d30",
                    "building_id": "c5e71b08-94a2-4f6d-8e3c-0b7a5d29f164",
                },
            ]
        ],
    ),
]


class GridCreate(msgspec.Struct, forbid_unknown_fields=True):
    community_id: uuid.UUID
    name: Name
    areas: GridAreas = []


class GridAreasPut(msgspec.Struct, forbid_unknown_fields=True):
    areas: GridAreas


class GridAreaRead(msgspec.Struct):
    estate_id: uuid.UUID
    estate_name: str
    building_id: uuid.UUID | None
    building_label: str | None


class StaffBrief(msgspec.Struct):
    user_id: uuid.UUID
    display_name: Annotated[str, msgspec.Meta(examples=["王网格"])]


class GridRead(msgspec.Struct):
    id: uuid.UUID
    community_id: uuid.UUID
    name: str
    areas: list[GridAreaRead]
    workers: list[StaffBrief]


class BuildingHeadRead(msgspec.Struct):
    user_id: uuid.UUID
    display_name: Annotated[str, msgspec.Meta(description="masked: a resident", examples=["李*梅"])]
    appointed_at: datetime


# --- where a resident lives ---------------------------------------------------------------------------


class ResidencePut(msgspec.Struct, forbid_unknown_fields=True):
    """Where I live: the estate, optionally the building and the door. ``consent`` must be true:
    it is kept only because you agree, used for eligibility, recommendations and counts, and never
    shown to other residents."""

    estate_id: uuid.UUID
    consent: Annotated[bool, msgspec.Meta(examples=[True])]
    building_id: uuid.UUID | None = None
    unit_id: uuid.UUID | None = None


class PlaceBrief(msgspec.Struct):
    id: uuid.UUID
    name: str


class ResidenceRead(msgspec.Struct):
    estate: PlaceBrief
    community_id: uuid.UUID
    building: PlaceBrief | None
    unit: PlaceBrief | None
    consented_at: datetime
    updated_at: datetime


# --- alliances ----------------------------------------------------------------------------------------


class MemberIn(msgspec.Struct, forbid_unknown_fields=True):
    estate_id: uuid.UUID
    role: AllianceRoleCode


class AllianceCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A community's estate alliance (one per community); at most one flagship estate."""

    community_id: uuid.UUID
    name: Name
    members: Annotated[list[MemberIn], msgspec.Meta(max_length=100)] = []


class MemberPut(msgspec.Struct, forbid_unknown_fields=True):
    role: AllianceRoleCode


class EstateMonthRead(msgspec.Struct):
    """A member estate's month: null where under five people (suppressed)."""

    month: Annotated[str, msgspec.Meta(examples=["2026-11"])]
    residents: Annotated[int | None, msgspec.Meta(description="residents who said they live there")]
    participants: Annotated[int | None, msgspec.Meta(description="of them, those who attended an event that month")]
    participation_rate: Annotated[
        Annotated[float, msgspec.Meta(ge=0, le=1)] | None,
        msgspec.Meta(description="participants / residents; null when suppressed", examples=[0.18]),
    ]


class AllianceMemberRead(msgspec.Struct):
    estate_id: uuid.UUID
    name: str
    kind: EstateKindCode
    role: AllianceRoleCode
    participation: Annotated[
        list[EstateMonthRead],
        msgspec.Meta(description="on the alliance's page: the last three months, this one included"),
    ] = []


class DocumentBrief(msgspec.Struct):
    id: uuid.UUID
    title: str
    version: int


class AllianceListItem(msgspec.Struct):
    id: uuid.UUID
    community_id: uuid.UUID
    name: str
    members: int


class AllianceRead(msgspec.Struct):
    """The alliance's page: its estates and their roles, the property company they share (if one
    serves them all), and its documents."""

    id: uuid.UUID
    community_id: uuid.UUID
    name: str
    names: dict[str, str]
    members: list[AllianceMemberRead]
    shared_property_company: OrganisationBrief | None
    documents: list[DocumentBrief]
    # Places comes before events and volunteers, so it links to their lists instead of reading them.
    events_url: Annotated[
        str,
        msgspec.Meta(
            description="the alliance's events: GET /api/v1/events?alliance=<id> (add &fellowship=true for its "
            "fellowship events, 联谊活动)",
            examples=["/api/v1/events?alliance=2a7ee7f5-7991-4fce-8a6f-75c76eef29ec"],
        ),
    ] = ""
    fellowship_events_url: str = ""
    teams_url: Annotated[str, msgspec.Meta(description="the teams for the alliance's estates")] = ""


class DocumentCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A shared document, such as a joint owners' convention (共同业主公约); its first version."""

    title: Name
    body: DocumentText


class VersionCreate(msgspec.Struct, forbid_unknown_fields=True):
    body: DocumentText
    title: Name | None = None


class EstateAcknowledgements(msgspec.Struct):
    estate_id: uuid.UUID
    name: str
    acknowledged: Annotated[int | None, msgspec.Meta(description="null: fewer than five, not shown")]


class DocumentRead(msgspec.Struct):
    id: uuid.UUID
    alliance_id: uuid.UUID
    title: str
    version: int
    body: str
    locale: Annotated[str | None, msgspec.Meta(description="the language the text is served in")]
    converted: bool
    published_at: datetime
    acknowledged_by_me: Annotated[bool, msgspec.Meta(description="false when not logged in")]
    acknowledgements: Annotated[
        list[EstateAcknowledgements], msgspec.Meta(description="for the current version, per member estate")
    ]


class AcknowledgementRead(msgspec.Struct):
    document_id: uuid.UUID
    version: int
    acknowledged_at: datetime
