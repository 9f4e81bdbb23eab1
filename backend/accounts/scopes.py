"""The scope guard every domain asks: which role gives which permission, and whether a person holds
a permission at an organisation (a role there or anywhere above it counts)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import Enum

from backend.accounts.tables import Membership, Organisation, Role
from backend.core.errors import Forbidden


class Permission(str, Enum):
    """What a role lets its holder do within its organisation's subtree."""

    manage_organisations = "manage_organisations"
    manage_events = "manage_events"
    manage_libraries = "manage_libraries"
    manage_places = "manage_places"
    view_places = "view_places"
    coordinate_volunteers = "coordinate_volunteers"
    manage_rewards = "manage_rewards"
    view_statistics = "view_statistics"
    read_audit = "read_audit"


ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.organiser: frozenset({Permission.manage_events, Permission.view_statistics, Permission.manage_places}),
    Role.library_staff: frozenset({Permission.manage_libraries, Permission.manage_events}),
    Role.coordinator: frozenset({Permission.coordinate_volunteers}),
    # A grid worker (网格员) reads the estates, buildings and residence counts of their grid.
    Role.grid_worker: frozenset({Permission.view_places}),
}


def roles_with(permission: Permission) -> list[str]:
    return [role.value for role, permissions in ROLE_PERMISSIONS.items() if permission in permissions]


def ancestor_ids(path: str) -> list[uuid.UUID]:
    """The organisation itself and every organisation above it, from its materialised path."""
    return [uuid.UUID(part) for part in path.strip("/").split("/") if part]


def is_root(path: str) -> bool:
    """Whether the path is a tree's top (a city): one organisation and nothing above it."""
    return len(ancestor_ids(path)) == 1


def common_ancestor(paths: list[str]) -> uuid.UUID | None:
    """The lowest organisation above (or at) every one of these paths; None if they share none."""
    chains = [ancestor_ids(path) for path in paths]
    if not chains:
        return None
    shared = None
    for level in zip(*chains, strict=False):
        if len(set(level)) != 1:
            break
        shared = level[0]
    return shared


async def may(*, user_id: uuid.UUID, permission: Permission, organisation_id: uuid.UUID) -> bool:
    """May this user do ``permission`` in this organisation? A role anywhere above it counts."""
    target = await Organisation.select(Organisation.path).where(Organisation.id == organisation_id).first()
    if target is None:
        return False
    return await Membership.exists().where(
        (Membership.user == user_id)
        & Membership.organisation.is_in(ancestor_ids(target["path"]))
        & Membership.role.is_in(roles_with(permission))
    )


async def require(*, user_id: uuid.UUID, permission: Permission, organisation_id: uuid.UUID) -> None:
    """``may``, as a 403 for services to call before they change anything."""
    if not await may(user_id=user_id, permission=permission, organisation_id=organisation_id):
        raise Forbidden()


async def scope_paths(*, user_id: uuid.UUID, permission: Permission) -> list[str]:
    """Path prefixes of every subtree where the user holds ``permission`` (for scoped lists)."""
    rows = await Membership.select(Membership.organisation.path).where(
        (Membership.user == user_id) & Membership.role.is_in(roles_with(permission))
    )
    paths = sorted({row["organisation.path"] for row in rows}, key=len)
    # A subtree inside another one adds nothing.
    return [p for i, p in enumerate(paths) if not any(p.startswith(q) for q in paths[:i])]


async def filed_under(user_id: uuid.UUID) -> uuid.UUID | None:
    """The organisation an audit entry about this account is filed under: the lowest one above
    every organisation where it holds a role (so the administrators over all of them read it);
    None, for city administrators only, for an account without roles."""
    rows = await Membership.select(Membership.organisation.path).where(Membership.user == user_id)
    return common_ancestor([row["organisation.path"] for row in rows])
