"""HTTP for the hours ledger: the caller's hours, claims and entries, verification and
corrections, the monthly CSV, the service record and its public check."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from backend.core.auth import principal_of, requires_login
from backend.core.i18n import get_locale
from backend.core.openapi import problems
from backend.core.stores import rate_limit
from backend.settings import Settings
from backend.volunteers.hours import decisions as hours_decisions
from backend.volunteers.hours import presenters as hours_presenters
from backend.volunteers.hours import records
from backend.volunteers.hours import services as hours
from backend.volunteers.hours.month_csv import team_month_csv
from backend.volunteers.hours.records_pdf import record_pdf
from backend.volunteers.hours.schemas import (
    HoursCorrectionCreate,
    HoursEntryRead,
    HoursReject,
    HoursStatusCode,
    HoursVerifiedMany,
    HoursVerifyMany,
    ManualHoursCreate,
    MyHoursRead,
    ServiceRecordCheck,
    TeamHoursEntryRead,
)

MonthParam = Annotated[
    str, Parameter(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM, by service date (city time)")
]
IdempotencyKey = Annotated[str | None, Parameter(header="Idempotency-Key", min_length=1, max_length=100)]


class HoursController(Controller):
    path = "/api/v1"
    tags = ["hours"]
    guards = [requires_login]
    security = [{"bearer": []}]

    @get(
        "/me/hours",
        operation_id="my_hours",
        summary="The caller's hours ledger, totals and star level",
        responses=problems(400, 401),
    )
    async def mine(
        self,
        request: Request[Any, Any, Any],
        settings: NamedDependency[Settings],
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        before: Annotated[
            uuid.UUID | None, Parameter(description="an entry id: the entries after it in the list")
        ] = None,
        offset: Annotated[int, Parameter(ge=0, le=100_000)] = 0,
    ) -> MyHoursRead:
        rows, totals, following = await hours.my_hours(
            user_id=principal_of(request).id,
            milestones=settings.milestone_hours,
            limit=limit,
            before=before,
            offset=offset,
        )
        return hours_presenters.my_hours_read(rows, totals, following)

    @get(
        "/me/hours/record",
        operation_id="my_service_record",
        summary="The caller's volunteer service record (PDF) over their verified hours",
        media_type="application/pdf",
        responses=problems(401, 409),
    )
    async def record(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Response[bytes]:
        issued = await records.issue_record(user_id=principal_of(request).id, secret_key=settings.secret_key)
        body = await record_pdf(issued, locale=get_locale(), public_base_url=settings.public_base_url)
        disposition = f'attachment; filename="service-record-{issued.record.record_number}.pdf"'
        return Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
        )

    @post(
        "/teams/{team_id:uuid}/hours",
        operation_id="add_hours",
        summary="Claim hours in a team, or (coordinators) enter them for a member; pending until verified",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
    )
    async def add(
        self,
        request: Request[Any, Any, Any],
        team_id: uuid.UUID,
        data: JSONBody[ManualHoursCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> HoursEntryRead:
        row = await hours.add_manual_entry(
            user_id=principal_of(request).id,
            team_id=team_id,
            volunteer_id=data.user_id,
            minutes=data.minutes,
            service_date=data.service_date,
            content=data.content,
            reason=data.reason,
            idempotency_key=idempotency_key,
        )
        return hours_presenters.entry_read(row)

    @get(
        "/teams/{team_id:uuid}/hours",
        operation_id="list_team_hours",
        summary="A team's hours entries with masked real names: the coordinators' verification queue",
        responses=problems(401, 403, 404, 422),
    )
    async def team(
        self,
        request: Request[Any, Any, Any],
        team_id: uuid.UUID,
        status: HoursStatusCode | None = None,
        month: MonthParam | None = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 200,
        offset: Annotated[int, Parameter(ge=0, le=100_000)] = 0,
    ) -> list[TeamHoursEntryRead]:
        rows = await hours.team_entries(
            user_id=principal_of(request).id, team_id=team_id, status=status, month=month, limit=limit, offset=offset
        )
        return [hours_presenters.team_entry_read(row) for row in rows]

    @get(
        "/teams/{team_id:uuid}/hours.csv",
        operation_id="team_hours_csv",
        summary="A team's hours of one month as CSV (UTF-8 with BOM), with totals per volunteer",
        media_type="text/csv",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def csv(self, request: Request[Any, Any, Any], team_id: uuid.UUID, month: MonthParam) -> Response[bytes]:
        body = await team_month_csv(user_id=principal_of(request).id, team_id=team_id, month=month)
        disposition = f'attachment; filename="hours-{team_id}-{month}.csv"'
        return Response(body, media_type="text/csv", headers={"Content-Disposition": disposition})

    @post(
        "/hours/{entry_id:uuid}/verify",
        operation_id="verify_hours",
        summary="Verify a pending entry (coordinators of its team, never the volunteer themself)",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409),
    )
    async def verify(self, request: Request[Any, Any, Any], entry_id: uuid.UUID) -> HoursEntryRead:
        row = await hours_decisions.verify_entry(user_id=principal_of(request).id, entry_id=entry_id)
        return hours_presenters.entry_read(row)

    @post(
        "/teams/{team_id:uuid}/hours/verify",
        operation_id="verify_team_hours",
        summary="Verify many entries of a team at once; what cannot be verified is listed with a code",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 422),
    )
    async def verify_many(
        self, request: Request[Any, Any, Any], team_id: uuid.UUID, data: JSONBody[HoursVerifyMany]
    ) -> HoursVerifiedMany:
        outcome = await hours_decisions.verify_entries(
            user_id=principal_of(request).id, team_id=team_id, entry_ids=data.entry_ids
        )
        return hours_presenters.bulk_read(outcome)

    @post(
        "/hours/{entry_id:uuid}/reject",
        operation_id="reject_hours",
        summary="Reject a pending entry with a note for the volunteer",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409, 422),
    )
    async def reject(
        self, request: Request[Any, Any, Any], entry_id: uuid.UUID, data: JSONBody[HoursReject]
    ) -> HoursEntryRead:
        row = await hours_decisions.reject_entry(user_id=principal_of(request).id, entry_id=entry_id, note=data.note)
        return hours_presenters.entry_read(row)

    @post(
        "/hours/{entry_id:uuid}/corrections",
        operation_id="correct_hours",
        summary="Correct a verified entry by a signed number of minutes: a new, verified entry",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 409, 422),
    )
    async def correct(
        self,
        request: Request[Any, Any, Any],
        entry_id: uuid.UUID,
        data: JSONBody[HoursCorrectionCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> HoursEntryRead:
        row = await hours_decisions.correct_entry(
            user_id=principal_of(request).id,
            entry_id=entry_id,
            minutes=data.minutes,
            reason=data.reason,
            idempotency_key=idempotency_key,
        )
        return hours_presenters.entry_read(row)


class RecordCheckController(Controller):
    """Public: anyone holding a printed record checks it by its code, without logging in."""

    path = "/api/v1/hours/records"
    tags = ["hours"]

    @get(
        "/{code:str}",
        operation_id="check_service_record",
        summary="Check a service record by its verification code (case, dashes and spaces ignored)",
        guards=[rate_limit("record_check", setting="record_check_rate_limit")],
        responses=problems(404, 429),
    )
    async def check(self, code: str) -> ServiceRecordCheck:
        return hours_presenters.record_check_read(await records.check_record(code=code))


CONTROLLERS: list[ControllerRouterHandler] = [HoursController, RecordCheckController]
