"""Request and response bodies of the accounts API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from backend.core.i18n import LocaleCode

RoleName = Literal["admin", "organiser", "library_staff", "coordinator"]
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
