"""Administrators' room: the organisation tree within their scope, and each organisation
created, renamed in the five languages, moved, retired and restored. The same services as the
API's ``/api/v1/organisations`` (through ``accounts.api``), with the administrator as ``by``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Template

from backend.accounts.api import (
    OrganisationFilters,
    OrganisationKind,
    OrganisationNode,
    ancestor_ids,
    create_organisation,
    kinds_allowed_under,
    list_organisations,
    move_organisation,
    organisation_node,
    organisations,
    rename_organisation,
    restore_organisation,
    retire_organisation,
)
from backend.core.context import Principal
from backend.core.i18n import LOCALES, _
from backend.web.console.account_controllers import Form
from backend.web.console.admin_names import KIND_NAMES, said
from backend.web.console.edge import form_values, go, page, parse_form, provide_me, signed_in
from backend.web.console.listing import Listing

TREE_PAGE = 300  # organisations a page of the tree shows (a city has some thousands at most)
# The whole tree a move's list of parents is read from (the API's largest page).
ALL = 1000
KindCode = Literal[
    "city",
    "district",
    "street",
    "community",
    "library",
    "cultural_centre",
    "volunteer_association",
    "property_company",
    "owners_committee",
    "police_station",
    "city_management",
    "grid",
]
Name = Annotated[str, msgspec.Meta(max_length=80)]


class CreateForm(msgspec.Struct, forbid_unknown_fields=True):
    parent_id: uuid.UUID
    kind: KindCode
    name: dict[str, Name] = {}


class RenameForm(msgspec.Struct, forbid_unknown_fields=True):
    name: dict[str, Name] = {}


class MoveForm(msgspec.Struct, forbid_unknown_fields=True):
    parent_id: uuid.UUID


@dataclass
class Branch:
    """A node of the tree as drawn: the organisation and what is below it on this page."""

    node: OrganisationNode
    children: list[Branch] = field(default_factory=list)


def grow(nodes: list[OrganisationNode]) -> list[Branch]:
    """The flat list (in tree order) as nested branches; a node whose parent is not on the page
    starts a branch of its own."""
    branches = {node.id: Branch(node) for node in nodes}
    roots: list[Branch] = []
    for node in nodes:
        parent = branches.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(branches[node.id])
    return roots


def kind_options(kinds: Iterable[str]) -> list[tuple[str, str]]:
    return [(kind, _(KIND_NAMES[kind])) for kind in kinds]


def renamed(form: RenameForm) -> dict[str, str | None]:
    """Every language's box as sent: an emptied box removes that language's name."""
    return {locale: form.name.get(locale) for locale in LOCALES}


class AdminOrganisationController(Controller):
    path = "/organisations"
    include_in_schema = False
    guards = [signed_in]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def tree(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        listing = Listing.read(
            request.url.path,
            request.query_params,
            sorts=("tree",),
            default_sort="tree",
            filters=("q", "kind", "retired"),
            size=TREE_PAGE,
        )
        kind = listing.filters.get("kind")
        filters = OrganisationFilters(
            kind=kind if kind in KIND_NAMES else None,
            text=listing.filters.get("q"),
            include_retired=listing.filters.get("retired") == "1",
        )
        found = await list_organisations(reader=me.id, filters=filters, limit=listing.size, offset=listing.offset)
        listing.total = listing.offset + len(found.items) + (listing.size if found.has_more else 0)
        return await page(
            request,
            "console/admin/organisations.html",
            tree=grow(found.items),
            listing=listing,
            kinds=kind_options(list(KIND_NAMES)),
            kind_names=KIND_NAMES,
            said=said(request.query_params.get("said")),
        )

    @get("/new")
    async def new(self, request: Request[Any, Any, Any], me: Principal, parent: uuid.UUID) -> Template:
        above = await organisation_node(organisation_id=parent, reader=me.id)
        return await page(
            request,
            "console/admin/organisation_new.html",
            parent=above,
            kinds=kind_options(kind.value for kind in kinds_allowed_under(above.kind)),
            kind_names=KIND_NAMES,
        )

    @post("/")
    async def create(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Response[Any]:
        form: CreateForm = parse_form(form_values(data), CreateForm)
        made = await create_organisation(
            kind=OrganisationKind(form.kind), name=dict(form.name), parent_id=form.parent_id, by=me.id
        )
        return go(request, f"/console/organisations/{made.id}?said=organisation_created")

    @get("/{organisation_id:uuid}")
    async def one(self, request: Request[Any, Any, Any], me: Principal, organisation_id: uuid.UUID) -> Template:
        node = await organisation_node(organisation_id=organisation_id, reader=me.id)
        above = await organisations(ancestor_ids(node.path)[:-1])
        trail = [above[i] for i in ancestor_ids(node.path)[:-1] if i in above]
        everything = await list_organisations(reader=me.id, filters=OrganisationFilters(), limit=ALL)
        # Where it may go: active organisations of a kind it fits under, outside its own subtree.
        parents = [
            other
            for other in everything.items
            if OrganisationKind(node.kind) in kinds_allowed_under(other.kind)
            and not other.path.startswith(node.path)
            and other.id != node.parent_id
        ]
        return await page(
            request,
            "console/admin/organisation.html",
            node=node,
            trail=trail,
            parents=parents,
            can_add=bool(kinds_allowed_under(node.kind)) and node.retired_at is None,
            kind_names=KIND_NAMES,
            said=said(request.query_params.get("said")),
        )

    @post("/{organisation_id:uuid}/rename")
    async def rename(
        self, request: Request[Any, Any, Any], me: Principal, organisation_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        form: RenameForm = parse_form(form_values(data), RenameForm)
        await rename_organisation(organisation_id=organisation_id, names=renamed(form), by=me.id)
        return go(request, f"/console/organisations/{organisation_id}?said=organisation_renamed")

    @post("/{organisation_id:uuid}/move")
    async def move(
        self, request: Request[Any, Any, Any], me: Principal, organisation_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        form: MoveForm = parse_form(form_values(data), MoveForm)
        await move_organisation(organisation_id=organisation_id, parent_id=form.parent_id, by=me.id)
        return go(request, f"/console/organisations/{organisation_id}?said=organisation_moved")

    @get("/{organisation_id:uuid}/retire")
    async def confirm_retire(
        self, request: Request[Any, Any, Any], me: Principal, organisation_id: uuid.UUID
    ) -> Template:
        node = await organisation_node(organisation_id=organisation_id, reader=me.id)
        return await page(request, "console/admin/organisation_retire.html", node=node, kind_names=KIND_NAMES)

    @post("/{organisation_id:uuid}/retire")
    async def retire(self, request: Request[Any, Any, Any], me: Principal, organisation_id: uuid.UUID) -> Response[Any]:
        await retire_organisation(organisation_id=organisation_id, by=me.id)
        return go(request, f"/console/organisations/{organisation_id}?said=organisation_retired")

    @post("/{organisation_id:uuid}/restore")
    async def restore(
        self, request: Request[Any, Any, Any], me: Principal, organisation_id: uuid.UUID
    ) -> Response[Any]:
        await restore_organisation(organisation_id=organisation_id, by=me.id)
        return go(request, f"/console/organisations/{organisation_id}?said=organisation_restored")
