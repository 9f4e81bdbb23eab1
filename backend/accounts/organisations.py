"""The organisation tree, administered: which kind may sit under which (``PLACEMENT``, the one
statement of that rule), and organisations created, renamed, moved, retired and restored.

Each change names the administrator acting (``by``: they need ``manage_organisations`` where the
rule below says) or none (the system: the CLI, the demo, tests), and is audited in its
transaction, filed under the organisation itself. Changes to one city's tree take turns: each
holds the city's row first (PostgreSQL; SQLite's writers queue anyway) and reads the tree again
under it, so a move never interleaves with a creation, another move or a retirement in that tree.

Who may do what: a new organisation needs its parent administered; a rename, the organisation
itself; a move, its present parent and its new one; retiring and restoring, its parent (a
structural change belongs to whoever administers the level above). A retired organisation keeps
its data, history and roles, but takes no new roles and nothing new under it; it cannot be
retired while anything below it is active, nor restored under a retired parent. The city (a
tree's root) is neither moved nor retired.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import cast

from backend.accounts import errors
from backend.accounts.scopes import Permission, ancestor_ids, require
from backend.accounts.tables import Organisation
from backend.accounts.tables import OrganisationKind as K
from backend.core import audit, clock
from backend.core.db import lock_row, transaction
from backend.core.errors import Forbidden
from backend.core.i18n import DEFAULT_LOCALE, LOCALES, pick

# Which kind may sit under which. The administrative tree is fixed (district under city, street
# under district, community under street); the bodies attached to it hang where Suzhou has them
# (PROPOSAL-007 and the city's answer to it).
PLACEMENT: Mapping[K, frozenset[K | None]] = {
    K.city: frozenset({None}),
    K.district: frozenset({K.city}),
    K.street: frozenset({K.district}),
    K.community: frozenset({K.street}),
    # The city library, district libraries, branches (分馆) in streets, e-reading rooms in communities.
    K.library: frozenset({K.city, K.district, K.street, K.community}),
    # District cultural centres (文化馆), street culture stations (文化站), community activity centres.
    K.cultural_centre: frozenset({K.district, K.street, K.community}),
    # Volunteer teams are organised by a community or by its street.
    K.volunteer_association: frozenset({K.street, K.community}),
    # A property company serves a community's estates, or several communities of one street.
    K.property_company: frozenset({K.street, K.community}),
    # An owners' committee (业委会) is one estate's, inside a community.
    K.owners_committee: frozenset({K.community}),
    # A police station (派出所) serves a street; a community police office (警务室) a community.
    K.police_station: frozenset({K.street, K.community}),
    # City management (城管): the district brigade and its street squads.
    K.city_management: frozenset({K.district, K.street}),
    # A grid (网格) divides one community's estates and buildings among its grid workers.
    K.grid: frozenset({K.community}),
}

NAME_LIMIT = 80
MANAGE = Permission.manage_organisations


def fits(kind: K, parent_kind: K | None) -> bool:
    return parent_kind in PLACEMENT[kind]


def kinds_allowed_under(parent_kind: str | None) -> list[K]:
    """The kinds that may be made under an organisation of this kind (None: a new city)."""
    parent = K(parent_kind) if parent_kind is not None else None
    return [kind for kind in K if fits(kind, parent)]


def clean_names(names: Mapping[str, str | None], *, require_default: bool = True) -> dict[str, str]:
    """A name per locale as kept: the app's locales only, trimmed, a blank one left out, at most
    ``NAME_LIMIT`` characters, printable; Simplified Chinese required (the system may name a city
    in one language of its choosing)."""
    cleaned = {}
    for locale, text in names.items():
        if locale not in LOCALES or (text is not None and not isinstance(text, str)):
            raise errors.ORGANISATION_NAME_INVALID(limit=NAME_LIMIT)
        text = (text or "").strip()
        if len(text) > NAME_LIMIT or not text.isprintable():
            raise errors.ORGANISATION_NAME_INVALID(limit=NAME_LIMIT)
        if text:
            cleaned[locale] = text
    if not cleaned or (require_default and DEFAULT_LOCALE not in cleaned):
        raise errors.ORGANISATION_NAME_REQUIRED()
    return cleaned


async def find(organisation_id: uuid.UUID) -> Organisation:
    """The organisation (its names as a mapping), or 404 ``organisation_not_found``."""
    found = await Organisation.objects().where(Organisation.id == organisation_id).output(load_json=True).first()
    if found is None:
        raise errors.ORGANISATION_NOT_FOUND()
    return found


def names_of(organisation: Organisation) -> dict[str, str]:
    """Its names as ``find`` loads them (Piccolo types a JSON column as its text)."""
    return cast(dict[str, str], organisation.name)


async def _hold_tree(*paths: str) -> None:
    """Inside a write transaction: hold the root of every tree these paths are in (in one order)."""
    for root in sorted({ancestor_ids(path)[0] for path in paths}):
        await lock_row(Organisation._meta.db, Organisation._meta.tablename, root)


async def _require(by: uuid.UUID | None, organisation_id: uuid.UUID | None) -> str:
    """403 unless ``by`` administers this organisation; the permission used, for the audit entry."""
    if by is None:
        return ""
    if organisation_id is None:
        raise Forbidden()
    await require(user_id=by, permission=MANAGE, organisation_id=organisation_id)
    return MANAGE.value


def _retired(organisation: Organisation) -> dict[str, str]:
    return {"organisation": pick(names_of(organisation))[0]}


async def _record(action: str, organisation: Organisation, permission: str, **changes: tuple[object, object]) -> None:
    await audit.record(
        f"accounts.{action}",
        object_type="organisation",
        object_id=organisation.id,
        organisation_id=organisation.id,
        permission=permission,
        before={field: old for field, (old, _) in changes.items()},
        after={field: new for field, (_, new) in changes.items()},
    )


async def create_organisation(
    *, kind: K, name: Mapping[str, str], parent_id: uuid.UUID | None, by: uuid.UUID | None = None
) -> Organisation:
    """A new node under ``parent_id``, of a kind that fits it (``PLACEMENT``), under an active
    parent. An administrator (``by``) adds one only under an organisation they administer; only
    the system makes a new city."""
    parent = await find(parent_id) if parent_id is not None else None
    permission = await _require(by, parent_id)
    names = clean_names(name, require_default=by is not None)
    if not fits(kind, K(parent.kind) if parent else None):
        raise errors.ORGANISATION_PARENT_INVALID()
    organisation_id = uuid.uuid4()
    async with transaction(Organisation._meta.db):
        if parent is not None:
            await _hold_tree(parent.path)
            parent = await find(parent.id)  # again, under the tree's lock: it may have moved
            if parent.retired_at is not None:
                raise errors.ORGANISATION_RETIRED(**_retired(parent))
        organisation = Organisation(
            id=organisation_id,
            kind=kind.value,
            name=names,
            parent=parent_id,
            path=f"{parent.path if parent else '/'}{organisation_id}/",
            created_at=clock.now(),
        )
        await organisation.save()
        await _record(
            "organisation_created",
            organisation,
            permission,
            kind=(None, kind),
            name=(None, names),
            parent=(None, parent_id),
        )
    return organisation


async def rename_organisation(
    *, organisation_id: uuid.UUID, names: Mapping[str, str | None], by: uuid.UUID | None = None
) -> Organisation:
    """Change names per locale: a name given replaces that locale's, ``None`` (or blank) removes
    it, a locale left out keeps its name; the Simplified Chinese one cannot be removed."""
    current = await find(organisation_id)
    permission = await _require(by, organisation_id)
    before = names_of(current)
    renamed = clean_names({**before, **names})
    if renamed == before:
        return current
    async with transaction(Organisation._meta.db):
        await Organisation.update({Organisation.name: renamed}).where(Organisation.id == organisation_id)
        await _record("organisation_renamed", current, permission, name=(before, renamed))
    return await find(organisation_id)


async def move_organisation(
    *, organisation_id: uuid.UUID, parent_id: uuid.UUID, by: uuid.UUID | None = None
) -> Organisation:
    """Put an organisation (and everything below it) under another parent, rewriting the
    materialised path of the whole subtree at once. Roles held in it stay where they are, so who
    administers it changes with its place."""
    moving, target = await find(organisation_id), await find(parent_id)
    if moving.parent is None:
        raise errors.ORGANISATION_IS_ROOT()
    permission = await _require(by, moving.parent)
    await _require(by, parent_id)
    _check_move(moving, target)
    async with transaction(Organisation._meta.db):
        await _hold_tree(moving.path, target.path)
        moving, target = await find(organisation_id), await find(parent_id)
        _check_move(moving, target)  # again, under the tree's lock: either may have moved
        if target.retired_at is not None:
            raise errors.ORGANISATION_RETIRED(**_retired(target))
        if moving.parent == parent_id:
            return moving
        old, new = moving.path, f"{target.path}{organisation_id}/"
        await Organisation.update({Organisation.parent: parent_id}).where(Organisation.id == organisation_id)
        # Every path in the subtree starts with the old one: swap that prefix in one statement.
        await Organisation.raw(
            "UPDATE account_organisation SET path = CAST({} AS VARCHAR) || SUBSTR(path, {}) WHERE path LIKE {}",
            new,
            len(old) + 1,
            f"{old}%",
        )
        await _record("organisation_moved", moving, permission, parent=(moving.parent, parent_id))
    return await find(organisation_id)


def _check_move(moving: Organisation, target: Organisation) -> None:
    if target.path.startswith(moving.path):
        raise errors.ORGANISATION_MOVE_INTO_ITSELF()
    if not fits(K(moving.kind), K(target.kind)):
        raise errors.ORGANISATION_PARENT_INVALID()


async def retire_organisation(*, organisation_id: uuid.UUID, by: uuid.UUID | None = None) -> Organisation:
    """Take an organisation out of service; refused while anything below it is active."""
    organisation = await find(organisation_id)
    if organisation.parent is None:
        raise errors.ORGANISATION_IS_ROOT()
    permission = await _require(by, organisation.parent)
    async with transaction(Organisation._meta.db):
        await _hold_tree(organisation.path)
        organisation = await find(organisation_id)
        if organisation.retired_at is not None:
            return organisation
        active = await Organisation.count().where(
            Organisation.path.like(f"{organisation.path}%")
            & (Organisation.id != organisation_id)
            & Organisation.retired_at.is_null()
        )
        if active:
            raise errors.ORGANISATION_HAS_CHILDREN(count=active)
        now = clock.now()
        await Organisation.update({Organisation.retired_at: now}).where(Organisation.id == organisation_id)
        await _record("organisation_retired", organisation, permission, retired_at=(None, now))
    return await find(organisation_id)


async def restore_organisation(*, organisation_id: uuid.UUID, by: uuid.UUID | None = None) -> Organisation:
    """Put a retired organisation back in service, under an active parent."""
    organisation = await find(organisation_id)
    permission = await _require(by, organisation.parent)
    async with transaction(Organisation._meta.db):
        await _hold_tree(organisation.path)
        organisation = await find(organisation_id)
        if organisation.retired_at is None:
            return organisation
        if organisation.parent is not None:
            parent = await find(organisation.parent)
            if parent.retired_at is not None:
                raise errors.ORGANISATION_PARENT_RETIRED(**_retired(parent))
        await Organisation.update({Organisation.retired_at: None}).where(Organisation.id == organisation_id)
        await _record("organisation_restored", organisation, permission, retired_at=(organisation.retired_at, None))
    return await find(organisation_id)


async def refuse_retired(organisation_id: uuid.UUID) -> None:
    """409 ``organisation_retired`` if this organisation is retired (404 if there is none)."""
    organisation = await find(organisation_id)
    if organisation.retired_at is not None:
        raise errors.ORGANISATION_RETIRED(**_retired(organisation))
