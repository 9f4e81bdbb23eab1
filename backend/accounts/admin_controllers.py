"""HTTP for administration: the organisation tree, staff accounts and their roles, and the public
invitation links with which staff choose their own password. The console's pages call the same
services (through ``accounts.api``), so both follow one set of rules."""

from __future__ import annotations

import dataclasses
import uuid
from http import HTTPStatus
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.accounts import errors, invites, organisation_queries, organisations, presenters, staff, staff_queries
from backend.accounts.errors import Refusal
from backend.accounts.organisation_queries import OrganisationFilters
from backend.accounts.schemas import (
    InviteAccept,
    InviteRead,
    OrganisationCreate,
    OrganisationKindName,
    OrganisationMove,
    OrganisationRead,
    OrganisationReadPage,
    OrganisationRename,
    PasswordReset,
    RoleGrant,
    RoleName,
    StaffAccountRead,
    StaffCreate,
    StaffRead,
    StaffReadPage,
)
from backend.accounts.staff_queries import StaffFilters
from backend.accounts.tables import OrganisationKind, Role
from backend.core.auth import requires_staff
from backend.core.context import Principal
from backend.core.errors import PROBLEM_TYPE_BASE
from backend.core.openapi import DocumentedOperation, problems
from backend.core.stores import rate_limit


def refusals(*statuses: int, named: tuple[Refusal, ...] = ()) -> dict[int, ResponseSpec]:
    """``problems`` for these statuses, where the operation's own refusals replace the generic
    example of their status with one example each."""
    specs = problems(*statuses, *(refusal.status for refusal in named))
    for status in {refusal.status for refusal in named}:
        examples = [
            Example(
                summary=refusal.code,
                value={
                    "type": PROBLEM_TYPE_BASE + refusal.code,
                    "title": HTTPStatus(status).phrase,
                    "status": status,
                    "detail": refusal.message.format(**refusal.example),
                    "code": refusal.code,
                    **({"params": dict(refusal.example)} if refusal.example else {}),
                },
            )
            for refusal in named
            if refusal.status == status
        ]
        specs[status] = dataclasses.replace(specs[status], examples=examples)
    return specs


# Every staff operation: a resident is refused, and so is staff still on a temporary password.
STAFF = (errors.STAFF_ONLY, errors.PASSWORD_CHANGE_REQUIRED)
NOT_THEIRS = (*STAFF, Refusal("forbidden", "You are not allowed to do this.", 403))
PAGE_LIMIT = Parameter(ge=1, le=1000, description="at most this many items")
OFFSET = Parameter(ge=0, le=1_000_000, description="skip this many items")


class OrganisationController(Controller):
    """Within the subtrees the caller administers (``manage_organisations``: the admin role)."""

    path = "/api/v1/organisations"
    tags = ["administration"]
    guards = [requires_staff]
    security = [{"bearer": []}]

    @get(
        operation_id="list_organisations",
        summary="Administrators: the organisations they administer, in tree order, with depth and parent",
        responses=refusals(401, named=NOT_THEIRS),
    )
    async def list_organisations(
        self,
        caller: Principal,
        kind: Annotated[OrganisationKindName | None, Parameter(description="only this kind")] = None,
        parent_id: Annotated[uuid.UUID | None, Parameter(description="only those right below this one")] = None,
        q: Annotated[str | None, Parameter(max_length=80, description="in the name, in any language")] = None,
        include_retired: Annotated[bool, Parameter(description="retired ones too")] = False,
        limit: Annotated[int, PAGE_LIMIT] = 200,
        offset: Annotated[int, OFFSET] = 0,
    ) -> OrganisationReadPage:
        filters = OrganisationFilters(kind=kind, parent=parent_id, text=q, include_retired=include_retired)
        page = await organisation_queries.list_organisations(
            reader=caller.id, filters=filters, limit=limit, offset=offset
        )
        return presenters.organisation_page(page, limit=limit, offset=offset)

    @get(
        "/{organisation_id:uuid}",
        operation_id="get_organisation",
        summary="Administrators: one organisation they administer",
        responses=refusals(401, named=(*NOT_THEIRS, errors.ORGANISATION_NOT_FOUND)),
    )
    async def get_organisation(self, caller: Principal, organisation_id: uuid.UUID) -> OrganisationRead:
        return presenters.organisation_read(
            await organisation_queries.organisation_node(organisation_id=organisation_id, reader=caller.id)
        )

    @post(
        operation_id="create_organisation",
        summary="Administrators: a new organisation under one they administer",
        status_code=HTTP_201_CREATED,
        operation_class=DocumentedOperation,
        responses=refusals(
            401,
            named=(
                *NOT_THEIRS,
                errors.ORGANISATION_NOT_FOUND,
                errors.ORGANISATION_RETIRED,
                errors.ORGANISATION_PARENT_INVALID,
                errors.ORGANISATION_NAME_REQUIRED,
                errors.ORGANISATION_NAME_INVALID,
            ),
        ),
    )
    async def create_organisation(self, caller: Principal, data: JSONBody[OrganisationCreate]) -> OrganisationRead:
        """The kind must fit the parent (district under city, street under district, community
        under street; bodies where they serve: see ``PLACEMENT`` in backend/accounts/organisations.py)."""
        names: dict[str, str] = {locale: text for locale, text in data.name.items()}
        made = await organisations.create_organisation(
            kind=OrganisationKind(data.kind), name=names, parent_id=data.parent_id, by=caller.id
        )
        return await self._read(made.id)

    @patch(
        "/{organisation_id:uuid}",
        operation_id="rename_organisation",
        summary="Administrators: change an organisation's names, language by language",
        responses=refusals(
            401,
            named=(
                *NOT_THEIRS,
                errors.ORGANISATION_NOT_FOUND,
                errors.ORGANISATION_NAME_REQUIRED,
                errors.ORGANISATION_NAME_INVALID,
            ),
        ),
    )
    async def rename_organisation(
        self, caller: Principal, organisation_id: uuid.UUID, data: JSONBody[OrganisationRename]
    ) -> OrganisationRead:
        names: dict[str, str | None] = {locale: text for locale, text in data.name.items()}
        await organisations.rename_organisation(organisation_id=organisation_id, names=names, by=caller.id)
        return await self._read(organisation_id)

    @post(
        "/{organisation_id:uuid}/move",
        operation_id="move_organisation",
        summary="Administrators: put an organisation, and all below it, under another parent",
        status_code=HTTP_200_OK,
        responses=refusals(
            401,
            named=(
                *NOT_THEIRS,
                errors.ORGANISATION_NOT_FOUND,
                errors.ORGANISATION_IS_ROOT,
                errors.ORGANISATION_MOVE_INTO_ITSELF,
                errors.ORGANISATION_RETIRED,
                errors.ORGANISATION_PARENT_INVALID,
            ),
        ),
    )
    async def move_organisation(
        self, caller: Principal, organisation_id: uuid.UUID, data: JSONBody[OrganisationMove]
    ) -> OrganisationRead:
        """The caller administers both the present parent and the new one. Roles held in the
        moved subtree stay where they are, so its administrators above change with its place."""
        await organisations.move_organisation(organisation_id=organisation_id, parent_id=data.parent_id, by=caller.id)
        return await self._read(organisation_id)

    @post(
        "/{organisation_id:uuid}/retire",
        operation_id="retire_organisation",
        summary="Administrators: take an organisation out of service, keeping its data and history",
        status_code=HTTP_200_OK,
        responses=refusals(
            401,
            named=(
                *NOT_THEIRS,
                errors.ORGANISATION_NOT_FOUND,
                errors.ORGANISATION_IS_ROOT,
                errors.ORGANISATION_HAS_CHILDREN,
            ),
        ),
    )
    async def retire_organisation(self, caller: Principal, organisation_id: uuid.UUID) -> OrganisationRead:
        """A retired organisation takes no new roles and nothing new under it. Refused while
        anything below it is still active (409, with how many); the city is never retired."""
        await organisations.retire_organisation(organisation_id=organisation_id, by=caller.id)
        return await self._read(organisation_id)

    @post(
        "/{organisation_id:uuid}/restore",
        operation_id="restore_organisation",
        summary="Administrators: put a retired organisation back in service",
        status_code=HTTP_200_OK,
        responses=refusals(401, named=(*NOT_THEIRS, errors.ORGANISATION_NOT_FOUND, errors.ORGANISATION_PARENT_RETIRED)),
    )
    async def restore_organisation(self, caller: Principal, organisation_id: uuid.UUID) -> OrganisationRead:
        await organisations.restore_organisation(organisation_id=organisation_id, by=caller.id)
        return await self._read(organisation_id)

    @staticmethod
    async def _read(organisation_id: uuid.UUID) -> OrganisationRead:
        """The organisation after a change the service allowed (so without asking again)."""
        return presenters.organisation_read(
            await organisation_queries.organisation_node(organisation_id=organisation_id, reader=None)
        )


class StaffController(Controller):
    """Staff accounts holding roles where the caller administers (accounts without roles: city
    administrators only). An account the caller does not see is 404, like a missing one."""

    path = "/api/v1/staff"
    tags = ["administration"]
    guards = [requires_staff]
    security = [{"bearer": []}]

    @get(
        operation_id="list_staff",
        summary="Administrators: the staff holding roles where they administer, with those roles",
        responses=refusals(401, named=NOT_THEIRS),
    )
    async def list_staff(
        self,
        caller: Principal,
        q: Annotated[str | None, Parameter(max_length=64, description="in the username or display name")] = None,
        role: Annotated[RoleName | None, Parameter(description="holding this role")] = None,
        organisation_id: Annotated[
            uuid.UUID | None, Parameter(description="holding a role in this organisation or below it")
        ] = None,
        disabled: Annotated[bool | None, Parameter(description="only disabled (true) or enabled (false) ones")] = None,
        limit: Annotated[int, Parameter(ge=1, le=200, description="at most this many items")] = 50,
        offset: Annotated[int, OFFSET] = 0,
    ) -> StaffReadPage:
        filters = StaffFilters(text=q, role=role, organisation=organisation_id, disabled=disabled)
        page = await staff_queries.list_staff(reader=caller.id, filters=filters, limit=limit, offset=offset)
        return presenters.staff_page(page, limit=limit, offset=offset)

    @get(
        "/{user_id:uuid}",
        operation_id="get_staff",
        summary="Administrators: one staff account they see",
        responses=refusals(401, named=(*NOT_THEIRS, errors.USER_NOT_FOUND)),
    )
    async def get_staff(self, caller: Principal, user_id: uuid.UUID) -> StaffRead:
        return presenters.staff_read(await staff_queries.staff_member(user_id=user_id, reader=caller.id))

    @post(
        operation_id="create_staff",
        summary="Administrators: a new staff account with its first role, and a temporary password or an invitation link",
        status_code=HTTP_201_CREATED,
        operation_class=DocumentedOperation,
        responses=refusals(
            401,
            named=(
                *NOT_THEIRS,
                errors.ORGANISATION_NOT_FOUND,
                errors.USERNAME_TAKEN,
                errors.ORGANISATION_RETIRED,
                errors.USERNAME_INVALID,
                errors.FIRST_ROLE_REQUIRED,
                errors.PASSWORD_OR_INVITE,
                errors.PASSWORD_TOO_SHORT,
            ),
        ),
    )
    async def create_staff(self, caller: Principal, data: JSONBody[StaffCreate]) -> StaffAccountRead:
        """With ``password`` the person logs in with it and must choose their own before any staff
        work; with ``invite: true`` the answer carries a link (valid 72 hours, single use) where
        they choose one."""
        account = await staff.create_staff_account(
            username=data.username,
            display_name=data.display_name,
            role=Role(data.role) if data.role else None,
            organisation_id=data.organisation_id,
            password=data.password,
            invite=data.invite,
            by=caller.id,
        )
        return presenters.staff_account_read(account)

    @post(
        "/{user_id:uuid}/roles",
        operation_id="grant_staff_role",
        summary="Administrators: give a staff member a role in an organisation they administer",
        status_code=HTTP_200_OK,
        responses=refusals(
            401, named=(*NOT_THEIRS, errors.USER_NOT_FOUND, errors.ORGANISATION_NOT_FOUND, errors.ORGANISATION_RETIRED)
        ),
    )
    async def grant_role(self, caller: Principal, user_id: uuid.UUID, data: JSONBody[RoleGrant]) -> StaffRead:
        """Granting a role they hold already changes nothing."""
        await staff.grant_role(
            user_id=user_id, organisation_id=data.organisation_id, role=Role(data.role), by=caller.id
        )
        return presenters.staff_read(await staff_queries.staff_member(user_id=user_id, reader=caller.id))

    @delete(
        "/{user_id:uuid}/roles/{organisation_id:uuid}/{role:str}",
        operation_id="revoke_staff_role",
        summary="Administrators: take a role away; every session of that person ends",
        status_code=HTTP_204_NO_CONTENT,
        responses=refusals(401, named=(*NOT_THEIRS, errors.LAST_CITY_ADMIN)),
    )
    async def revoke_role(
        self, caller: Principal, user_id: uuid.UUID, organisation_id: uuid.UUID, role: RoleName
    ) -> None:
        """Taking away a role they do not hold changes nothing. The city's last administrator
        (who can still log in) keeps the role (409)."""
        await staff.revoke_role(user_id=user_id, organisation_id=organisation_id, role=Role(role), by=caller.id)

    @post(
        "/{user_id:uuid}/disable",
        operation_id="disable_staff",
        summary="Administrators: stop an account: every session ends, logins are refused",
        status_code=HTTP_200_OK,
        responses=refusals(401, named=(*NOT_THEIRS, errors.USER_NOT_FOUND)),
    )
    async def disable(self, caller: Principal, user_id: uuid.UUID) -> StaffRead:
        """The caller must administer every organisation where the account holds a role."""
        await staff.disable_account(user_id=user_id, by=caller.id)
        return presenters.staff_read(await staff_queries.staff_member(user_id=user_id, reader=caller.id))

    @post(
        "/{user_id:uuid}/enable",
        operation_id="enable_staff",
        summary="Administrators: let a disabled account log in again",
        status_code=HTTP_200_OK,
        responses=refusals(401, named=(*NOT_THEIRS, errors.USER_NOT_FOUND)),
    )
    async def enable(self, caller: Principal, user_id: uuid.UUID) -> StaffRead:
        await staff.enable_account(user_id=user_id, by=caller.id)
        return presenters.staff_read(await staff_queries.staff_member(user_id=user_id, reader=caller.id))

    @post(
        "/{user_id:uuid}/reset-password",
        operation_id="reset_staff_password",
        summary="Administrators: a temporary password, or a new invitation link; every session of the person ends",
        status_code=HTTP_200_OK,
        operation_class=DocumentedOperation,
        responses=refusals(
            401, named=(*NOT_THEIRS, errors.USER_NOT_FOUND, errors.PASSWORD_OR_INVITE, errors.PASSWORD_TOO_SHORT)
        ),
    )
    async def reset_password(
        self, caller: Principal, user_id: uuid.UUID, data: JSONBody[PasswordReset]
    ) -> StaffAccountRead:
        """An invitation replaces the person's password and any earlier link; a temporary
        password replaces any link, and they must choose their own at first."""
        account = await staff.reset_password(user_id=user_id, password=data.password, invite=data.invite, by=caller.id)
        return presenters.staff_account_read(account)


class InviteController(Controller):
    """Public: whoever holds the link is the person it was made for."""

    path = "/api/v1/auth/invites"
    tags = ["accounts"]

    @get(
        "/{token:str}",
        operation_id="get_invite",
        summary="Whether an invitation link works, and for whom",
        responses=refusals(named=(errors.INVITE_NOT_FOUND,)),
    )
    async def get_invite(self, token: str) -> InviteRead:
        """An unknown, used and expired link get the same 404."""
        return presenters.invite_read(await invites.invite_for(token=token))

    @post(
        "/{token:str}",
        operation_id="accept_invite",
        summary="Choose one's password with an invitation link; then log in",
        status_code=HTTP_204_NO_CONTENT,
        guards=[rate_limit("invite")],
        operation_class=DocumentedOperation,
        responses=refusals(429, named=(errors.INVITE_NOT_FOUND, errors.PASSWORD_TOO_SHORT)),
    )
    async def accept_invite(self, token: str, data: JSONBody[InviteAccept]) -> None:
        """The link is spent; no session is opened. At most LINLI_LOGIN_RATE_LIMIT a minute per address."""
        await invites.accept_invite(token=token, password=data.password)
