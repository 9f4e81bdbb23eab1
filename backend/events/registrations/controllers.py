"""HTTP for registrations: sign-up, a resident's own places and tickets, the organiser's list, and
scanning tickets at the door."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.core.auth import requires_login
from backend.core.cache import VersionedCache
from backend.core.context import Principal
from backend.core.openapi import problems
from backend.core.qr import data_url, qr_png
from backend.core.stores import rate_limit
from backend.events.registrations import door, presenters, queries, services
from backend.events.registrations.schemas import AttendeeList, RegistrationCreate, RegistrationRead, TicketRead
from backend.events.registrations.tables import Registration
from backend.events.schemas import CheckInCreate, CheckInRead
from backend.settings import Settings


async def _registration_read(registration: Registration) -> RegistrationRead:
    event, venue_name, position = await queries.registration_context(registration)
    return presenters.registration_read(registration, event, venue_name, position)


class RegistrationController(Controller):
    path = "/api/v1"
    tags = ["registrations"]
    guards = [requires_login]
    security = [{"bearer": []}]

    @post(
        "/events/{event_id:uuid}/registrations",
        operation_id="sign_up",
        summary="Sign up (a seat if free, else the waitlist); Idempotency-Key makes retries safe",
        guards=[rate_limit("signup", setting="signup_rate_limit", per_user=True)],
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 409, 422, 429),
    )
    async def sign_up(
        self,
        caller: Principal,
        event_id: uuid.UUID,
        settings: NamedDependency[Settings],
        data: JSONBody[RegistrationCreate | None] = None,
        idempotency_key: Annotated[
            str | None, Parameter(header="Idempotency-Key", min_length=1, max_length=128)
        ] = None,
    ) -> RegistrationRead:
        body = data or RegistrationCreate()
        signed_up = await services.sign_up(
            user_id=caller.id,
            event_id=event_id,
            party_size=body.party_size,
            idempotency_key=idempotency_key,
            max_upcoming=settings.max_upcoming_registrations,
            share_code=body.share_code,
        )
        registration = signed_up.registration
        if signed_up.shown is not None:
            return presenters.registration_read(registration, *signed_up.shown)
        assert isinstance(registration, Registration)  # an earlier one, read back
        return await _registration_read(registration)

    @get(
        "/registrations/{registration_id:uuid}/ticket",
        operation_id="get_ticket",
        summary="The ticket of a confirmed place: its signed payload and a QR code",
        responses=problems(401, 404, 409),
    )
    async def ticket(
        self, caller: Principal, registration_id: uuid.UUID, settings: NamedDependency[Settings]
    ) -> TicketRead:
        registration, ticket = await door.ticket_for(
            user_id=caller.id, registration_id=registration_id, secret_key=settings.secret_key
        )
        brief = await _registration_read(registration)
        return TicketRead(
            registration_id=registration.id,
            ticket=ticket,
            qr_png=data_url(qr_png(ticket)),
            status=brief.status,
            event=brief.event,
        )

    @get(
        "/registrations/{registration_id:uuid}/ticket.png",
        operation_id="get_ticket_png",
        summary="The ticket's QR code as a PNG image",
        media_type="image/png",
        responses=problems(401, 404, 409),
    )
    async def ticket_png(
        self, caller: Principal, registration_id: uuid.UUID, settings: NamedDependency[Settings]
    ) -> Response[bytes]:
        _registration, ticket = await door.ticket_for(
            user_id=caller.id, registration_id=registration_id, secret_key=settings.secret_key
        )
        return Response(content=qr_png(ticket), media_type="image/png", headers={"Cache-Control": "private, no-store"})

    @get(
        "/events/{event_id:uuid}/registrations",
        operation_id="list_event_registrations",
        summary="Who signed up (names and phones masked), counts by status; ?format=csv for Excel",
        responses=problems(401, 404),
    )
    async def registrations(
        self,
        caller: Principal,
        event_id: uuid.UUID,
        format: Annotated[Literal["json", "csv"], Parameter(description="csv: UTF-8 with BOM")] = "json",
    ) -> Response[AttendeeList]:
        attendees, counts = await services.attendee_list(user_id=caller.id, event_id=event_id, format=format)
        if format == "csv":
            # The CSV form of the list; the annotation documents the JSON one.
            return Response(
                content=presenters.attendees_csv(attendees),  # type: ignore[arg-type]
                media_type="text/csv",
                headers={"Content-Disposition": f'attachment; filename="registrations-{event_id}.csv"'},
            )
        return Response(presenters.attendee_list(attendees, counts))

    @get(
        "/me/registrations",
        operation_id="my_registrations",
        summary="The caller's registrations",
        responses=problems(401),
    )
    async def mine(self, caller: Principal, include_past: bool = False) -> list[RegistrationRead]:
        found = await queries.my_registrations(user_id=caller.id, include_past=include_past)
        return [await _registration_read(r) for r in found]

    @get(
        "/registrations/{registration_id:uuid}",
        operation_id="get_registration",
        summary="One of the caller's registrations",
        responses=problems(401, 404),
    )
    async def get_one(self, caller: Principal, registration_id: uuid.UUID) -> RegistrationRead:
        registration = await queries.get_registration(user_id=caller.id, registration_id=registration_id)
        return await _registration_read(registration)

    @delete(
        "/registrations/{registration_id:uuid}",
        operation_id="cancel_registration",
        summary="Cancel the caller's registration; the waitlist moves up",
        guards=[rate_limit("signup", setting="signup_rate_limit", per_user=True)],
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409, 429),
    )
    async def cancel(
        self, caller: Principal, registration_id: uuid.UUID, cache: NamedDependency[VersionedCache]
    ) -> RegistrationRead:
        registration = await services.cancel_registration(
            user_id=caller.id, registration_id=registration_id, cache=cache
        )
        return await _registration_read(registration)


class DoorController(Controller):
    """What organisers do at the door: scan tickets."""

    path = "/api/v1/events/{event_id:uuid}"
    tags = ["registrations"]
    guards = [requires_login]
    security = [{"bearer": []}]

    @post(
        "/check-ins",
        operation_id="check_in",
        summary="Scan a ticket at the door; a second scan says when the first one was",
        description=(
            "The door opens LINLI_CHECK_IN_OPENS_MINUTES (default 60) before the start and closes three hours "
            "after the end; a scan outside those hours is refused (409 check_in_not_open, check_in_closed) and "
            "changes nothing. Someone who may not manage a published event gets 403, a draft answers 404."
        ),
        status_code=HTTP_200_OK,
        responses=problems(401, 403, 404, 409, 422),
    )
    async def check_in(
        self,
        caller: Principal,
        event_id: uuid.UUID,
        data: JSONBody[CheckInCreate],
        settings: NamedDependency[Settings],
        cache: NamedDependency[VersionedCache],
    ) -> CheckInRead:
        result = await door.check_in(
            user_id=caller.id,
            event_id=event_id,
            ticket=data.ticket,
            secret_key=settings.secret_key,
            cache=cache,
            opens_before=timedelta(minutes=settings.check_in_opens_minutes),
        )
        return presenters.check_in_read(result)
