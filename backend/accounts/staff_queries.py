"""Staff accounts as an administrator sees them: who holds roles within what they administer.

An administrator (``manage_organisations``) sees the staff who hold a role in an organisation
they administer (or below it), with those roles and how many they hold elsewhere; staff without
any role only at city level. Anyone else sees none (403); an account outside what one sees is
"not found", like a missing one (404).
"""

from __future__ import annotations

import functools
import operator
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.columns.combination import WhereRaw

from backend.accounts import errors
from backend.accounts.scopes import Permission, is_root, scope_paths
from backend.accounts.tables import Membership, Organisation, StaffInvite, User
from backend.core import clock
from backend.core.errors import Forbidden
from backend.core.values import as_uuid


@dataclass(frozen=True)
class StaffRole:
    organisation_id: uuid.UUID
    organisation_name: dict[str, str]  # {locale: name}
    organisation_kind: str
    role: str


@dataclass(frozen=True)
class StaffMember:
    id: uuid.UUID
    username: str
    display_name: str
    roles: list[StaffRole]  # those within what the reader administers (all, for the system)
    roles_elsewhere: int  # roles outside it: the reader cannot act on the account while it has any
    created_at: datetime
    last_login_at: datetime | None
    disabled_at: datetime | None
    password_change_required: bool
    invited_until: datetime | None  # a link to choose a password, not used yet, works until then


@dataclass(frozen=True)
class StaffFilters:
    text: str | None = None  # in the username or the display name
    role: str | None = None
    organisation: uuid.UUID | None = None  # a role in this organisation or below it
    disabled: bool | None = None


@dataclass(frozen=True)
class StaffPage:
    items: list[StaffMember]
    has_more: bool


@dataclass(frozen=True)
class _Scope:
    paths: list[str]  # the subtrees the reader administers; empty for the system (everything)
    city: bool  # at city level: also the accounts without roles


_COLUMNS = (
    User.id,
    User.username,
    User.display_name,
    User.created_at,
    User.last_login_at,
    User.disabled_at,
    User.password_change_required,
)


async def _scope(reader: uuid.UUID | None) -> _Scope:
    if reader is None:
        return _Scope(paths=[], city=True)
    paths = await scope_paths(user_id=reader, permission=Permission.manage_organisations)
    if not paths:
        raise Forbidden()
    return _Scope(paths=paths, city=any(is_root(path) for path in paths))


def _within(paths: list[str]) -> Any:
    """Organisations in these subtrees, as a sub-query."""
    return Organisation.select(Organisation.id).where(
        functools.reduce(operator.or_, [Organisation.path.like(f"{path}%") for path in paths])
    )


async def _visible(scope: _Scope, filters: StaffFilters) -> Any:
    """Staff accounts the scope shows, narrowed by the filters' role and organisation."""
    roles: list[Any] = []
    if scope.paths:
        roles.append(Membership.organisation.is_in(_within(scope.paths)))
    if filters.role is not None:
        roles.append(Membership.role == filters.role)
    if filters.organisation is not None:
        row = await Organisation.select(Organisation.path).where(Organisation.id == filters.organisation).first()
        roles.append(Membership.organisation.is_in(_within([row["path"]])) if row else Membership.id.is_null())
    holding = Membership.select(Membership.user)
    clause: Any = User.id.is_in(holding.where(functools.reduce(operator.and_, roles)) if roles else holding)
    if scope.city and filters.role is None and filters.organisation is None:
        clause |= User.id.not_in(Membership.select(Membership.user))
    return (User.is_staff == True) & User.deleted_at.is_null() & clause  # noqa: E712


def _text(text: str) -> Any:
    escaped = text.strip().casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return WhereRaw(
        "(LOWER(username) LIKE {} ESCAPE '\\' OR LOWER(display_name) LIKE {} ESCAPE '\\')", pattern, pattern
    )


async def _members(rows: list[dict[str, Any]], scope: _Scope) -> list[StaffMember]:
    """The accounts of these rows with their roles (split by the scope) and pending invitations."""
    ids = [as_uuid(row["id"]) for row in rows]
    if not ids:
        return []
    held = await (
        Membership.select(
            Membership.user,
            Membership.role,
            Membership.organisation.id.as_alias("organisation_id"),
            Membership.organisation.name.as_alias("organisation_name"),
            Membership.organisation.kind.as_alias("organisation_kind"),
            Membership.organisation.path.as_alias("organisation_path"),
        )
        .where(Membership.user.is_in(ids))
        .order_by(Membership.organisation.path, Membership.role)
        .output(load_json=True)
    )
    invited = await StaffInvite.select(StaffInvite.user, StaffInvite.expires_at).where(
        StaffInvite.user.is_in(ids) & (StaffInvite.expires_at > clock.now())
    )
    until = {as_uuid(row["user"]): row["expires_at"] for row in invited}
    inside: dict[uuid.UUID, list[StaffRole]] = {user_id: [] for user_id in ids}
    outside: dict[uuid.UUID, int] = dict.fromkeys(ids, 0)
    for row in held:
        user_id = as_uuid(row["user"])
        if scope.paths and not any(row["organisation_path"].startswith(path) for path in scope.paths):
            outside[user_id] += 1
            continue
        inside[user_id].append(
            StaffRole(
                organisation_id=as_uuid(row["organisation_id"]),
                organisation_name=row["organisation_name"] or {},
                organisation_kind=row["organisation_kind"],
                role=row["role"],
            )
        )
    return [
        StaffMember(
            id=as_uuid(row["id"]),
            username=row["username"] or "",
            display_name=row["display_name"],
            roles=inside[as_uuid(row["id"])],
            roles_elsewhere=outside[as_uuid(row["id"])],
            created_at=row["created_at"],
            last_login_at=row["last_login_at"],
            disabled_at=row["disabled_at"],
            password_change_required=row["password_change_required"],
            invited_until=until.get(as_uuid(row["id"])),
        )
        for row in rows
    ]


async def list_staff(*, reader: uuid.UUID, filters: StaffFilters, limit: int = 50, offset: int = 0) -> StaffPage:
    """The staff an administrator sees, by username, a page at a time."""
    scope = await _scope(reader)
    clauses = [await _visible(scope, filters)]
    if filters.text and filters.text.strip():
        clauses.append(_text(filters.text))
    if filters.disabled is not None:
        clauses.append(User.disabled_at.is_not_null() if filters.disabled else User.disabled_at.is_null())
    rows = (
        await User.select(*_COLUMNS)
        .where(functools.reduce(operator.and_, clauses))
        .order_by(User.username, User.id)
        .limit(limit + 1)
        .offset(offset)
    )
    return StaffPage(items=await _members(rows[:limit], scope), has_more=len(rows) > limit)


async def staff_member(*, user_id: uuid.UUID, reader: uuid.UUID | None) -> StaffMember:
    """One staff account as ``reader`` sees it (``None``: the system, which sees every one):
    403 for a reader who administers nothing, 404 for an account they do not see."""
    scope = await _scope(reader)
    clause = (await _visible(scope, StaffFilters())) & (User.id == user_id)
    rows = await User.select(*_COLUMNS).where(clause)
    if not rows:
        raise errors.USER_NOT_FOUND()
    return (await _members(rows, scope))[0]
