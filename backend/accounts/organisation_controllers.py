"""HTTP for administering the organisation tree, and the documentation of the administration's
refusals that every administration controller uses. The console's pages call the same services
(through ``accounts.api``), so both follow one set of rules."""

from __future__ import annotations

import dataclasses
import uuid
from http import HTTPStatus
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.accounts import errors, organisation_queries, organisations, presenters
from backend.accounts.errors import Refusal
from backend.accounts.organisation_queries import OrganisationFilters
from backend.accounts.schemas import (
    OrganisationCreate,
    OrganisationKindName,
    OrganisationMove,
    OrganisationRead,
    OrganisationReadPage,
    OrganisationRename,
)
from backend.accounts.tables import OrganisationKind
from backend.core.auth import requires_staff
from backend.core.context import Principal
from backend.core.errors import PROBLEM_TYPE_BASE
from backend.core.openapi import DocumentedOperation, problems


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
