"""Request and response bodies of teams, their members, and patrol routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.core.i18n import LocaleCode
from backend.places.api import AimIn, AimRead
from backend.volunteers.teams.tables import JoinMode, TeamKind

MemberRoleCode = Literal["member", "coordinator"]
MemberStatusCode = Literal["pending", "active", "rejected", "left"]


def _per_locale(example: dict[str, str], *, required: bool = False) -> msgspec.Meta:
    return msgspec.Meta(
        min_length=1 if required else 0,
        description="text per locale; readers get their own, else the next in their language's fallback chain",
        examples=[example],
    )


NamePerLocale = dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=60)]]
TextPerLocale = dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=1000)]]
TeamName = Annotated[
    NamePerLocale, _per_locale({"zh-Hans": "南园社区巡逻队", "en": "Nanyuan Community Patrol"}, required=True)
]
TeamDescription = Annotated[
    TextPerLocale, _per_locale({"zh-Hans": "每晚七点在社区南门集合。", "en": "We meet at the south gate at 7 pm."})
]
RouteName = Annotated[NamePerLocale, _per_locale({"zh-Hans": "南园夜巡线", "en": "Nanyuan night round"}, required=True)]
RouteDescription = Annotated[
    TextPerLocale, _per_locale({"zh-Hans": "沿河走一圈，约四十分钟。", "en": "Along the canal, about forty minutes."})
]
CheckpointName = Annotated[NamePerLocale, _per_locale({"zh-Hans": "南门岗亭", "en": "South gate booth"}, required=True)]


# --- teams ---------------------------------------------------------------------------------------


class TeamCreate(msgspec.Struct, forbid_unknown_fields=True):
    community_id: Annotated[
        uuid.UUID,
        msgspec.Meta(description="a community or a street", examples=["0b9c2a52-6f1e-4a8e-9d4b-2f5b8c1d7e60"]),
    ]
    kind: TeamKind
    name: TeamName
    description: TeamDescription = {}
    join_mode: JoinMode = JoinMode.open
    coordinator_user_ids: Annotated[
        list[uuid.UUID], msgspec.Meta(max_length=20, description="people who coordinate the team from the start")
    ] = []
    audience: Annotated[
        AimIn | None, msgspec.Meta(description="who may join, by where they live; everyone when left out")
    ] = None


class TeamUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Send only what changes."""

    name: TeamName | msgspec.UnsetType = msgspec.UNSET
    description: TeamDescription | msgspec.UnsetType = msgspec.UNSET
    join_mode: Annotated[JoinMode, msgspec.Meta(examples=["approval"])] | msgspec.UnsetType = msgspec.UNSET
    audience: AimIn | msgspec.UnsetType = msgspec.UNSET


class CommunityBrief(msgspec.Struct):
    id: uuid.UUID
    name: str


class MembershipBrief(msgspec.Struct):
    role: MemberRoleCode
    status: MemberStatusCode


class TeamRead(msgspec.Struct):
    id: uuid.UUID
    kind: TeamKind
    kind_name: str
    name: str
    locale: Annotated[LocaleCode | None, msgspec.Meta(description="the locale the name was served in")]
    converted: Annotated[
        bool, msgspec.Meta(description="the name was converted into this locale's script (Simplified → Traditional)")
    ]
    description: str
    community: CommunityBrief
    join_mode: JoinMode
    member_count: Annotated[int, msgspec.Meta(description="active members, coordinators included")]
    coordinator_names: list[str]
    my_membership: Annotated[
        MembershipBrief | None, msgspec.Meta(description="the caller's place; null when none or logged out")
    ]
    audience: Annotated[AimRead, msgspec.Meta(description="who may join, by where they live")]


class JoinRead(msgspec.Struct):
    """The caller's place in a team after asking to join or leaving."""

    team_id: uuid.UUID
    role: MemberRoleCode
    status: MemberStatusCode
    created_at: datetime
    decided_at: datetime | None


class MemberRead(msgspec.Struct):
    """A member as coordinators see them: names and phone masked."""

    user_id: uuid.UUID
    display_name: str
    real_name_masked: str | None
    phone_masked: str | None
    role: MemberRoleCode
    status: MemberStatusCode
    joined_at: datetime
    decided_at: datetime | None


# --- routes and checkpoints ----------------------------------------------------------------------


class CheckpointWrite(msgspec.Struct, forbid_unknown_fields=True):
    name: CheckpointName
    latitude: Annotated[float, msgspec.Meta(ge=-90, le=90, examples=[31.2946])]
    longitude: Annotated[float, msgspec.Meta(ge=-180, le=180, examples=[120.6285])]


Checkpoints = Annotated[
    list[CheckpointWrite],
    msgspec.Meta(
        min_length=1,
        max_length=50,
        description="the stops in walking order",
        examples=[
            [
                {"name": {"zh-Hans": "南门岗亭", "en": "South gate booth"}, "latitude": 31.2946, "longitude": 120.6285},
                {"name": {"zh-Hans": "河边凉亭", "en": "Canal pavilion"}, "latitude": 31.2958, "longitude": 120.6291},
            ]
        ],
    ),
]


class RouteCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: RouteName
    checkpoints: Checkpoints
    description: RouteDescription = {}


class RouteUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Send only what changes (the checkpoints have their own PUT: new codes, new plates)."""

    name: RouteName | msgspec.UnsetType = msgspec.UNSET
    description: RouteDescription | msgspec.UnsetType = msgspec.UNSET


class CheckpointsReplace(msgspec.Struct, forbid_unknown_fields=True):
    checkpoints: Checkpoints


class CheckpointRead(msgspec.Struct, omit_defaults=True):
    id: uuid.UUID
    position: int
    name: str
    latitude: float
    longitude: float
    code: Annotated[str | None, msgspec.Meta(description="printed on the plate; shown to coordinators only")] = None


class RouteRead(msgspec.Struct):
    id: uuid.UUID
    team_id: uuid.UUID
    name: str
    locale: LocaleCode | None
    converted: Annotated[bool, msgspec.Meta(description="the name was converted into this locale's script")]
    description: str
    checkpoints: list[CheckpointRead]
    created_at: datetime
