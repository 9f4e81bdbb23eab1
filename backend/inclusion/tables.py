"""Inclusion: resident profiles and guardians, participation points, the points supermarket."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class ResidentGroup(str, Enum):
    long_term_local = "long_term_local"
    new_resident = "new_resident"  # 新市民 / 新苏州人
    relocated_villager = "relocated_villager"  # 动迁居民 (过渡型社区)
    migrant_worker = "migrant_worker"  # 外来务工人员
    foreign_resident = "foreign_resident"  # 洋苏州人


class PointRuleKind(str, Enum):
    attendance = "attendance"  # each event attended
    first_event = "first_event"  # the first event ever
    first_event_after_arrival = "first_event_after_arrival"  # the first within 90 days of arrival
    volunteer_hour = "volunteer_hour"  # per verified volunteer hour
    youth_bonus = "youth_bonus"  # 14–35, on top of attendance
    brought_neighbour = "brought_neighbour"  # someone came through the resident's share card


class PointReason(str, Enum):
    attendance = "attendance"
    first_event = "first_event"
    first_event_after_arrival = "first_event_after_arrival"
    volunteer_hours = "volunteer_hours"
    youth_bonus = "youth_bonus"
    brought_neighbour = "brought_neighbour"
    redemption = "redemption"  # points spent on a reward
    redemption_refund = "redemption_refund"
    expiry = "expiry"
    adjustment = "adjustment"  # staff correction with a note


class RedemptionStatus(str, Enum):
    reserved = "reserved"  # points and stock taken; waiting for pickup
    fulfilled = "fulfilled"
    cancelled = "cancelled"


class ResidentProfile(Table, tablename="inclusion_resident_profile"):
    """Self-declared, optional, with consent: what lets the app welcome and measure."""

    id = UUID(primary_key=True)
    user = ForeignKey("backend.accounts.tables.User", null=False, unique=True)
    community = ForeignKey(
        "backend.accounts.tables.Organisation",
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
    guardian = ForeignKey("backend.accounts.tables.User", null=False, index=True)
    display_name = Varchar(length=64)
    birth_year = Integer()
    created_at = Timestamptz()


class PointRule(Table, tablename="inclusion_point_rule"):
    """How many points a rule awards in a community (none: the city default row, community null)."""

    id = UUID(primary_key=True)
    community = ForeignKey("backend.accounts.tables.Organisation", null=True, default=None)
    kind = Varchar(length=32, choices=PointRuleKind)
    points = Integer(help_text="per event, per person brought, or per verified hour")
    daily_cap = Integer(null=True, default=None, help_text="most points of this kind a resident earns per day")
    per_activity_cap = Integer(null=True, default=None, help_text="most points of this kind per event or team")
    active = Boolean(default=True)
    updated_at = Timestamptz()


class PointEntry(Table, tablename="inclusion_point_entry"):
    """The points ledger: rows are only added; a balance is a sum. source_key makes awards idempotent."""

    id = UUID(primary_key=True)
    user = ForeignKey("backend.accounts.tables.User", null=False)
    community = ForeignKey(
        "backend.accounts.tables.Organisation", null=True, default=None, help_text="where it was earned or spent"
    )
    points = Integer(help_text="negative when spent or expired")
    reason = Varchar(length=32, choices=PointReason)
    reason_params = JSON(default={}, help_text="what the localised reason names: event title, hours, reward")
    source_key = Varchar(length=160, unique=True)
    activity_key = Varchar(length=80, default="", help_text="event:<id> / team:<id>, for per-activity caps")
    earned_on = Date(help_text="city date, for daily caps")
    expires_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class Reward(Table, tablename="inclusion_reward"):
    """An item of the points supermarket (积分超市)."""

    id = UUID(primary_key=True)
    community = ForeignKey("backend.accounts.tables.Organisation", null=False)
    name = JSON(default={}, help_text="{locale: name}")
    description = JSON(default={}, help_text="{locale: text}")
    image = JSON(default={}, help_text="{rendition: media path}")
    points_cost = Integer()
    stock = Integer(help_text="items left; never below zero")
    per_resident_limit = Integer(default=1)
    active_from = Timestamptz(null=True, default=None)
    active_until = Timestamptz(null=True, default=None)
    withdrawn = Boolean(default=False)
    created_by = ForeignKey("backend.accounts.tables.User", null=True, default=None)
    created_at = Timestamptz()


class Redemption(Table, tablename="inclusion_redemption"):
    id = UUID(primary_key=True)
    reward = ForeignKey(Reward, null=False)
    user = ForeignKey("backend.accounts.tables.User", null=False)
    points = Integer()
    pickup_code = Varchar(length=16, unique=True)
    status = Varchar(length=16, choices=RedemptionStatus, default=RedemptionStatus.reserved.value)
    idempotency_key = Varchar(length=128, null=True, default=None)
    created_at = Timestamptz()
    fulfilled_at = Timestamptz(null=True, default=None)
    fulfilled_by = ForeignKey("backend.accounts.tables.User", null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
