"""The accounts domain's public face: what the domains after it may know of people and
organisations (a retired organisation says so: ``OrganisationRef.retired``, ``is_retired``,
``refuse_retired``), the one scope guard they all ask ("may this person do this here?"), and what
the console needs: staff logins and logouts (sessions, the lockout, one's own password),
administering the organisation tree (listed in tree order, created, renamed, moved, retired,
restored), administering staff (listed, created with a temporary password or an invitation link,
roles granted and revoked, accounts disabled and enabled, passwords reset, sessions ended),
invitation links (who one is for, accepting it) and reading the audit log.

Later domains import this module, never accounts' tables or services.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from backend.accounts.invites import Invitee, InviteLink, accept_invite, invite_for
from backend.accounts.lockout import LoginLockout
from backend.accounts.organisation_queries import (
    OrganisationFilters,
    OrganisationNode,
    OrganisationPage,
    list_organisations,
    organisation_node,
)
from backend.accounts.organisations import (
    create_organisation,
    kinds_allowed_under,
    move_organisation,
    refuse_retired,
    rename_organisation,
    restore_organisation,
    retire_organisation,
)
from backend.accounts.presenters import audit_csv
from backend.accounts.queries import AuditFilters, AuditPage, audit_entries, load_principal, memberships_of
from backend.accounts.schemas import BirthYear
from backend.accounts.scopes import ROLE_PERMISSIONS, Permission, ancestor_ids, may, require, scope_paths
from backend.accounts.services import (
    MIN_PASSWORD_LENGTH,
    change_password,
    export_audit_log,
    login_as_developer,
    login_with_password,
    update_me,
)
from backend.accounts.sessions import Login, end_my_session, log_out, start_session
from backend.accounts.staff import (
    create_city_admin,
    create_staff,
    disable_account,
    enable_account,
    end_all_sessions,
    grant_role,
    revoke_role,
    set_password,
)
from backend.accounts.staff_accounts import StaffAccount, create_staff_account, reset_password
from backend.accounts.staff_queries import StaffFilters, StaffMember, StaffPage, StaffRole, list_staff, staff_member
from backend.accounts.tables import Membership, Organisation, OrganisationKind, Role, SessionKind, User
from backend.core.db import lock_row
from backend.core.errors import NotFound
from backend.core.i18n import N_
from backend.core.tables import AuditEntry
from backend.core.values import as_uuid

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "AuditFilters",
    "AuditPage",
    "BirthYear",
    "Invitation",
    "InviteLink",
    "Invitee",
    "Login",
    "LoginLockout",
    "OrganisationFilters",
    "OrganisationKind",
    "OrganisationNode",
    "OrganisationPage",
    "OrganisationRef",
    "Permission",
    "Person",
    "Role",
    "SessionKind",
    "StaffAccount",
    "StaffFilters",
    "StaffMember",
    "StaffPage",
    "StaffRole",
    "accept_invite",
    "ancestor_ids",
    "audit_csv",
    "audit_entries",
    "change_password",
    "communities_in_scope",
    "create_city_admin",
    "create_organisation",
    "create_staff",
    "create_staff_account",
    "disable_account",
    "enable_account",
    "end_all_sessions",
    "end_my_session",
    "export_audit_log",
    "grant_role",
    "held_permissions",
    "invitation",
    "invite_for",
    "is_member",
    "is_retired",
    "kinds_allowed_under",
    "list_organisations",
    "list_staff",
    "live_people",
    "load_principal",
    "lock_organisation",
    "lock_person",
    "log_out",
    "login_as_developer",
    "login_with_password",
    "may",
    "member_organisation_ids",
    "move_organisation",
    "organisation",
    "organisation_node",
    "organisations",
    "organisations_under",
    "people",
    "person",
    "person_by_openid",
    "person_row",
    "refuse_retired",
    "rename_organisation",
    "require",
    "require_person",
    "reset_password",
    "restore_organisation",
    "retire_organisation",
    "revoke_role",
    "role_holders",
    "scope_paths",
    "set_password",
    "staff_member",
    "start_session",
    "update_me",
    "wechat_address",
]


# --- organisations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationRef:
    id: uuid.UUID
    kind: str  # an OrganisationKind value
    name: dict[str, str]
    path: str  # /root-id/.../own-id/: ancestors and subtree by prefix
    # Out of service: keeps its data and history, takes nothing new (roles, events, teams, …).
    retired: bool = False


_ORGANISATION_COLUMNS = (
    Organisation.id,
    Organisation.kind,
    Organisation.name,
    Organisation.path,
    Organisation.retired_at,
)


def _organisation(row: dict[str, Any]) -> OrganisationRef:
    return OrganisationRef(
        id=as_uuid(row["id"]),
        kind=row["kind"],
        name=row["name"] or {},
        path=row["path"],
        retired=row["retired_at"] is not None,
    )


async def organisation(organisation_id: uuid.UUID) -> OrganisationRef | None:
    row = (
        await Organisation.select(*_ORGANISATION_COLUMNS)
        .where(Organisation.id == organisation_id)
        .output(load_json=True)
        .first()
    )
    return _organisation(row) if row else None


async def is_retired(organisation_id: uuid.UUID) -> bool:
    """Whether this organisation is out of service (False for one that does not exist)."""
    return await Organisation.exists().where(
        (Organisation.id == organisation_id) & Organisation.retired_at.is_not_null()
    )


async def organisations(organisation_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, OrganisationRef]:
    wanted = list(set(organisation_ids))
    if not wanted:
        return {}
    rows = await Organisation.select(*_ORGANISATION_COLUMNS).where(Organisation.id.is_in(wanted)).output(load_json=True)
    return {ref.id: ref for ref in map(_organisation, rows)}


async def organisations_under(path: str, *, kind: OrganisationKind | None = None) -> list[OrganisationRef]:
    """The organisation whose path this is and everything below it (of one kind, if given)."""
    query = Organisation.select(*_ORGANISATION_COLUMNS).where(Organisation.path.like(f"{path}%")).output(load_json=True)
    if kind is not None:
        query = query.where(Organisation.kind == kind.value)
    return [_organisation(row) for row in await query]


async def communities_in_scope(user_id: uuid.UUID, permission: Permission) -> list[OrganisationRef]:
    """The communities (in service) where the person holds ``permission``, there or above, in tree
    order: a console room's choice of community (each change is checked again by its service)."""
    found: dict[uuid.UUID, OrganisationRef] = {}
    for path in await scope_paths(user_id=user_id, permission=permission):
        for ref in await organisations_under(path, kind=OrganisationKind.community):
            if not ref.retired:
                found[ref.id] = ref
    return sorted(found.values(), key=lambda ref: ref.path)


async def lock_organisation(organisation_id: uuid.UUID) -> None:
    """Inside a write transaction: hold one organisation's row until it ends (PostgreSQL; SQLite's
    writers are serialised anyway), so per-organisation settings change one at a time."""
    await lock_row(Organisation._meta.db, Organisation._meta.tablename, organisation_id)


async def member_organisation_ids(user_id: uuid.UUID) -> list[uuid.UUID]:
    """The organisations where the person holds any role."""
    rows = await Membership.select(Membership.organisation).where(Membership.user == user_id)
    return sorted({as_uuid(row["organisation"]) for row in rows})


async def role_holders(organisation_id: uuid.UUID, role: Role) -> list[uuid.UUID]:
    """Who holds this role in this very organisation (a grid's workers), oldest first."""
    rows = (
        await Membership.select(Membership.user)
        .where((Membership.organisation == organisation_id) & (Membership.role == role.value))
        .order_by(Membership.created_at)
    )
    return [as_uuid(row["user"]) for row in rows]


async def is_member(user_id: uuid.UUID, organisation_id: uuid.UUID) -> bool:
    """Whether the person holds a role in this very organisation (not above it)."""
    return await Membership.exists().where((Membership.user == user_id) & (Membership.organisation == organisation_id))


# --- people ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """What other domains may know of an account. A deleted one is anonymised: no name, no phone."""

    id: uuid.UUID
    display_name: str
    phone: str | None
    birth_year: int | None
    locale: str | None
    deleted: bool
    is_staff: bool = False


_PERSON_COLUMNS = (
    User.id,
    User.display_name,
    User.phone,
    User.birth_year,
    User.locale,
    User.deleted_at,
    User.is_staff,
)


def _person(row: dict[str, Any]) -> Person:
    return Person(
        id=as_uuid(row["id"]),
        display_name=row["display_name"],
        phone=row["phone"],
        birth_year=row["birth_year"],
        locale=row["locale"],
        deleted=row["deleted_at"] is not None,
        is_staff=bool(row["is_staff"]),
    )


async def person(user_id: uuid.UUID) -> Person | None:
    row = await User.select(*_PERSON_COLUMNS).where(User.id == user_id).first()
    return _person(row) if row else None


async def people(user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Person]:
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    return {p.id: p for p in map(_person, await User.select(*_PERSON_COLUMNS).where(User.id.is_in(wanted)))}


async def require_person(user_id: uuid.UUID) -> Person:
    """The account, or 404 ``user_not_found`` for one that does not exist or was deleted."""
    found = await person(user_id)
    if found is None or found.deleted:
        raise NotFound("user_not_found", N_("This account does not exist."))
    return found


async def live_people(user_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these accounts that exist and are not deleted."""
    wanted = list(set(user_ids))
    if not wanted:
        return set()
    rows = await User.select(User.id).where(User.id.is_in(wanted) & User.deleted_at.is_null())
    return {as_uuid(row["id"]) for row in rows}


async def person_by_openid(openid: str) -> uuid.UUID | None:
    row = await User.select(User.id).where(User.openid == openid).first()
    return as_uuid(row["id"]) if row else None


@dataclass(frozen=True)
class WechatAddress:
    openid: str | None
    locale: str | None
    deleted: bool


async def wechat_address(user_id: uuid.UUID) -> WechatAddress | None:
    """Where a WeChat message or text check for this person goes (never shown to anyone)."""
    row = await User.select(User.openid, User.locale, User.deleted_at).where(User.id == user_id).first()
    if row is None:
        return None
    return WechatAddress(openid=row["openid"], locale=row["locale"], deleted=row["deleted_at"] is not None)


def person_row(user_id: uuid.UUID) -> tuple[str, uuid.UUID]:
    """The person's row, for a write transaction that holds it from its start
    (``signals.atomic(hold=...)``): ``lock_person`` in the same round trip as BEGIN."""
    return User._meta.tablename, user_id


async def lock_person(user_id: uuid.UUID) -> None:
    """Inside a write transaction: hold the person's row until it ends, so one person's concurrent
    requests (sign-ups, awards, shift places) happen one after another and see each other. Every
    domain locks the person first, before its own rows, so the lock order is the same everywhere."""
    await lock_row(User._meta.db, User._meta.tablename, user_id)


# --- what a staff member may do somewhere ---------------------------------------------------------


async def held_permissions(user_id: uuid.UUID) -> frozenset[Permission]:
    """Every permission the person holds in at least one organisation (the console's rooms)."""
    rows = await Membership.select(Membership.role).where(Membership.user == user_id)
    return frozenset(p for row in rows for p in ROLE_PERMISSIONS[Role(row["role"])])


# --- an invitation, as its page greets the person ------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """Whom a valid link invites, who invited them and to which roles ({locale: name} of each
    role's organisation)."""

    invitee: Invitee
    invited_by: str | None  # the administrator's display name; None: the system
    roles: list[tuple[str, dict[str, str]]]


async def invitation(*, token: str) -> Invitation:
    """The invitation page's greeting; an unknown, used or expired link: 404 ``invite_not_found``."""
    invitee = await invite_for(token=token)
    user = await User.select(User.id).where(User.username == invitee.username).first()
    user_id = as_uuid(user["id"]) if user else None
    issued = (
        await AuditEntry.select(AuditEntry.actor)
        .where(
            (AuditEntry.object_type == "user")
            & (AuditEntry.object_id == str(user_id))
            & AuditEntry.action.is_in(["accounts.staff_created", "accounts.invite_issued"])
        )
        .order_by(AuditEntry.at, ascending=False)
        .first()
    )
    by = await person(as_uuid(issued["actor"])) if issued and issued["actor"] else None
    held = await memberships_of(user_id=user_id) if user_id else []
    return Invitation(
        invitee=invitee,
        invited_by=by.display_name if by else None,
        roles=[(row["role"], row["organisation_name"] or {}) for row in held],
    )
