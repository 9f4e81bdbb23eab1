"""HTTP for administering staff accounts and their roles, and the public invitation links with
which staff choose their own password. The console's pages call the same services (through
``accounts.api``), so both follow one set of rules."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.accounts import errors, invites, presenters, staff, staff_accounts, staff_queries
from backend.accounts.organisation_controllers import NOT_THEIRS, OFFSET, refusals
from backend.accounts.schemas import (
    InviteAccept,
    InviteRead,
    PasswordReset,
    RoleGrant,
    RoleName,
    StaffAccountRead,
    StaffCreate,
    StaffRead,
    StaffReadPage,
)
from backend.accounts.staff_queries import StaffFilters
from backend.accounts.tables import Role
from backend.core.auth import requires_staff
from backend.core.context import Principal
from backend.core.openapi import DocumentedOperation
from backend.core.stores import rate_limit


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
        account = await staff_accounts.create_staff_account(
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
        account = await staff_accounts.reset_password(
            user_id=user_id, password=data.password, invite=data.invite, by=caller.id
        )
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
