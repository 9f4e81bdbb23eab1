"""Reads of accounts: who a token's session is now, the caller's own profile and sessions, and the
audit log as an administrator may read it."""

from __future__ import annotations

import base64
import functools
import operator
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from backend.accounts.scopes import Permission, common_ancestor, is_root, scope_paths
from backend.accounts.tables import Membership, Organisation, Session, User
from backend.core import clock
from backend.core.auth import session_ended, token_expired
from backend.core.context import Principal
from backend.core.db import fetch, timestamp_value
from backend.core.errors import DomainError, Forbidden, NotFound
from backend.core.i18n import N_
from backend.core.tables import AuditEntry
from backend.core.values import as_uuid

# --- who is asking -----------------------------------------------------------------------------------


_PRINCIPAL = (
    "SELECT s.revoked_at, s.expires_at, u.is_staff, u.locale, u.display_name, u.deleted_at, u.disabled_at, "
    'u.password_change_required FROM account_session s JOIN account_user u ON u.id = s."user" '
    'WHERE s.id = {} AND s."user" = {}'
)


async def load_principal(user_id: uuid.UUID, session_id: uuid.UUID) -> Principal | None:
    """Who a token's (user, session) is now, in one query by the session's primary key: None for
    an unknown session or a deleted account; a 401 for a session that was ended or has expired,
    and for a disabled account. Every request with a login runs it, so it is written out rather
    than built by the ORM each time."""
    rows = await fetch(Session._meta.db, _PRINCIPAL, (session_id, user_id))
    row = rows[0] if rows else None
    if row is None or row["deleted_at"] is not None:
        return None
    if row["disabled_at"] is not None:
        raise DomainError(
            "account_disabled", N_("This account has been disabled. Please contact an administrator."), status=401
        )
    if row["revoked_at"] is not None:
        raise session_ended()
    if timestamp_value(row["expires_at"]) <= clock.now():
        raise token_expired()
    return Principal(
        id=user_id,
        kind="staff" if bool(row["is_staff"]) else "resident",
        locale=row["locale"],
        display_name=row["display_name"],
        session_id=session_id,
        must_change_password=bool(row["is_staff"] and row["password_change_required"]),
    )


# --- one account -------------------------------------------------------------------------------------


async def get_user(*, user_id: uuid.UUID) -> User:
    """The live account, or 404 ``user_not_found``."""
    user = await User.objects().where((User.id == user_id) & User.deleted_at.is_null()).first()
    if user is None:
        raise NotFound("user_not_found", N_("This account does not exist."))
    return user


async def memberships_of(*, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The person's roles: organisation id, name ({locale: name}) and kind, and the role."""
    return (
        await Membership.select(
            Membership.organisation.id.as_alias("organisation_id"),
            Membership.organisation.name.as_alias("organisation_name"),
            Membership.organisation.kind.as_alias("organisation_kind"),
            Membership.role,
        )
        .where(Membership.user == user_id)
        .output(load_json=True)
    )


@dataclass(frozen=True)
class Profile:
    user: User
    memberships: list[dict[str, Any]]


async def get_profile(*, user_id: uuid.UUID) -> Profile:
    user = await get_user(user_id=user_id)
    return Profile(user=user, memberships=await memberships_of(user_id=user_id))


async def open_sessions(*, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """The person's sessions still open (not ended, not expired), newest first."""
    return (
        await Session.select(Session.id, Session.kind, Session.created_at, Session.expires_at, Session.address)
        .where((Session.user == user_id) & Session.revoked_at.is_null() & (Session.expires_at > clock.now()))
        .order_by(Session.created_at, ascending=False)
    )


async def sessions_kept(*, user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every session row kept about the person, ended ones too (their data export)."""
    return (
        await Session.select(
            Session.id, Session.kind, Session.created_at, Session.expires_at, Session.revoked_at, Session.address
        )
        .where(Session.user == user_id)
        .order_by(Session.created_at, ascending=False)
    )


# --- the audit log -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    actor: uuid.UUID | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    organisation: uuid.UUID | None = None  # this organisation and everything below it
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditPage:
    entries: list[dict[str, Any]]
    next_cursor: str | None
    # Where the reader's scope lies (the lowest organisation above all of it): an export of the
    # log is itself filed there.
    scope: uuid.UUID | None


class _AuditCursor(msgspec.Struct, frozen=True):
    at: datetime
    id: uuid.UUID


def _encode(cursor: _AuditCursor) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(cursor)).decode().rstrip("=")


def _decode(text: str) -> _AuditCursor:
    try:
        return msgspec.json.decode(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), type=_AuditCursor)
    except (ValueError, msgspec.DecodeError):
        raise DomainError(
            "cursor_invalid", N_("This page link is not valid; start again from the first page."), status=400
        ) from None


def _subtrees(paths: list[str]) -> Any:
    """Every organisation in these subtrees, as a sub-query."""
    within = functools.reduce(operator.or_, [Organisation.path.like(f"{path}%") for path in paths])
    return Organisation.select(Organisation.id).where(within)


async def _scope(reader: uuid.UUID) -> tuple[Any, list[str]]:
    """What the reader may read: entries filed in a subtree they administer, and those filed under
    no organisation (a resident's own deletion or export, the system) only at city level."""
    paths = await scope_paths(user_id=reader, permission=Permission.read_audit)
    if not paths:
        raise Forbidden()
    clause: Any = AuditEntry.organisation.is_in(_subtrees(paths))
    if any(is_root(path) for path in paths):
        clause |= AuditEntry.organisation.is_null()
    return clause, paths


async def _filters(filters: AuditFilters) -> list[Any]:
    clauses: list[Any] = []
    for column, value in (
        (AuditEntry.actor, filters.actor),
        (AuditEntry.action, filters.action),
        (AuditEntry.object_type, filters.object_type),
        (AuditEntry.object_id, filters.object_id),
    ):
        if value is not None:
            clauses.append(column == value)
    if filters.organisation is not None:
        row = await Organisation.select(Organisation.path).where(Organisation.id == filters.organisation).first()
        paths = [row["path"]] if row else []
        clauses.append(AuditEntry.organisation.is_in(_subtrees(paths)) if paths else AuditEntry.id.is_null())
    if filters.since is not None:
        clauses.append(AuditEntry.at >= filters.since)
    if filters.until is not None:
        clauses.append(AuditEntry.at < filters.until)
    return clauses


async def audit_entries(
    *, reader: uuid.UUID, filters: AuditFilters, cursor: str | None = None, limit: int = 50
) -> AuditPage:
    """The audit log within the reader's scope (``read_audit``), newest first, by keyset pages."""
    scope, paths = await _scope(reader)
    clauses = [scope, *await _filters(filters)]
    if cursor:
        after = _decode(cursor)
        clauses.append((AuditEntry.at < after.at) | ((AuditEntry.at == after.at) & (AuditEntry.id < after.id)))
    rows = (
        await AuditEntry.select()
        .where(functools.reduce(operator.and_, clauses))
        .order_by(AuditEntry.at, AuditEntry.id, ascending=False)
        .limit(limit + 1)
        .output(load_json=True)
    )
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = _encode(_AuditCursor(at=last["at"], id=as_uuid(last["id"])))
    return AuditPage(entries=page, next_cursor=next_cursor, scope=common_ancestor(paths))
