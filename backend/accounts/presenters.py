"""Shaping accounts for the API: the caller's profile, a login's answer, sessions, the export, the
locales, and the audit log (JSON and CSV)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import msgspec

from backend.accounts.queries import AuditPage, Profile
from backend.accounts.schemas import (
    AuditEntryPage,
    AuditEntryRead,
    LocaleRead,
    MeExport,
    MembershipRead,
    MeRead,
    SessionKept,
    SessionKindName,
    SessionRead,
    TokenRead,
)
from backend.accounts.services import AccountExport
from backend.accounts.sessions import Login
from backend.core.i18n import CITY_TZ, DEFAULT_LOCALE, LOCALES, N_, NATIVE_NAMES, LocaleCode, _, pick
from backend.core.sheets import excel_csv
from backend.core.values import as_uuid, mask_phone


def me_read(profile: Profile) -> MeRead:
    """The caller's own profile: the phone masked, their roles named in the request's language."""
    user = profile.user
    return MeRead(
        id=user.id,
        display_name=user.display_name,
        locale=cast(LocaleCode | None, user.locale),  # the column only ever holds one of LOCALES
        phone_masked=mask_phone(user.phone),
        birth_year=user.birth_year,
        is_staff=user.is_staff,
        has_wechat=user.openid is not None,
        memberships=[
            MembershipRead(
                organisation_id=m["organisation_id"],
                organisation_name=pick(m["organisation_name"])[0],
                organisation_kind=m["organisation_kind"],
                role=m["role"],
            )
            for m in profile.memberships
        ],
        created_at=user.created_at,
    )


def token_read(login: Login) -> TokenRead:
    return TokenRead(
        access_token=login.token.token,
        token_type="bearer",
        expires_at=login.token.expires_at,
        created=login.created,
        user=me_read(login.profile),
    )


def session_reads(rows: Sequence[Mapping[str, Any]], current: uuid.UUID | None) -> list[SessionRead]:
    return [
        SessionRead(
            id=as_uuid(row["id"]),
            kind=cast(SessionKindName, row["kind"]),  # the column only ever holds a SessionKind
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            address=row["address"],
            current=as_uuid(row["id"]) == current,
        )
        for row in rows
    ]


def me_export(export: AccountExport) -> MeExport:
    """Unlike ``me_read``, the export shows the identifiers and the phone in full: it is the
    person's own copy."""
    user = export.profile.user
    return MeExport(
        profile=me_read(export.profile),
        wechat_openid=user.openid,
        wechat_unionid=user.unionid,
        phone=user.phone,
        last_login_at=user.last_login_at,
        sessions=[
            SessionKept(
                id=as_uuid(row["id"]),
                kind=cast(SessionKindName, row["kind"]),
                created_at=row["created_at"],
                expires_at=row["expires_at"],
                ended_at=row["revoked_at"],
                address=row["address"],
            )
            for row in export.sessions
        ],
        domains=export.domains,
    )


def locale_reads(complete: Mapping[str, float]) -> list[LocaleRead]:
    """Every locale in its own name, with the share of the interface translated into it."""
    return [
        LocaleRead(
            code=cast(LocaleCode, code),
            native_name=NATIVE_NAMES[code],
            default=code == DEFAULT_LOCALE,
            complete=complete[code],
        )
        for code in LOCALES
    ]


def _entry(row: Mapping[str, Any]) -> AuditEntryRead:
    return AuditEntryRead(
        id=as_uuid(row["id"]),
        at=row["at"],
        actor_id=as_uuid(row["actor"]) if row["actor"] else None,
        actor_kind=row["actor_kind"],
        permission=row["permission"],
        organisation_id=as_uuid(row["organisation"]) if row["organisation"] else None,
        action=row["action"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        changes=row["changes"] or {},
        address=row["address"],
        request_id=row["request_id"],
    )


def audit_page(page: AuditPage) -> AuditEntryPage:
    return AuditEntryPage(items=[_entry(row) for row in page.entries], next_cursor=page.next_cursor)


ACTOR_KINDS = {
    "staff": N_("Staff"),
    "resident": N_("Resident"),
    "anonymous": N_("Not logged in"),
    "system": N_("System"),
}


def _local(moment: datetime) -> str:
    return moment.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M:%S")


def audit_csv(page: AuditPage) -> bytes:
    """The same rows for Excel, times in the city's time: what a Chinese auditor reads."""
    header = [
        _("Time (Beijing time)"),
        _("Account"),
        _("Acting as"),
        _("Permission"),
        _("Organisation"),
        _("Action"),
        _("Object type"),
        _("Object"),
        _("Changes"),
        _("Address"),
        _("Request ID"),
    ]
    rows = [
        [
            _local(entry.at),
            str(entry.actor_id or ""),
            _(ACTOR_KINDS[entry.actor_kind]) if entry.actor_kind in ACTOR_KINDS else entry.actor_kind,
            entry.permission,
            str(entry.organisation_id or ""),
            entry.action,
            entry.object_type,
            entry.object_id,
            msgspec.json.encode(entry.changes).decode() if entry.changes else "",
            entry.address,
            entry.request_id,
        ]
        for entry in map(_entry, page.entries)
    ]
    return excel_csv(header, rows)
