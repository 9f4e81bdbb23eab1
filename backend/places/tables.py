"""Neighbourhood places: estates (小区) in a community, their buildings (楼栋) and units (门牌),
what a grid (网格) covers, building heads (楼道长), where a resident lives, and estate alliances
(小区联盟) with their shared documents and residents' acknowledgements."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, UUID, Boolean, DoublePrecision, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


def _organisation() -> LazyTableReference:
    return LazyTableReference("Organisation", module_path="backend.accounts.tables")


def _user() -> LazyTableReference:
    return LazyTableReference("User", module_path="backend.accounts.tables")


class EstateKind(str, Enum):
    """What kind of housing an estate is (PROPOSAL-007 §5: market-run management for commercial
    estates, government-backed for the others)."""

    commercial = "commercial"  # 商品房
    affordable = "affordable"  # 保障型
    improved = "improved"  # 改善型
    resettlement = "resettlement"  # 拆迁安置: the proposal's "transitional" estates


class AllianceRole(str, Enum):
    flagship = "flagship"  # 旗舰小区
    partner = "partner"  # 协力小区
    allied = "allied"  # 联合小区


class Estate(Table, tablename="places_estate"):
    """A residential estate (小区) in a community, with the property company and owners'
    committee that serve it (organisations of those kinds in the accounts tree)."""

    id = UUID(primary_key=True)
    community = ForeignKey(_organisation(), null=False, index=True)
    name = JSON(default={}, help_text="{locale: name}")
    address = JSON(default={}, help_text="{locale: address}")
    latitude = DoublePrecision(null=True, default=None, help_text="GCJ-02")
    longitude = DoublePrecision(null=True, default=None)
    kind = Varchar(length=16, choices=EstateKind)
    year_built = Integer(null=True, default=None)
    households = Integer(null=True, default=None)
    property_company = ForeignKey(_organisation(), null=True, default=None)
    owners_committee = ForeignKey(_organisation(), null=True, default=None)
    has_owners_committee = Boolean(default=False)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Building(Table, tablename="places_building"):
    """A building (楼栋) of an estate; its label is unique in the estate (a raw index)."""

    id = UUID(primary_key=True)
    estate = ForeignKey(Estate, null=False, index=True)
    label = Varchar(length=32, help_text="as on the building: 3幢, 12号楼")
    created_at = Timestamptz()


class Unit(Table, tablename="places_unit"):
    """A door (门牌) in a building; its label is unique in the building (a raw index)."""

    id = UUID(primary_key=True)
    building = ForeignKey(Building, null=False, index=True)
    label = Varchar(length=32, help_text="as on the door: 1单元301")
    floor_area = DoublePrecision(null=True, default=None, help_text="square metres")


class GridArea(Table, tablename="places_grid_area"):
    """What a grid covers: a whole estate (``building`` null) or one building of it. The grid
    itself is an organisation of kind ``grid`` under the community, where grid workers hold their
    role; a building is in at most one grid (a raw unique index on the building)."""

    id = UUID(primary_key=True)
    grid = ForeignKey(_organisation(), null=False, index=True)
    estate = ForeignKey(Estate, null=False, index=True)
    building = ForeignKey(Building, null=True, default=None)


class BuildingHead(Table, tablename="places_building_head"):
    """A building head (楼道长): a resident who looks after a building, appointed by community
    staff. A places-level assignment, not a role: it grants no staff permission."""

    id = UUID(primary_key=True)
    building = ForeignKey(Building, null=False, index=True)
    user = ForeignKey(_user(), null=False, index=True)
    appointed_at = Timestamptz()


class Residence(Table, tablename="places_residence"):
    """Where a resident says they live, with their consent: the estate, optionally the building
    and unit. One per resident; erased with the account; never shown to other residents."""

    id = UUID(primary_key=True)
    user = ForeignKey(_user(), null=False, unique=True)
    estate = ForeignKey(Estate, null=False, index=True)
    building = ForeignKey(Building, null=True, default=None)
    unit = ForeignKey(Unit, null=True, default=None)
    consented_at = Timestamptz()
    updated_at = Timestamptz()


class Alliance(Table, tablename="places_alliance"):
    """A community's estate alliance (小区联盟): one per community (PROPOSAL-007 §二.1)."""

    id = UUID(primary_key=True)
    community = ForeignKey(_organisation(), null=False, unique=True)
    name = JSON(default={}, help_text="{locale: name}")
    created_at = Timestamptz()


class AllianceMember(Table, tablename="places_alliance_member"):
    """An estate in an alliance, with its role; an estate is in at most one (unique)."""

    id = UUID(primary_key=True)
    alliance = ForeignKey(Alliance, null=False, index=True)
    estate = ForeignKey(Estate, null=False, unique=True)
    role = Varchar(length=16, choices=AllianceRole)
    joined_at = Timestamptz()


class AllianceDocument(Table, tablename="places_alliance_document"):
    """A document the alliance's estates share, such as a joint owners' convention (共同业主公约)."""

    id = UUID(primary_key=True)
    alliance = ForeignKey(Alliance, null=False, index=True)
    title = JSON(default={}, help_text="{locale: title}")
    current_version = Integer(default=0)
    created_at = Timestamptz()


class DocumentVersion(Table, tablename="places_document_version"):
    """One version of a document's text, {locale: text}; (document, number) is unique (a raw index)."""

    id = UUID(primary_key=True)
    document = ForeignKey(AllianceDocument, null=False, index=True)
    number = Integer()
    body = JSON(default={}, help_text="{locale: text}")
    published_at = Timestamptz()


class Acknowledgement(Table, tablename="places_acknowledgement"):
    """A resident has read and acknowledged a version; once per resident and version (a raw
    index). The estate is where they lived then, for the counts per estate."""

    id = UUID(primary_key=True)
    version = ForeignKey(DocumentVersion, null=False, index=True)
    user = ForeignKey(_user(), null=False, index=True)
    estate = ForeignKey(Estate, null=True, default=None)
    acknowledged_at = Timestamptz()
