"""The organisation tree as an administrator reads it: what they administer, in tree order.

An administrator (``manage_organisations``) reads the subtrees they administer as one flat list
in tree order (each organisation followed by what is below it; siblings by kind, as the tree
runs from city to community and then the bodies attached, then by their Chinese name), each with
its depth and parent. Anyone else reads none (403). The tree itself is no secret (its names are
on every event and branch), so an organisation outside what one administers answers 403, and
only an unknown one 404.
"""

from __future__ import annotations

import functools
import operator
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from backend.accounts import errors
from backend.accounts.scopes import Permission, ancestor_ids, may, scope_paths
from backend.accounts.tables import Organisation, OrganisationKind
from backend.core.errors import Forbidden
from backend.core.i18n import DEFAULT_LOCALE
from backend.core.values import as_uuid

_KIND_ORDER = {kind.value: position for position, kind in enumerate(OrganisationKind)}


@dataclass(frozen=True)
class OrganisationNode:
    id: uuid.UUID
    kind: str  # an OrganisationKind value
    name: dict[str, str]  # {locale: name}
    parent_id: uuid.UUID | None
    depth: int  # 0 for a city, 1 for a district, …
    path: str  # /root-id/.../own-id/
    active_children: int  # organisations right below it that are not retired
    created_at: datetime
    retired_at: datetime | None


@dataclass(frozen=True)
class OrganisationFilters:
    kind: str | None = None
    parent: uuid.UUID | None = None  # right below this organisation
    text: str | None = None  # in its name, in any language
    include_retired: bool = False


@dataclass(frozen=True)
class OrganisationPage:
    items: list[OrganisationNode]
    has_more: bool


_COLUMNS = (
    Organisation.id,
    Organisation.kind,
    Organisation.name,
    Organisation.parent,
    Organisation.path,
    Organisation.created_at,
    Organisation.retired_at,
)


def _node(row: dict[str, Any], active_children: int) -> OrganisationNode:
    return OrganisationNode(
        id=as_uuid(row["id"]),
        kind=row["kind"],
        name=row["name"] or {},
        parent_id=as_uuid(row["parent"]) if row["parent"] else None,
        depth=len(ancestor_ids(row["path"])) - 1,
        path=row["path"],
        active_children=active_children,
        created_at=row["created_at"],
        retired_at=row["retired_at"],
    )


def _in_tree_order(nodes: list[OrganisationNode]) -> list[OrganisationNode]:
    """Each organisation before what is below it; siblings by kind, then name, then id."""
    by_id = {node.id: node for node in nodes}

    def step(organisation_id: uuid.UUID) -> tuple[int, str, str]:
        node = by_id.get(organisation_id)
        if node is None:  # above what the reader administers: the same for all its subtree
            return (-1, "", str(organisation_id))
        return (_KIND_ORDER.get(node.kind, len(_KIND_ORDER)), node.name.get(DEFAULT_LOCALE, ""), str(node.id))

    return sorted(nodes, key=lambda node: [step(part) for part in ancestor_ids(node.path)])


def _matches(node: OrganisationNode, filters: OrganisationFilters) -> bool:
    if not filters.include_retired and node.retired_at is not None:
        return False
    if filters.kind is not None and node.kind != filters.kind:
        return False
    if filters.parent is not None and node.parent_id != filters.parent:
        return False
    if filters.text and filters.text.strip():
        wanted = filters.text.strip().casefold()
        return any(wanted in name.casefold() for name in node.name.values())
    return True


async def list_organisations(
    *, reader: uuid.UUID, filters: OrganisationFilters, limit: int = 200, offset: int = 0
) -> OrganisationPage:
    """The organisations the reader administers, in tree order, a page at a time. The whole of
    their subtrees is read and ordered here: a city has some thousands of organisations at most."""
    paths = await scope_paths(user_id=reader, permission=Permission.manage_organisations)
    if not paths:
        raise Forbidden()
    rows = (
        await Organisation.select(*_COLUMNS)
        .where(functools.reduce(operator.or_, [Organisation.path.like(f"{path}%") for path in paths]))
        .output(load_json=True)
    )
    nodes = [_node(row, 0) for row in rows]
    active: dict[uuid.UUID, int] = {}
    for node in nodes:
        if node.parent_id is not None and node.retired_at is None:
            active[node.parent_id] = active.get(node.parent_id, 0) + 1
    shown = [
        replace(node, active_children=active.get(node.id, 0))
        for node in _in_tree_order(nodes)
        if _matches(node, filters)
    ]
    return OrganisationPage(items=shown[offset : offset + limit], has_more=len(shown) > offset + limit)


async def organisation_node(*, organisation_id: uuid.UUID, reader: uuid.UUID | None) -> OrganisationNode:
    """One organisation as an administrator reads it (``reader=None``: the system): 404 for an
    unknown one, 403 for one they do not administer."""
    row = await Organisation.select(*_COLUMNS).where(Organisation.id == organisation_id).output(load_json=True).first()
    if row is None:
        raise errors.ORGANISATION_NOT_FOUND()
    if reader is not None and not await may(
        user_id=reader, permission=Permission.manage_organisations, organisation_id=organisation_id
    ):
        raise Forbidden()
    active = await Organisation.count().where(
        (Organisation.parent == organisation_id) & Organisation.retired_at.is_null()
    )
    return _node(row, active)
