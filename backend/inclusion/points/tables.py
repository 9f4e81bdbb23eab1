"""Participation points: the rules they are earned by, and the ledger."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, UUID, Boolean, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class PointRuleKind(str, Enum):
    attendance = "attendance"  # each event attended
    first_event = "first_event"  # the first event ever
    first_event_after_arrival = "first_event_after_arrival"  # the first within 90 days of arrival
    volunteer_hour = "volunteer_hour"  # per verified volunteer hour
    youth_bonus = "youth_bonus"  # 14–35, on top of attendance
    brought_neighbour = "brought_neighbour"  # someone came through the resident's share card
    meeting_opinion = "meeting_opinion"  # an opinion accepted for a community meeting (governance)
    survey_answer = "survey_answer"  # a community survey, poll or evaluation answered (governance)


class PointReason(str, Enum):
    attendance = "attendance"
    first_event = "first_event"
    first_event_after_arrival = "first_event_after_arrival"
    volunteer_hours = "volunteer_hours"
    youth_bonus = "youth_bonus"
    brought_neighbour = "brought_neighbour"
    meeting_opinion = "meeting_opinion"
    survey_answer = "survey_answer"
    redemption = "redemption"  # points spent on a reward
    redemption_refund = "redemption_refund"
    expiry = "expiry"
    adjustment = "adjustment"  # staff correction with a note


class PointRule(Table, tablename="inclusion_point_rule"):
    """How many points a rule awards in a community (none: the city default row, community null)."""

    id = UUID(primary_key=True)
    community = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"), null=True, default=None
    )
    kind = Varchar(length=32, choices=PointRuleKind)
    points = Integer(help_text="per event, per person brought, or per verified hour")
    daily_cap = Integer(null=True, default=None, help_text="most points of this kind a resident earns per day")
    per_activity_cap = Integer(null=True, default=None, help_text="most points of this kind per event or team")
    active = Boolean(default=True)
    updated_at = Timestamptz()


class PointEntry(Table, tablename="inclusion_point_entry"):
    """The points ledger: rows are only added; a balance is a sum. source_key makes awards idempotent."""

    id = UUID(primary_key=True)
    user = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False)
    community = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"),
        null=True,
        default=None,
        help_text="where it was earned or spent",
    )
    points = Integer(help_text="negative when spent or expired")
    reason = Varchar(length=32, choices=PointReason)
    reason_params = JSON(default={}, help_text="what the localised reason names: event title, hours, reward")
    source_key = Varchar(length=160, unique=True)
    activity_key = Varchar(length=80, default="", help_text="event:<id> / team:<id>, for per-activity caps")
    earned_on = Date(help_text="city date, for daily caps")
    expires_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
