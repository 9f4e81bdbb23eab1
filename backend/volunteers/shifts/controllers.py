"""HTTP for shifts: planning, sign-up, and attendance (check-in, checkpoint scans, check-out)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from backend.core.auth import principal_of, requires_login
from backend.core.i18n import as_city_time
from backend.core.openapi import problems
from backend.core.stores import rate_limit
from backend.volunteers.shifts import attendance
from backend.volunteers.shifts import services as shifts
from backend.volunteers.shifts.schemas import (
    AttendanceSheet,
    CheckInCreate,
    CheckInRead,
    CheckOutRead,
    ScanRead,
    ShiftCreate,
    ShiftRead,
    SignupRead,
)
from backend.volunteers.shifts.tables import ShiftSignup

SIGNUP_RATE = rate_limit("signup", setting="signup_rate_limit", per_user=True)
CheckpointCode = Annotated[
    str, Parameter(min_length=1, max_length=32, description="the code printed on the plate; any case")
]


def _user_id(request: Request[Any, Any, Any]) -> uuid.UUID | None:
    user = request.scope.get("user")
    return user.id if user is not None else None


async def _read(request: Request[Any, Any, Any], shift: Any) -> ShiftRead:
    return (await shifts.shift_reads([shift], user_id=_user_id(request)))[0]


def _signup_read(signup: ShiftSignup) -> SignupRead:
    return SignupRead(
        id=shifts.as_uuid(signup.id),
        shift_id=shifts.as_uuid(signup.shift),
        status=signup.status,  # type: ignore[arg-type]
        created_at=signup.created_at,
        cancelled_at=signup.cancelled_at,
        checked_in_at=signup.checked_in_at,
        checked_out_at=signup.checked_out_at,
    )


class ShiftController(Controller):
    path = "/api/v1"
    tags = ["volunteers"]

    @post(
        "/teams/{team_id:uuid}/shifts",
        operation_id="create_shift",
        summary="Plan a shift of the team (its coordinators)",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
    )
    async def create(
        self, request: Request[Any, Any, Any], team_id: uuid.UUID, data: JSONBody[ShiftCreate]
    ) -> ShiftRead:
        shift = await shifts.create_shift(user_id=principal_of(request).id, team_id=team_id, data=data)
        return await _read(request, shift)

    @get(
        "/shifts",
        operation_id="list_shifts",
        summary="Shifts by start time (not over yet, unless ?from= says otherwise)",
        responses=problems(401),
    )
    async def list_shifts(
        self,
        request: Request[Any, Any, Any],
        team_id: uuid.UUID | None = None,
        starts_from: Annotated[
            datetime | None, Parameter(query="from", description="shifts starting at or after")
        ] = None,
        starts_to: Annotated[datetime | None, Parameter(query="to", description="shifts starting before")] = None,
        mine: Annotated[bool, Parameter(description="only shifts the caller holds a place on (log in)")] = False,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
    ) -> list[ShiftRead]:
        user_id = principal_of(request).id if mine else _user_id(request)
        found = await shifts.list_shifts(
            user_id=user_id,
            team_id=team_id,
            starts_from=as_city_time(starts_from),
            starts_to=as_city_time(starts_to),
            mine=mine,
            limit=limit,
        )
        return await shifts.shift_reads(found, user_id=user_id)

    @get(
        "/shifts/{shift_id:uuid}",
        operation_id="get_shift",
        summary="One shift, with the caller's own place",
        responses=problems(404),
    )
    async def get_shift(self, request: Request[Any, Any, Any], shift_id: uuid.UUID) -> ShiftRead:
        return await _read(request, await shifts.load_shift(shift_id))

    @post(
        "/shifts/{shift_id:uuid}/cancel",
        operation_id="cancel_shift",
        summary="Call a shift off before it starts (coordinators); every place is released",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409),
    )
    async def cancel(self, request: Request[Any, Any, Any], shift_id: uuid.UUID) -> ShiftRead:
        return await _read(request, await shifts.cancel_shift(user_id=principal_of(request).id, shift_id=shift_id))


class SignupController(Controller):
    path = "/api/v1/shifts/{shift_id:uuid}"
    tags = ["volunteers"]
    guards = [requires_login]
    security = [{"bearer": []}]

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
        request: Request[Any, Any, Any],
        shift_id: uuid.UUID,
        idempotency_key: Annotated[
            str | None, Parameter(header="Idempotency-Key", min_length=1, max_length=128)
        ] = None,
    ) -> Response[SignupRead]:
        signup, created = await shifts.sign_up(
            user_id=principal_of(request).id, shift_id=shift_id, idempotency_key=idempotency_key
        )
        return Response(_signup_read(signup), status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @delete(
        "/signups/me",
        operation_id="cancel_shift_signup",
        summary="Give up one's place before the shift starts",
        guards=[SIGNUP_RATE],
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409, 429),
    )
    async def cancel(self, request: Request[Any, Any, Any], shift_id: uuid.UUID) -> SignupRead:
        return _signup_read(await shifts.cancel_signup(user_id=principal_of(request).id, shift_id=shift_id))

    @get(
        "/signups",
        operation_id="shift_attendance_sheet",
        summary="The attendance sheet: who signed up, check-ins, scans, hours (coordinators; phones masked)",
        responses=problems(401, 403, 404),
    )
    async def sheet(self, request: Request[Any, Any, Any], shift_id: uuid.UUID) -> AttendanceSheet:
        return await attendance.attendance_sheet(user_id=principal_of(request).id, shift_id=shift_id)

    @post(
        "/check-in",
        operation_id="shift_check_in",
        summary="Check in (from 30 minutes before the start); the location is checked, never stored",
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409, 422),
    )
    async def check_in(
        self, request: Request[Any, Any, Any], shift_id: uuid.UUID, data: JSONBody[CheckInCreate | None] = None
    ) -> CheckInRead:
        where = data or CheckInCreate()
        signup, already = await attendance.check_in(
            user_id=principal_of(request).id, shift_id=shift_id, latitude=where.latitude, longitude=where.longitude
        )
        return CheckInRead(
            signup_id=shifts.as_uuid(signup.id),
            shift_id=shift_id,
            checked_in_at=signup.checked_in_at,
            already_checked_in=already,
        )  # type: ignore[arg-type]

    @post(
        "/checkpoints/{code:str}/scan",
        operation_id="scan_checkpoint",
        summary="Scan a checkpoint plate of the shift's route, in order",
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409),
    )
    async def scan(self, request: Request[Any, Any, Any], shift_id: uuid.UUID, code: CheckpointCode) -> ScanRead:
        return await attendance.scan_checkpoint(user_id=principal_of(request).id, shift_id=shift_id, code=code)

    @post(
        "/check-out",
        operation_id="shift_check_out",
        summary="Check out: minutes inside the shift, and a pending hours entry at or above its rule",
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409),
    )
    async def check_out(self, request: Request[Any, Any, Any], shift_id: uuid.UUID) -> CheckOutRead:
        return await attendance.check_out(user_id=principal_of(request).id, shift_id=shift_id)


CONTROLLERS: list[ControllerRouterHandler] = [ShiftController, SignupController]
