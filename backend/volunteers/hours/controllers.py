"""HTTP for the hours ledger: the caller's hours, claims and entries, verification and
corrections, the monthly CSV, the service record and its public check."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example, SecurityRequirement
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.i18n import get_locale
from backend.core.openapi import problems
from backend.core.stores import rate_limit
from backend.settings import Settings
from backend.volunteers.hours import decisions, month_csv, presenters, queries, records, services
from backend.volunteers.hours.records_pdf import stored_record_pdf
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
    VolunteerLedgerRead,
)
from backend.volunteers.storage import private_store

BEARER: list[SecurityRequirement] = [{"bearer": []}]
MonthParam = Annotated[
    str, Parameter(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM, by service date (city time)")
]
IdempotencyKey = Annotated[str | None, Parameter(header="Idempotency-Key", min_length=1, max_length=100)]
NumberOrCode = Annotated[
    str,
    Parameter(
        description="the record number (LL-2026-ABCDEFGH) or the verification code (ABCD-EFGH-JKMN) printed on it",
        examples=[Example(value="ABCD-EFGH-JKMN"), Example(value="LL-2026-ABCDEFGH")],
    ),
]

_LEDGER_ENTRY = {
    "team": {"id": "8d1e5c1a-2b7f-4c1e-9a55-0f3c2d7b6e41", "name": "南园社区巡逻队"},
    "status_name": "已审核",
    "flags": [],
    "decision_note": "",
    "volunteer": {"id": "5b0f8a3e-77c2-4d1a-b9e0-3a6c1d2e4f58", "display_name": "小林", "real_name_masked": "林*"},
    "decided_by_name": "王老师",
}
LEDGER_EXAMPLE = {
    "volunteer": {"id": "5b0f8a3e-77c2-4d1a-b9e0-3a6c1d2e4f58", "display_name": "小林", "real_name_masked": "林*"},
    "team": {"id": "8d1e5c1a-2b7f-4c1e-9a55-0f3c2d7b6e41", "name": "南园社区巡逻队"},
    "items": [
        {
            **_LEDGER_ENTRY,
            "id": "c4a7e2d9-1f3b-4e8a-8c6d-2b9f0e1a3c57",
            "kind": "correction",
            "kind_name": "更正",
            "minutes": -30,
            "hours": -0.5,
            "service_date": "2026-11-28",
            "content": "",
            "reason": "签退时间登记有误，多记了半小时",
            "status": "verified",
            "corrects": "9e2b6d14-5a8c-4f07-b3e1-7d4c2a9f6b08",
            "created_at": "2026-12-02T02:15:00Z",
            "decided_at": "2026-12-02T02:15:00Z",
            "balance_minutes": None,
            "corrects_service_date": "2026-11-09",
        },
        {
            **_LEDGER_ENTRY,
            "id": "f1d3b5a7-9c2e-4a6b-8d0f-1e3a5c7b9d24",
            "kind": "shift",
            "kind_name": "值班",
            "minutes": 150,
            "hours": 2.5,
            "service_date": "2026-11-28",
            "content": "周末夜间巡逻",
            "reason": "",
            "status": "verified",
            "corrects": None,
            "created_at": "2026-11-28T14:05:00Z",
            "decided_at": "2026-11-29T01:30:00Z",
            "balance_minutes": None,
            "corrects_service_date": None,
        },
    ],
    "next_before": "f1d3b5a7-9c2e-4a6b-8d0f-1e3a5c7b9d24",
    "team_totals": {"verified_minutes": 6030, "pending_minutes": 90, "rejected_minutes": 60, "verified_hours": 100.5},
    "totals": {
        "verified_minutes": 6150,
        "verified_hours": 102.5,
        "pending_minutes": 90,
        "level": 1,
        "level_name": "一星志愿者",
        "next_milestone_hours": 300,
        "hours_to_next": 197.5,
    },
}


class HoursController(Controller):
    path = "/api/v1"
    tags = ["hours"]
    guards = [requires_login]
    security = BEARER

    @get(
        "/me/hours",
        operation_id="my_hours",
        summary="The caller's hours ledger, totals and star level",
        responses=problems(400, 401),
    )
    async def mine(
        self,
        caller: Principal,
        settings: NamedDependency[Settings],
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        before: Annotated[
            uuid.UUID | None, Parameter(description="an entry id: the entries after it in the list")
        ] = None,
        offset: Annotated[int, Parameter(ge=0, le=100_000)] = 0,
    ) -> MyHoursRead:
        rows, totals, following = await queries.my_hours(
            user_id=caller.id,
            milestones=settings.milestone_hours,
            limit=limit,
            before=before,
            offset=offset,
        )
        return presenters.my_hours_read(rows, totals, following)

    @get(
        "/me/hours/record",
        operation_id="my_service_record",
        summary="The caller's volunteer service record (PDF) over their verified hours",
        media_type="application/pdf",
        responses=problems(401, 409),
    )
    async def record(self, caller: Principal, settings: NamedDependency[Settings]) -> Response[bytes]:
        issued = await records.issue_record(user_id=caller.id, keys=settings.sealing_keys)
        body = await stored_record_pdf(
            issued, locale=get_locale(), public_base_url=settings.public_base_url, store=private_store(settings)
        )
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
        caller: Principal,
        team_id: uuid.UUID,
        data: JSONBody[ManualHoursCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> HoursEntryRead:
        row = await services.add_manual_entry(
            user_id=caller.id,
            team_id=team_id,
            volunteer_id=data.user_id,
            minutes=data.minutes,
            service_date=data.service_date,
            content=data.content,
            reason=data.reason,
            idempotency_key=idempotency_key,
        )
        return presenters.entry_read(row)

    @get(
        "/teams/{team_id:uuid}/hours",
        operation_id="list_team_hours",
        summary="A team's hours entries with masked real names: the coordinators' verification queue",
        responses=problems(401, 403, 404, 422),
    )
    async def team(
        self,
        caller: Principal,
        team_id: uuid.UUID,
        status: HoursStatusCode | None = None,
        month: MonthParam | None = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 200,
        offset: Annotated[int, Parameter(ge=0, le=100_000)] = 0,
    ) -> list[TeamHoursEntryRead]:
        rows = await queries.team_entries(
            user_id=caller.id, team_id=team_id, status=status, month=month, limit=limit, offset=offset
        )
        return [presenters.team_entry_read(row) for row in rows]

    @get(
        "/teams/{team_id:uuid}/members/{user_id:uuid}/hours",
        operation_id="volunteer_hours_ledger",
        summary="A page of one volunteer's entries in the team, newest first, with the team's sums and their totals "
        "and milestone level (its coordinators)",
        description="Keyset-paged as `GET /me/hours`: pass the answer's `next_before` as `?before=` for the next, "
        "older page (`null` on the last). The sums and totals are over every entry, on every page. Each entry "
        "carries what its corrections make of it (`balance_minutes`) and a correction the date it corrects "
        "(`corrects_service_date`), wherever the other entry is listed. Every page read is on the audit trail.",
        responses={
            **problems(400, 401, 403, 404, 422),
            200: ResponseSpec(
                VolunteerLedgerRead,
                description="A page of the volunteer's ledger",
                examples=[Example(summary="the first page of a long ledger", value=LEDGER_EXAMPLE)],
            ),
        },
    )
    async def ledger(
        self,
        caller: Principal,
        team_id: uuid.UUID,
        user_id: uuid.UUID,
        settings: NamedDependency[Settings],
        limit: Annotated[int, Parameter(ge=1, le=queries.MAX_PAGE, description="entries on the page")] = (
            queries.LEDGER_PAGE
        ),
        before: Annotated[
            uuid.UUID | None,
            Parameter(
                description="the `next_before` of the page before: an entry of this volunteer in this team "
                "(another entry: 400 invalid_cursor; not a UUID: 422)"
            ),
        ] = None,
    ) -> VolunteerLedgerRead:
        found = await queries.volunteer_ledger(
            user_id=caller.id,
            team_id=team_id,
            volunteer_id=user_id,
            milestones=settings.milestone_hours,
            limit=limit,
            before=before,
        )
        return presenters.ledger_read(found)

    @get(
        "/teams/{team_id:uuid}/hours.csv",
        operation_id="team_hours_csv",
        summary="A team's hours of one month as CSV (UTF-8 with BOM), with totals per volunteer",
        media_type="text/csv",
        responses=problems(400, 401, 403, 404, 422),
    )
    async def csv(self, caller: Principal, team_id: uuid.UUID, month: MonthParam) -> Response[bytes]:
        rows = await queries.team_month_export(user_id=caller.id, team_id=team_id, month=month)
        body = month_csv.hours_csv(rows)
        disposition = f'attachment; filename="hours-{team_id}-{month}.csv"'
        return Response(
            body,
            media_type="text/csv",
            headers={"Content-Disposition": disposition, "Cache-Control": "private, no-store"},
        )

    @post(
        "/hours/{entry_id:uuid}/verify",
        operation_id="verify_hours",
        summary="Verify a pending entry (coordinators of its team, never the volunteer themself)",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409),
    )
    async def verify(self, caller: Principal, entry_id: uuid.UUID) -> HoursEntryRead:
        row = await decisions.verify_entry(user_id=caller.id, entry_id=entry_id)
        return presenters.entry_read(row)

    @post(
        "/teams/{team_id:uuid}/hours/verify",
        operation_id="verify_team_hours",
        summary="Verify many entries of a team at once; what cannot be verified is listed with a code",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 422),
    )
    async def verify_many(
        self, caller: Principal, team_id: uuid.UUID, data: JSONBody[HoursVerifyMany]
    ) -> HoursVerifiedMany:
        outcome = await decisions.verify_entries(user_id=caller.id, team_id=team_id, entry_ids=data.entry_ids)
        return presenters.bulk_read(outcome)

    @post(
        "/hours/{entry_id:uuid}/reject",
        operation_id="reject_hours",
        summary="Reject a pending entry with a note for the volunteer",
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409, 422),
    )
    async def reject(self, caller: Principal, entry_id: uuid.UUID, data: JSONBody[HoursReject]) -> HoursEntryRead:
        row = await decisions.reject_entry(user_id=caller.id, entry_id=entry_id, note=data.note)
        return presenters.entry_read(row)

    @post(
        "/hours/{entry_id:uuid}/corrections",
        operation_id="correct_hours",
        summary="Correct a verified entry by a signed number of minutes: a new, verified entry",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 409, 422),
    )
    async def correct(
        self,
        caller: Principal,
        entry_id: uuid.UUID,
        data: JSONBody[HoursCorrectionCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> HoursEntryRead:
        row = await decisions.correct_entry(
            user_id=caller.id,
            entry_id=entry_id,
            minutes=data.minutes,
            reason=data.reason,
            idempotency_key=idempotency_key,
        )
        return presenters.entry_read(row)


class RecordCheckController(Controller):
    """Public: anyone holding a printed record checks it by its number or its code, without logging in."""

    path = "/api/v1/hours/records"
    tags = ["hours"]

    @get(
        "/{code:str}",
        operation_id="check_service_record",
        summary="Check a service record by its record number or its verification code (case, dashes and spaces "
        "ignored)",
        guards=[rate_limit("record_check", setting="record_check_rate_limit")],
        responses=problems(404, 429),
    )
    async def check(self, code: NumberOrCode) -> ServiceRecordCheck:
        return presenters.record_check_read(await records.check_record(code=code))


CONTROLLERS: list[ControllerRouterHandler] = [HoursController, RecordCheckController]
