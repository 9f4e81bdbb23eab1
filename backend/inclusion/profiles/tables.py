"""Resident profiles (self-declared, optional, with consent) and the children linked to a guardian."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, UUID, Boolean, Date, DoublePrecision, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class ResidentGroup(str, Enum):
    long_term_local = "long_term_local"
    new_resident = "new_resident"  # 新市民 / 新苏州人
    relocated_villager = "relocated_villager"  # 动迁居民 (过渡型社区)
    migrant_worker = "migrant_worker"  # 外来务工人员
    foreign_resident = "foreign_resident"  # 洋苏州人


class ResidentProfile(Table, tablename="inclusion_resident_profile"):
    """Self-declared, optional, with consent: what lets the app welcome and measure."""

    id = UUID(primary_key=True)
    user = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False, unique=True)
    community = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"),
        null=True,
        default=None,
        help_text="home community; points follow a move",
    )
    resident_group = Varchar(length=32, null=True, default=None, choices=ResidentGroup)
    arrival_month = Date(null=True, default=None, help_text="first day of the month they arrived")
    languages = JSON(default=[], help_text="spoken languages, codes as events use them")
    interests = JSON(default=[], help_text="event categories")
    prefers_evenings_weekends = Boolean(default=False)
    home_latitude = DoublePrecision(null=True, default=None, help_text="rounded to about 100 m, for 'near you'")
    home_longitude = DoublePrecision(null=True, default=None)
    leaderboard_opt_in = Boolean(default=False)
    consented_at = Timestamptz()
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Dependant(Table, tablename="inclusion_dependant"):
    """A child under 14: no login of their own; they take part through their guardian."""

    id = UUID(primary_key=True)
    guardian = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False, index=True)
    display_name = Varchar(length=64)
    birth_year = Integer()
    created_at = Timestamptz()
