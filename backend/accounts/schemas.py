"""Request and response bodies of the accounts API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from backend.core.i18n import LocaleCode

RoleName = Literal["admin", "organiser", "library_staff", "coordinator", "grid_worker"]
SessionKindName = Literal["wechat", "password", "developer"]

DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=32, examples=["李小梅"])]
BirthYear = Annotated[int, msgspec.Meta(ge=1900, le=2100, examples=[1996])]
Phone = Annotated[
    str,
    msgspec.Meta(
        min_length=5,
        max_length=20,
        pattern=r"^(1[3-9]\d{9}|\+[1-9]\d{6,14})$",
        description="a mainland mobile number (11 digits) or an international one in E.164",
        examples=["13812345678"],
    ),
]


class WechatLogin(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=128,
            description="the code from wx.login() in the mini-program; single use, valid 5 minutes",
            examples=["0a3Xkz000kO1aP1vVz200pF8Hx3Xkz0B"],
        ),
    ]


class PasswordLogin(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64, examples=["demo-admin"])]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256, examples=["linli-demo-2026"])]


class DevLogin(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Development only: log in as a resident without WeChat (off in production)."""

    openid: Annotated[
        str, msgspec.Meta(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9_-]+$", examples=["demo-resident-1"])
    ] = "demo-resident-1"
    display_name: DisplayName | None = None


class MembershipRead(msgspec.Struct):
    organisation_id: uuid.UUID
    organisation_name: str
    organisation_kind: str
    role: RoleName


class MeRead(msgspec.Struct):
    id: uuid.UUID
    display_name: str
    locale: LocaleCode | None
    phone_masked: str | None
    birth_year: int | None
    is_staff: bool
    has_wechat: bool
    memberships: list[MembershipRead]
    created_at: datetime
    password_change_required: Annotated[
        bool,
        msgspec.Meta(
            description="staff on a password an administrator chose: every staff operation answers 403 "
            "password_change_required until they choose their own (PUT /api/v1/me/password); false for residents",
            examples=[False],
        ),
    ] = False


class MeUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Send only what changes; ``null`` clears an optional field."""

    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    locale: LocaleCode | msgspec.UnsetType | None = msgspec.UNSET
    phone: Phone | msgspec.UnsetType | None = msgspec.UNSET
    birth_year: BirthYear | msgspec.UnsetType | None = msgspec.UNSET


class TokenRead(msgspec.Struct):
    access_token: str
    token_type: str
    expires_at: datetime
    created: bool
    user: MeRead


class LocaleRead(msgspec.Struct):
    code: LocaleCode
    native_name: str
    default: bool
    complete: Annotated[
        float,
        msgspec.Meta(
            ge=0, le=1, description="share of the interface translated into this locale, 0–1", examples=[0.98]
        ),
    ] = 1.0


class SessionRead(msgspec.Struct):
    """One of the caller's open sessions (a login on some device)."""

    id: uuid.UUID
    kind: Annotated[SessionKindName, msgspec.Meta(description="how it was opened", examples=["password"])]
    created_at: Annotated[datetime, msgspec.Meta(examples=["2026-12-05T08:30:00Z"])]
    expires_at: Annotated[datetime, msgspec.Meta(examples=["2026-12-05T20:30:00Z"])]
    address: Annotated[str, msgspec.Meta(description="the address it was opened from", examples=["203.0.113.7"])]
    current: Annotated[bool, msgspec.Meta(description="the session this request came with", examples=[True])]


class SessionKept(msgspec.Struct):
    """A session as the caller's data export shows it, ended ones included."""

    id: uuid.UUID
    kind: SessionKindName
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    address: str


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=256, examples=["linli-demo-2026"])]
    new_password: Annotated[
        str,
        msgspec.Meta(
            min_length=1, max_length=256, description="at least 8 characters", examples=["lotus pond at dawn 2027"]
        ),
    ]


class AuditEntryRead(msgspec.Struct):
    """Who did what to which object, when, from where, in which role's name."""

    id: uuid.UUID
    at: Annotated[datetime, msgspec.Meta(examples=["2026-12-05T08:30:00Z"])]
    actor_id: Annotated[uuid.UUID | None, msgspec.Meta(description="the account that acted; null: the system")]
    actor_kind: Annotated[str, msgspec.Meta(description="staff, resident, anonymous or system", examples=["staff"])]
    permission: Annotated[
        str, msgspec.Meta(description="the permission used, if any", examples=["manage_organisations"])
    ]
    organisation_id: Annotated[uuid.UUID | None, msgspec.Meta(description="the organisation it is filed under")]
    action: Annotated[str, msgspec.Meta(examples=["accounts.role_granted"])]
    object_type: Annotated[str, msgspec.Meta(examples=["user"])]
    object_id: Annotated[str, msgspec.Meta(examples=["8d0c6f7e-3b5a-4f0e-9a43-2f1c0d9b7e21"])]
    changes: Annotated[
        dict[str, list[Any]],
        msgspec.Meta(description="{field: [before, after]} of what changed", examples=[{"role": [None, "organiser"]}]),
    ]
    address: Annotated[str, msgspec.Meta(description="the client's address", examples=["203.0.113.7"])]
    request_id: Annotated[str, msgspec.Meta(examples=["5f1c2a7b9e0d4c3a8b6f1e2d3c4b5a69"])]


class AuditEntryPage(msgspec.Struct):
    items: list[AuditEntryRead]
    next_cursor: Annotated[
        str | None, msgspec.Meta(description="pass as ?cursor= for older entries; null on the last page")
    ]


class MeExport(msgspec.Struct):
    """Everything the platform keeps about the caller (PIPL: a copy on request)."""

    profile: MeRead
    wechat_openid: str | None
    wechat_unionid: str | None
    phone: str | None
    last_login_at: datetime | None
    sessions: list[SessionKept]
    domains: Annotated[
        dict[str, Any],
        msgspec.Meta(
            description="each domain's part: events (registrations…), volunteers (profile, teams, shifts, hours, incidents), inclusion (profile, points, redemptions)…",
            examples=[{"events": {"registrations": [{"id": "0b9f…", "status": "attended"}]}}],
        ),
    ] = {}


# --- administration: organisations ------------------------------------------------------------------

OrganisationKindName = Literal[
    "city",
    "district",
    "street",
    "community",
    "library",
    "cultural_centre",
    "volunteer_association",
    "property_company",
    "owners_committee",
    "police_station",
    "city_management",
    "grid",
]
_ORGANISATION_ID = "5b7e2c1a-9d4f-4e8b-a1c3-0f6d2e9b8a47"
_PARENT_ID = "0c9a4f3e-2b1d-4c6a-8e7f-5d3b1a9c2e60"
_NAMES = {"zh-Hans": "南园社区书屋", "en": "Nanyuan Reading Room", "ja": "南園コミュニティ書房"}
OrganisationName = Annotated[str, msgspec.Meta(max_length=80)]


class OrganisationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new organisation under one the caller administers, of a kind that fits there (district
    under city, street under district, community under street; bodies where they serve)."""

    kind: Annotated[OrganisationKindName, msgspec.Meta(examples=["library"])]
    parent_id: Annotated[uuid.UUID, msgspec.Meta(examples=[_PARENT_ID])]
    name: Annotated[
        dict[LocaleCode, OrganisationName],
        msgspec.Meta(description="its name per language, zh-Hans required; trimmed", examples=[_NAMES]),
    ]


class OrganisationRename(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[
        dict[LocaleCode, OrganisationName | None],
        msgspec.Meta(
            description="a name replaces that language's, null (or an empty name) removes it, a language "
            "left out keeps its name; zh-Hans cannot be removed",
            examples=[{"en": "Nanyuan Community Reading Room", "ko": None}],
        ),
    ]


class OrganisationMove(msgspec.Struct, forbid_unknown_fields=True):
    parent_id: Annotated[
        uuid.UUID,
        msgspec.Meta(
            description="the new parent: administered by the caller, active, of a kind that fits", examples=[_PARENT_ID]
        ),
    ]


class OrganisationRead(msgspec.Struct):
    """An organisation in the tree, as its administrators see it."""

    id: Annotated[uuid.UUID, msgspec.Meta(examples=[_ORGANISATION_ID])]
    kind: Annotated[OrganisationKindName, msgspec.Meta(examples=["library"])]
    name: Annotated[str, msgspec.Meta(description="in the caller's language", examples=["南园社区书屋"])]
    names: Annotated[dict[str, str], msgspec.Meta(description="every language's name", examples=[_NAMES])]
    parent_id: Annotated[uuid.UUID | None, msgspec.Meta(description="null for a city", examples=[_PARENT_ID])]
    depth: Annotated[int, msgspec.Meta(description="0 for a city, 1 for a district, …", examples=[4])]
    active_children: Annotated[
        int, msgspec.Meta(description="organisations right below it that are not retired", examples=[0])
    ]
    retired: Annotated[bool, msgspec.Meta(examples=[False])]
    retired_at: Annotated[datetime | None, msgspec.Meta(examples=[None])]
    created_at: Annotated[datetime, msgspec.Meta(examples=["2026-12-05T08:30:00Z"])]


class OrganisationReadPage(msgspec.Struct):
    items: Annotated[
        list[OrganisationRead],
        msgspec.Meta(description="in tree order: each organisation, then what is below it"),
    ]
    limit: int
    offset: int
    has_more: Annotated[bool, msgspec.Meta(description="more follow: ask again with offset + limit")]


# --- administration: staff accounts ----------------------------------------------------------------

_USER_ID = "8d0c6f7e-3b5a-4f0e-9a43-2f1c0d9b7e21"
Username = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        description="3–32 of a-z, 0-9, dot, hyphen and underscore; unique whatever the case",
        examples=["li.xiaomei"],
    ),
]
TemporaryPassword = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=256,
        description="at least 8 characters, told to the person (by phone); they must choose their own at first",
        examples=["lotus pond 2027"],
    ),
]


class StaffCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new staff account with its first role, and either a temporary password or an invitation."""

    username: Username
    display_name: DisplayName
    role: Annotated[
        RoleName | None,
        msgspec.Meta(description="the first role; only city administrators may leave it out", examples=["organiser"]),
    ] = None
    organisation_id: Annotated[
        uuid.UUID | None, msgspec.Meta(description="where the first role is held", examples=[_PARENT_ID])
    ] = None
    password: TemporaryPassword | None = None
    invite: Annotated[
        bool,
        msgspec.Meta(description="instead of a password: answer with a one-time link to choose one", examples=[False]),
    ] = False


class RoleGrant(msgspec.Struct, forbid_unknown_fields=True):
    organisation_id: Annotated[uuid.UUID, msgspec.Meta(examples=[_PARENT_ID])]
    role: Annotated[RoleName, msgspec.Meta(examples=["coordinator"])]


class PasswordReset(msgspec.Struct, forbid_unknown_fields=True):
    """Either a temporary password or a new invitation link; every session of the person ends."""

    password: TemporaryPassword | None = None
    invite: Annotated[bool, msgspec.Meta(examples=[True])] = False


class StaffRead(msgspec.Struct):
    """A staff account as an administrator sees it."""

    id: Annotated[uuid.UUID, msgspec.Meta(examples=[_USER_ID])]
    username: Annotated[str, msgspec.Meta(examples=["li.xiaomei"])]
    display_name: Annotated[str, msgspec.Meta(examples=["李小梅"])]
    roles: Annotated[list[MembershipRead], msgspec.Meta(description="the roles held where the caller administers")]
    roles_elsewhere: Annotated[
        int,
        msgspec.Meta(
            description="roles held outside what the caller administers: while there are any, only an "
            "administrator above all of them can disable the account or reset its password",
            examples=[0],
        ),
    ]
    created_at: Annotated[datetime, msgspec.Meta(examples=["2026-12-05T08:30:00Z"])]
    last_login_at: Annotated[datetime | None, msgspec.Meta(examples=["2026-12-06T01:12:00Z"])]
    disabled: Annotated[bool, msgspec.Meta(examples=[False])]
    disabled_at: Annotated[datetime | None, msgspec.Meta(examples=[None])]
    password_change_required: Annotated[
        bool, msgspec.Meta(description="still on a temporary password", examples=[True])
    ]
    invited_until: Annotated[
        datetime | None,
        msgspec.Meta(description="an invitation link not used yet works until then", examples=[None]),
    ]


class StaffReadPage(msgspec.Struct):
    items: Annotated[list[StaffRead], msgspec.Meta(description="by username")]
    limit: int
    offset: int
    has_more: Annotated[bool, msgspec.Meta(description="more follow: ask again with offset + limit")]


class InviteLinkRead(msgspec.Struct):
    """Shown once: only a hash of its token is kept. Hand it to the person (not by a public channel)."""

    path: Annotated[
        str,
        msgspec.Meta(
            description="the console page where the person chooses a password; single use",
            examples=["/console/invite/Qm9vLWZhci1iYXotcXV4LXNhbXBsZS10b2tlbi0xMjM0"],
        ),
    ]
    expires_at: Annotated[
        datetime, msgspec.Meta(description="72 hours after it was made", examples=["2026-12-08T08:30:00Z"])
    ]


class StaffAccountRead(msgspec.Struct):
    """A staff account just made or reset, with the invitation link it asked for (else null)."""

    staff: StaffRead
    invite: InviteLinkRead | None


class InviteRead(msgspec.Struct):
    """A valid invitation: whom it is for, and until when it works."""

    username: Annotated[str, msgspec.Meta(examples=["li.xiaomei"])]
    display_name: Annotated[str, msgspec.Meta(examples=["李小梅"])]
    expires_at: Annotated[datetime, msgspec.Meta(examples=["2026-12-08T08:30:00Z"])]


class InviteAccept(msgspec.Struct, forbid_unknown_fields=True):
    password: Annotated[
        str,
        msgspec.Meta(
            min_length=1, max_length=256, description="at least 8 characters", examples=["lotus pond at dawn 2027"]
        ),
    ]
