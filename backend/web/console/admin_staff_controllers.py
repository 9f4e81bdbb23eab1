"""Administrators' room: staff accounts within their scope, listed and filtered; a staff
member's roles granted and taken away, the account disabled and enabled, the password reset;
a new account made with a temporary password or an invitation link (either shown once). The
same services as the API's ``/api/v1/staff`` (through ``accounts.api``), with the administrator
as ``by``."""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.response import Template

from backend.accounts.api import (
    OrganisationFilters,
    Role,
    StaffAccount,
    StaffFilters,
    create_staff_account,
    disable_account,
    enable_account,
    grant_role,
    list_organisations,
    list_staff,
    reset_password,
    revoke_role,
    staff_member,
)
from backend.core.context import Principal
from backend.core.i18n import _
from backend.web.console.account_controllers import Form
from backend.web.console.admin_names import KIND_NAMES, ROLE_NAMES, said
from backend.web.console.edge import form_values, go, page, parse_form, provide_me, signed_in
from backend.web.console.listing import Listing
from backend.web.templating import picked

ALL = 1000  # the organisations a form offers: the API's largest page of the tree
RoleCode = Literal["admin", "organiser", "library_staff", "coordinator", "grid_worker"]
WayIn = Literal["password", "invite"]


class CreateForm(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    organisation_id: uuid.UUID | None = None
    role: RoleCode | None = None
    way: WayIn = "password"


class RoleForm(msgspec.Struct, forbid_unknown_fields=True):
    organisation_id: uuid.UUID
    role: RoleCode


class ResetForm(msgspec.Struct, forbid_unknown_fields=True):
    way: WayIn = "password"


def temporary_password() -> str:
    """A password the administrator passes on once (by phone); its holder must replace it."""
    return secrets.token_urlsafe(9)


def role_options() -> list[tuple[str, str]]:
    return [(role.value, _(ROLE_NAMES[role.value])) for role in Role]


async def organisation_options(me: Principal) -> list[tuple[str, str]]:
    """The active organisations the administrator may give roles in, indented as in the tree."""
    tree = await list_organisations(reader=me.id, filters=OrganisationFilters(), limit=ALL)
    return [
        (str(node.id), "\u00a0\u00a0" * node.depth + f"{picked(node.name)} · {_(KIND_NAMES[node.kind])}")
        for node in tree.items
    ]


async def shown_once(request: Request[Any, Any, Any], account: StaffAccount, password: str | None) -> Template:
    """The page that shows a new password or link once: nothing keeps it but this answer."""
    link = str(request.base_url).rstrip("/") + account.invite.path if account.invite else None
    return await page(
        request,
        "console/admin/staff_way_in.html",
        member=account.member,
        password=password,
        link=link,
        expires_at=account.invite.expires_at if account.invite else None,
        role_names=ROLE_NAMES,
    )


class AdminStaffController(Controller):
    path = "/staff"
    include_in_schema = False
    guards = [signed_in]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def staff_list(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        listing = Listing.read(
            request.url.path,
            request.query_params,
            sorts=("username",),
            default_sort="username",
            filters=("q", "organisation", "role", "disabled"),
        )
        filters = StaffFilters(
            text=listing.filters.get("q"),
            role=listing.filters.get("role") if listing.filters.get("role") in ROLE_NAMES else None,
            organisation=_uuid(listing.filters.get("organisation")),
            disabled={"yes": True, "no": False}.get(listing.filters.get("disabled", "")),
        )
        found = await list_staff(reader=me.id, filters=filters, limit=listing.size, offset=listing.offset)
        listing.total = listing.offset + len(found.items) + (listing.size if found.has_more else 0)
        return await page(
            request,
            "console/admin/staff.html",
            members=found.items,
            listing=listing,
            organisations=await organisation_options(me),
            roles=role_options(),
            role_names=ROLE_NAMES,
            said=said(request.query_params.get("said")),
        )

    @get("/new")
    async def new(self, request: Request[Any, Any, Any], me: Principal, organisation: str = "") -> Template:
        return await page(
            request,
            "console/admin/staff_new.html",
            organisations=await organisation_options(me),
            roles=role_options(),
            chosen=organisation,
        )

    @post("/")
    async def create(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Template:
        form: CreateForm = parse_form(form_values(data), CreateForm)
        password = temporary_password() if form.way == "password" else None
        account = await create_staff_account(
            username=form.username,
            display_name=form.display_name,
            role=Role(form.role) if form.role else None,
            organisation_id=form.organisation_id,
            password=password,
            invite=form.way == "invite",
            by=me.id,
        )
        return await shown_once(request, account, password)

    @get("/{user_id:uuid}")
    async def member(self, request: Request[Any, Any, Any], me: Principal, user_id: uuid.UUID) -> Template:
        return await page(
            request,
            "console/admin/staff_member.html",
            member=await staff_member(user_id=user_id, reader=me.id),
            organisations=await organisation_options(me),
            roles=role_options(),
            role_names=ROLE_NAMES,
            kind_names=KIND_NAMES,
            said=said(request.query_params.get("said")),
        )

    @post("/{user_id:uuid}/roles")
    async def grant(
        self, request: Request[Any, Any, Any], me: Principal, user_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        form: RoleForm = parse_form(form_values(data), RoleForm)
        await grant_role(user_id=user_id, organisation_id=form.organisation_id, role=Role(form.role), by=me.id)
        return go(request, f"/console/staff/{user_id}?said=role_granted")

    @post("/{user_id:uuid}/roles/revoke")
    async def revoke(
        self, request: Request[Any, Any, Any], me: Principal, user_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        form: RoleForm = parse_form(form_values(data), RoleForm)
        await revoke_role(user_id=user_id, organisation_id=form.organisation_id, role=Role(form.role), by=me.id)
        return go(request, f"/console/staff/{user_id}?said=role_revoked")

    @post("/{user_id:uuid}/disable")
    async def disable(self, request: Request[Any, Any, Any], me: Principal, user_id: uuid.UUID) -> Response[Any]:
        await disable_account(user_id=user_id, by=me.id)
        return go(request, f"/console/staff/{user_id}?said=account_disabled")

    @post("/{user_id:uuid}/enable")
    async def enable(self, request: Request[Any, Any, Any], me: Principal, user_id: uuid.UUID) -> Response[Any]:
        await enable_account(user_id=user_id, by=me.id)
        return go(request, f"/console/staff/{user_id}?said=account_enabled")

    @post("/{user_id:uuid}/reset")
    async def reset(self, request: Request[Any, Any, Any], me: Principal, user_id: uuid.UUID, data: Form) -> Template:
        form: ResetForm = parse_form(form_values(data), ResetForm)
        password = temporary_password() if form.way == "password" else None
        account = await reset_password(user_id=user_id, password=password, invite=form.way == "invite", by=me.id)
        return await shown_once(request, account, password)


def _uuid(text: str | None) -> uuid.UUID | None:
    """A filter's organisation id; one that is not an id filters nothing out rather than failing."""
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None
