"""Request and response bodies of resident profiles and guardians' children."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.accounts.api import BirthYear
from backend.events.api import CategoryCode, SpokenLanguage

ResidentGroupCode = Literal[
    "long_term_local", "new_resident", "relocated_villager", "migrant_worker", "foreign_resident"
]
AgeBand = Literal["child", "youth", "adult", "senior"]

ArrivalMonth = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$",
        description="the month the resident moved here, YYYY-MM; not in the future",
        examples=["2026-09"],
    ),
]
DependantName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=32, description="what the family calls the child", examples=["小宝"])
]


class HomeLocation(msgspec.Struct, forbid_unknown_fields=True):
    """Near the resident's home (GCJ-02); kept rounded to 3 decimals, about 100 m, never exact."""

    latitude: Annotated[float, msgspec.Meta(ge=-90, le=90, examples=[31.295])]
    longitude: Annotated[float, msgspec.Meta(ge=-180, le=180, examples=[120.629])]


class ResidentProfileWrite(msgspec.Struct, forbid_unknown_fields=True):
    """Everything is optional and self-declared; ``consent`` must be true. A PUT replaces the
    whole profile: fields left out are cleared."""

    consent: Annotated[
        bool,
        msgspec.Meta(
            description="agreement to keep this profile and use it for welcomes and statistics", examples=[True]
        ),
    ]
    community_id: Annotated[
        uuid.UUID | None, msgspec.Meta(description="home community (an organisation of kind community)")
    ] = None
    resident_group: ResidentGroupCode | None = None
    arrival_month: ArrivalMonth | None = None
    languages: Annotated[list[SpokenLanguage], msgspec.Meta(max_length=10, examples=[["zh", "en"]])] = []
    interests: Annotated[
        list[CategoryCode],
        msgspec.Meta(max_length=11, description="event categories", examples=[["performance", "reading"]]),
    ] = []
    prefers_evenings_weekends: bool = False
    home: Annotated[
        HomeLocation | None,
        msgspec.Meta(description="optional; stored rounded to 3 decimals (about 100 m) and used only for 'near you'"),
    ] = None
    leaderboard_opt_in: Annotated[bool, msgspec.Meta(description="show me on community leaderboards")] = False


class ResidentProfileRead(msgspec.Struct):
    community_id: uuid.UUID | None
    community_name: str | None
    resident_group: ResidentGroupCode | None
    arrival_month: str | None
    languages: list[str]
    interests: list[str]
    prefers_evenings_weekends: bool
    home: HomeLocation | None
    leaderboard_opt_in: bool
    age_band: Annotated[AgeBand | None, msgspec.Meta(description="from the account's birth year; youth is 14–35")]
    consented_at: datetime
    updated_at: datetime


class DependantCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A child under 14 who takes part through the guardian's account (no login of their own)."""

    display_name: DependantName
    birth_year: BirthYear


class DependantRead(msgspec.Struct):
    id: uuid.UUID
    display_name: str
    birth_year: int
    created_at: datetime
