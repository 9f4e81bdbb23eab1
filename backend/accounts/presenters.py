"""Shaping accounts for the API: the caller's profile, a login's answer, sessions, the export, the
locales, the audit log (JSON and CSV), and what administrators read of organisations, staff
accounts and invitations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import msgspec

from backend.accounts.invites import Invitee, InviteLink
from backend.accounts.organisation_queries import OrganisationNode, OrganisationPage
from backend.accounts.queries import AuditPage, Profile
from backend.accounts.schemas import (
    AuditEntryPage,
    AuditEntryRead,
    InviteLinkRead,
    InviteRead,
    LocaleRead,
    MeExport,
    MembershipRead,
    MeRead,
    OrganisationKindName,
    OrganisationRead,
    OrganisationReadPage,
    RoleName,
    SessionKept,
    SessionKindName,
    SessionRead,
    StaffAccountRead,
    StaffRead,
    StaffReadPage,
    TokenRead,
)
from backend.accounts.services import AccountExport
from backend.accounts.sessions import Login
from backend.accounts.staff_accounts import StaffAccount
from backend.accounts.staff_queries import StaffMember, StaffPage
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
        password_change_required=bool(user.is_staff and user.password_change_required),
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


# --- administration ----------------------------------------------------------------------------------


def organisation_read(node: OrganisationNode) -> OrganisationRead:
    return OrganisationRead(
        id=node.id,
        kind=cast(OrganisationKindName, node.kind),  # the column only ever holds an OrganisationKind
        name=pick(node.name)[0],
        names=node.name,
        parent_id=node.parent_id,
        depth=node.depth,
        active_children=node.active_children,
        retired=node.retired_at is not None,
        retired_at=node.retired_at,
        created_at=node.created_at,
    )


def organisation_page(page: OrganisationPage, *, limit: int, offset: int) -> OrganisationReadPage:
    return OrganisationReadPage(
        items=[organisation_read(node) for node in page.items], limit=limit, offset=offset, has_more=page.has_more
    )


def staff_read(member: StaffMember) -> StaffRead:
    """Staff names in full: administrators answer for what their staff do (the need-to-know table)."""
    return StaffRead(
        id=member.id,
        username=member.username,
        display_name=member.display_name,
        roles=[
            MembershipRead(
                organisation_id=role.organisation_id,
                organisation_name=pick(role.organisation_name)[0],
                organisation_kind=role.organisation_kind,
                role=cast(RoleName, role.role),  # the column only ever holds a Role
            )
            for role in member.roles
        ],
        roles_elsewhere=member.roles_elsewhere,
        created_at=member.created_at,
        last_login_at=member.last_login_at,
        disabled=member.disabled_at is not None,
        disabled_at=member.disabled_at,
        password_change_required=member.password_change_required,
        invited_until=member.invited_until,
    )


def staff_page(page: StaffPage, *, limit: int, offset: int) -> StaffReadPage:
    return StaffReadPage(items=[staff_read(m) for m in page.items], limit=limit, offset=offset, has_more=page.has_more)


def invite_link_read(link: InviteLink | None) -> InviteLinkRead | None:
    return InviteLinkRead(path=link.path, expires_at=link.expires_at) if link else None


def staff_account_read(account: StaffAccount) -> StaffAccountRead:
    return StaffAccountRead(staff=staff_read(account.member), invite=invite_link_read(account.invite))


def invite_read(invitee: Invitee) -> InviteRead:
    return InviteRead(username=invitee.username, display_name=invitee.display_name, expires_at=invitee.expires_at)
