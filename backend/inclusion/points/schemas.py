"""Request and response bodies of point rules and of the resident's own points."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

PointRuleKindCode = Literal[
    "attendance",
    "first_event",
    "first_event_after_arrival",
    "volunteer_hour",
    "youth_bonus",
    "brought_neighbour",
    "meeting_opinion",
    "survey_answer",
]
PointReasonCode = Literal[
    "attendance",
    "first_event",
    "first_event_after_arrival",
    "volunteer_hours",
    "youth_bonus",
    "brought_neighbour",
    "meeting_opinion",
    "survey_answer",
    "redemption",
    "redemption_refund",
    "expiry",
    "adjustment",
]
RuleSource = Literal["default", "city", "community"]

Points = Annotated[int, msgspec.Meta(ge=0, le=1000, examples=[10])]
Cap = Annotated[int, msgspec.Meta(ge=0, le=100_000, examples=[30])]


# --- point rules -----------------------------------------------------------------------------------


class PointRuleWrite(msgspec.Struct, forbid_unknown_fields=True):
    kind: Annotated[PointRuleKindCode, msgspec.Meta(examples=["attendance"])]
    points: Annotated[Points, msgspec.Meta(description="per event, per person brought, or per verified hour")]
    daily_cap: Annotated[Cap | None, msgspec.Meta(description="most points of this kind per resident per day")] = None
    per_activity_cap: Annotated[Cap | None, msgspec.Meta(description="most points of this kind per event or team")] = (
        None
    )
    active: bool = True


class PointRulesReplace(msgspec.Struct, forbid_unknown_fields=True):
    """The community's own rules; a kind left out follows the city-wide rule again."""

    rules: Annotated[
        list[PointRuleWrite],
        msgspec.Meta(
            max_length=6,
            examples=[[{"kind": "attendance", "points": 12, "daily_cap": 36, "active": True}]],
        ),
    ]


class PointRuleRead(msgspec.Struct):
    kind: PointRuleKindCode
    name: str
    points: int
    daily_cap: int | None
    per_activity_cap: int | None
    active: bool
    source: Annotated[
        RuleSource, msgspec.Meta(description="where the rule comes from: built in, the city, or this community")
    ]


# --- my points -------------------------------------------------------------------------------------


class PointEntryRead(msgspec.Struct):
    id: uuid.UUID
    points: int
    reason: PointReasonCode
    reason_text: Annotated[str, msgspec.Meta(examples=["Attended: Pingtan Evening"])]
    created_at: datetime
    expires_at: datetime | None


class PointsRead(msgspec.Struct):
    balance: int
    expiring_soon: Annotated[int, msgspec.Meta(description="points that expire within 30 days")]
    entries: Annotated[list[PointEntryRead], msgspec.Meta(description="newest first")]
    total: int
    limit: int
    offset: int
