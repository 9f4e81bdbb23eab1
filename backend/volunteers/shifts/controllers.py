"""HTTP for shifts: planning, sign-up, and attendance (check-in, checkpoint scans, check-out)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from litestar import Controller, Response, delete, get, post
from litestar.enums import RequestEncodingType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import SecurityRequirement
from litestar.params import Body, JSONBody, KwargDefinition, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.i18n import as_city_time
from backend.core.openapi import problems
from backend.core.stores import rate_limit
from backend.volunteers.shifts import attendance, presenters, queries, services
from backend.volunteers.shifts.schemas import (
    AttendanceSheet,
    CheckInCreate,
    CheckInRead,
    CheckOutRead,
    ScanRead,
    ShiftCreate,
    ShiftRead,
    SignupRead,
    WeekCopied,
    WeekCopy,
)
from backend.volunteers.shifts.tables import Shift

BEARER: list[SecurityRequirement] = [{"bearer": []}]
SIGNUP_RATE = rate_limit("signup", setting="signup_rate_limit", per_user=True)
# Events has structs named CheckInCreate and CheckInRead too; Litestar would name both pairs of
# components after their modules, so these keep the names the API has always given them.
CheckInBody = Annotated[
    CheckInCreate,
    Body(media_type=RequestEncodingType.JSON, schema_component_key="volunteers_shift_schemas_CheckInCreate"),
]
CheckInAnswer = Annotated[CheckInRead, KwargDefinition(schema_component_key="volunteers_shift_schemas_CheckInRead")]
CheckpointCode = Annotated[
    str, Parameter(min_length=1, max_length=32, description="the code printed on the plate; any case")
]


async def _answer(shift: Shift, viewer: Principal | None) -> ShiftRead:
    return presenters.shift_read(await queries.shift_view(shift, viewer_id=viewer.id if viewer else None))


class ShiftController(Controller):
    path = "/api/v1"
    tags = ["volunteers"]

    @post(
        "/teams/{team_id:uuid}/shifts",
        operation_id="create_shift",
        summary="Plan a shift of the team (its coordinators)",
        guards=[requires_login],
        security=BEARER,
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
    )
    async def create(self, caller: Principal, team_id: uuid.UUID, data: JSONBody[ShiftCreate]) -> ShiftRead:
        return await _answer(await services.create_shift(user_id=caller.id, team_id=team_id, data=data), caller)

    @post(
        "/teams/{team_id:uuid}/shifts/copy-week",
        operation_id="copy_week_of_shifts",
        summary="Copy the team's shifts of one week to another (its coordinators); again, it makes nothing twice",
        guards=[requires_login],
        security=BEARER,
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 422),
    )
    async def copy_week(self, caller: Principal, team_id: uuid.UUID, data: JSONBody[WeekCopy]) -> WeekCopied:
        return await services.copy_week(user_id=caller.id, team_id=team_id, data=data)

    @get(
        "/shifts",
        operation_id="list_shifts",
        summary="Shifts by start time (not over yet, unless ?from= says otherwise)",
        responses=problems(401),
    )
    async def list_shifts(
        self,
        visitor: Principal | None,
        team_id: uuid.UUID | None = None,
        starts_from: Annotated[
            datetime | None, Parameter(query="from", description="shifts starting at or after")
        ] = None,
        starts_to: Annotated[datetime | None, Parameter(query="to", description="shifts starting before")] = None,
        mine: Annotated[bool, Parameter(description="only shifts the caller holds a place on (log in)")] = False,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
    ) -> list[ShiftRead]:
        viewer_id = visitor.id if visitor else None
        found = await queries.list_shifts(
            viewer_id=viewer_id,
            team_id=team_id,
            starts_from=as_city_time(starts_from),
            starts_to=as_city_time(starts_to),
            mine=mine,
            limit=limit,
        )
        return [presenters.shift_read(view) for view in await queries.shift_views(found, viewer_id=viewer_id)]

    @get(
        "/shifts/{shift_id:uuid}",
        operation_id="get_shift",
        summary="One shift, with the caller's own place",
        responses=problems(404),
    )
    async def get_shift(self, visitor: Principal | None, shift_id: uuid.UUID) -> ShiftRead:
        return await _answer(await queries.load_shift(shift_id), visitor)

    @post(
        "/shifts/{shift_id:uuid}/cancel",
        operation_id="cancel_shift",
        summary="Call a shift off before it starts (coordinators); every place is released",
        guards=[requires_login],
        security=BEARER,
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409),
    )
    async def cancel(self, caller: Principal, shift_id: uuid.UUID) -> ShiftRead:
        return await _answer(await services.cancel_shift(user_id=caller.id, shift_id=shift_id), caller)


class SignupController(Controller):
    path = "/api/v1/shifts/{shift_id:uuid}"
    tags = ["volunteers"]
    guards = [requires_login]
    security = BEARER

    @post(
        "/signups",
        operation_id="sign_up_for_shift",
        summary="Take a place on a shift of one's team; Idempotency-Key makes retries safe (201 new, 200 repeated)",
        guards=[SIGNUP_RATE],
        status_code=HTTP_201_CREATED,
        responses={
            **problems(401, 403, 404, 409, 422, 429),
            200: ResponseSpec(SignupRead, description="A repeated sign-up: the place already taken"),
        },
    )
    async def sign_up(
        self,
        caller: Principal,
        shift_id: uuid.UUID,
        idempotency_key: Annotated[
            str | None, Parameter(header="Idempotency-Key", min_length=1, max_length=128)
        ] = None,
    ) -> Response[SignupRead]:
        signup, created = await services.sign_up(user_id=caller.id, shift_id=shift_id, idempotency_key=idempotency_key)
        return Response(presenters.signup_read(signup), status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @delete(
        "/signups/me",
        operation_id="cancel_shift_signup",
        summary="Give up one's place before the shift starts",
        guards=[SIGNUP_RATE],
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409, 429),
    )
    async def cancel(self, caller: Principal, shift_id: uuid.UUID) -> SignupRead:
        return presenters.signup_read(await services.cancel_signup(user_id=caller.id, shift_id=shift_id))

    @get(
        "/signups",
        operation_id="shift_attendance_sheet",
        summary="The attendance sheet: who signed up, check-ins, scans, hours (coordinators; phones masked)",
        responses=problems(401, 403, 404),
    )
    async def sheet(self, caller: Principal, shift_id: uuid.UUID) -> AttendanceSheet:
        return presenters.sheet_read(await queries.attendance_sheet(user_id=caller.id, shift_id=shift_id))

    @post(
        "/check-in",
        operation_id="shift_check_in",
        summary="Check in (from 30 minutes before the start); the location is checked, never stored",
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409, 422),
    )
    async def check_in(self, caller: Principal, shift_id: uuid.UUID, data: CheckInBody | None = None) -> CheckInAnswer:
        where = data or CheckInCreate()
        signup, already = await attendance.check_in(
            user_id=caller.id, shift_id=shift_id, latitude=where.latitude, longitude=where.longitude
        )
        return presenters.check_in_read(signup, shift_id=shift_id, already=already)

    @post(
        "/checkpoints/{code:str}/scan",
        operation_id="scan_checkpoint",
        summary="Scan a checkpoint plate of the shift's route, in order",
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409),
    )
    async def scan(self, caller: Principal, shift_id: uuid.UUID, code: CheckpointCode) -> ScanRead:
        return presenters.scan_read(await attendance.scan_checkpoint(user_id=caller.id, shift_id=shift_id, code=code))

    @post(
        "/check-out",
        operation_id="shift_check_out",
        summary="Check out: minutes inside the shift, and a pending hours entry at or above its rule",
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409),
    )
    async def check_out(self, caller: Principal, shift_id: uuid.UUID) -> CheckOutRead:
        return presenters.check_out_read(await attendance.check_out(user_id=caller.id, shift_id=shift_id))


CONTROLLERS: list[ControllerRouterHandler] = [ShiftController, SignupController]
