"""Request and response bodies of the accounts API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from backend.core.i18n import LocaleCode

RoleName = Literal["admin", "organiser", "library_staff", "coordinator"]

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


class MeExport(msgspec.Struct):
    """Everything the platform keeps about the caller (PIPL: a copy on request)."""

    profile: MeRead
    wechat_openid: str | None
    wechat_unionid: str | None
    phone: str | None
    last_login_at: datetime | None
    domains: Annotated[
        dict[str, Any],
        msgspec.Meta(
            description="each domain's part: events (registrations…), volunteers (profile, teams, shifts, hours, incidents), inclusion (profile, points, redemptions)…",
            examples=[{"events": {"registrations": [{"id": "0b9f…", "status": "attended"}]}}],
        ),
    ] = {}
