"""Response bodies of participation statistics, recommendations and the leaderboards."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from backend.events.api import EventListItem

LeaderboardKind = Literal["points", "volunteer-hours"]
MonthText = Annotated[str, msgspec.Meta(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$", examples=["2026-10"])]
Share = Annotated[
    Annotated[float, msgspec.Meta(ge=0, le=1)] | None,
    msgspec.Meta(description="0–1; null when suppressed", examples=[0.42]),
]
ReasonCode = Literal[
    "in_your_language",
    "near_you",
    "same_community",
    "for_your_estate",
    "matches_interests",
    "welcomes_new_residents",
    "migrant_friendly",
    "foreigner_friendly",
    "for_young_people",
    "after_work_hours",
    "this_week",
    "seats_available",
]


class GroupShares(msgspec.Struct):
    """Share of the month's participants in each self-declared resident group."""

    long_term_local: Share
    new_resident: Share
    relocated_villager: Share
    migrant_worker: Share
    foreign_resident: Share
    undeclared: Annotated[float | None, msgspec.Meta(description="no profile, or no group given")]


class ParticipationRow(msgspec.Struct):
    """One community in one month. A null value is a suppressed cell, named in ``suppressed``."""

    community_id: uuid.UUID
    community_name: str
    month: MonthText
    participants: Annotated[int | None, msgspec.Meta(description="distinct residents who attended", examples=[37])]
    attendances: Annotated[int | None, msgspec.Meta(description="registrations checked in", examples=[52])]
    people: Annotated[int | None, msgspec.Meta(description="attendances counted with their party size", examples=[61])]
    repeat_participants: Annotated[
        int | None,
        msgspec.Meta(description="participants with two or more attendances in this community up to this month"),
    ]
    youth_share: Annotated[
        Share, msgspec.Meta(description="aged 14–35 that year, among participants with a birth year")
    ]
    groups: GroupShares
    new_residents_days_to_first: Annotated[
        float | None,
        msgspec.Meta(
            description="median days from arrival month to first attendance, of newcomers whose first one fell in this month"
        ),
    ]
    suppressed: Annotated[
        list[str],
        msgspec.Meta(
            description="cells hidden because they describe fewer than 5 people",
            examples=[["participants", "group:foreign_resident"]],
        ),
    ]


class ParticipationRead(msgspec.Struct):
    scope_id: uuid.UUID
    scope_name: str
    scope_kind: Literal["city", "district", "street", "community"]
    months: list[MonthText]
    min_cell_size: Annotated[
        int, msgspec.Meta(description="cells describing fewer people are suppressed", examples=[5])
    ]
    rows: list[ParticipationRow]


class ReasonRead(msgspec.Struct):
    code: ReasonCode
    text: Annotated[str, msgspec.Meta(description="short, in the caller's language", examples=["In your language"])]


class RecommendationRead(msgspec.Struct):
    event: EventListItem
    score: Annotated[float, msgspec.Meta(description="higher fits better; see the ranking rules", examples=[8.4])]
    reasons: Annotated[list[ReasonRead], msgspec.Meta(max_length=3, description="strongest first")]


class RecommendationList(msgspec.Struct):
    items: list[RecommendationRead]
    personalised: Annotated[bool, msgspec.Meta(description="false without a resident profile: nearest and soonest")]


class LeaderboardRow(msgspec.Struct):
    rank: Annotated[int, msgspec.Meta(description="1 for the top; equal values share a rank")]
    display_name: str
    # A number (whole points, or hours with one decimal): ``int | float`` would document as a
    # oneOf that every whole number matches twice, which no validator accepts.
    value: Annotated[float, msgspec.Meta(description="points, or hours with one decimal")]


class LeaderboardMe(msgspec.Struct):
    rank: Annotated[int | None, msgspec.Meta(description="null while nothing counts yet this month")]
    value: float


class LeaderboardRead(msgspec.Struct):
    kind: LeaderboardKind
    community_id: uuid.UUID
    month: Annotated[str, msgspec.Meta(examples=["2026-11"])]
    rows: list[LeaderboardRow]
    me: Annotated[LeaderboardMe | None, msgspec.Meta(description="the caller's place, if they opted in; else null")]
