"""HTTP for events: categories, venues, publishing, browsing, and sign-up."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.core.auth import principal_of, requires_login
from backend.core.cache import VersionedCache
from backend.core.geo import parse_point
from backend.core.i18n import _, as_city_time
from backend.core.openapi import problems
from backend.core.qr import data_url, qr_png
from backend.core.stores import rate_limit
from backend.events import browse, checkins, presenters, registrations, services
from backend.events.queries import MAX_RADIUS_M, EventFilters
from backend.events.schemas import (
    AttendeeList,
    AudienceCode,
    CategoryCode,
    CategoryRead,
    CheckInCreate,
    CheckInRead,
    EditScope,
    EventCreate,
    EventPage,
    EventRead,
    EventsCreated,
    EventStatusCode,
    EventUpdate,
    RegistrationCreate,
    RegistrationRead,
    SpokenLanguage,
    TagRead,
    TicketRead,
    VenueCreate,
    VenueRead,
    VocabularyRead,
)
from backend.events.tables import Category, Event
from backend.events.vocabulary import (
    ACCESSIBILITY,
    ACCESSIBILITY_NAMES,
    AUDIENCE_NAMES,
    AUDIENCES,
    SPOKEN_LANGUAGES,
    category_name,
    language_name,
)
from backend.settings import Settings

JSON = "application/json"
# Not called ``scope`` in the handlers: Litestar passes the ASGI scope to a parameter of that name.
ScopeParam = Annotated[
    EditScope, Parameter(query="scope", description="this event only, or this and every later occurrence of its series")
]


def _user_id(request: Request[Any, Any, Any]) -> uuid.UUID | None:
    user = request.scope.get("user")
    return user.id if user is not None else None


async def _events_read(events: list[Event]) -> list[EventRead]:
    # A series' occurrences share a venue: read each venue once, not once per occurrence.
    venues = {venue_id: await services.get_venue(venue_id) for venue_id in {event.venue for event in events}}
    return [presenters.event_read(event, venues[event.venue]) for event in events]


async def _registration_read(registration: Any) -> RegistrationRead:
    event, venue_name, position = await registrations.registration_context(registration)
    return presenters.registration_read(registration, event, venue_name, position)


class CatalogueController(Controller):
    path = "/api/v1"
    tags = ["events"]

    @get("/categories", operation_id="list_categories", summary="Event categories, named in the caller's language")
    async def categories(self) -> list[CategoryRead]:
        return [CategoryRead(code=c.value, name=category_name(c)) for c in Category]  # type: ignore[arg-type]

    @get(
        "/event-vocabulary",
        operation_id="event_vocabulary",
        summary="Categories, audiences, spoken languages and accessibility tags, named in the caller's language",
    )
    async def vocabulary(self) -> VocabularyRead:
        return VocabularyRead(
            categories=[CategoryRead(code=c.value, name=category_name(c)) for c in Category],  # type: ignore[arg-type]
            audiences=[TagRead(code=a, name=_(AUDIENCE_NAMES[a])) for a in AUDIENCES],
            languages=[TagRead(code=code, name=language_name(code)) for code in SPOKEN_LANGUAGES],
            accessibility=[TagRead(code=a, name=_(ACCESSIBILITY_NAMES[a])) for a in ACCESSIBILITY],
        )

    @get("/venues", operation_id="list_venues", summary="Venues, optionally of one community")
    async def venues(self, community_id: uuid.UUID | None = None) -> list[VenueRead]:
        return [presenters.venue_read(v) for v in await services.list_venues(community_id=community_id)]

    @post(
        "/venues",
        operation_id="create_venue",
        summary="Add a venue (organisers, for their organisation)",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 422),
    )
    async def create_venue(self, request: Request[Any, Any, Any], data: JSONBody[VenueCreate]) -> VenueRead:
        return presenters.venue_read(await services.create_venue(user_id=principal_of(request).id, data=data))


class EventController(Controller):
    path = "/api/v1/events"
    tags = ["events"]

    @get(
        operation_id="list_events",
        summary="Browse events: filters, text search, near a point; cursor pages",
        responses=problems(400),
        before_request=browse.answer_from_cache,
        opt={"skip_compression": True},  # pages are kept and sent gzip-compressed (browse.gzipped_json)
    )
    async def list_events(
        self,
        request: Request[Any, Any, Any],
        cache: NamedDependency[VersionedCache],
        starts_from: Annotated[
            datetime | None, Parameter(query="from", description="events starting at or after")
        ] = None,
        starts_to: Annotated[datetime | None, Parameter(query="to", description="events starting before")] = None,
        category: list[CategoryCode] | None = None,
        venue_id: uuid.UUID | None = None,
        community_id: uuid.UUID | None = None,
        audience: AudienceCode | None = None,
        language: Annotated[SpokenLanguage | None, Parameter(description="spoken at the event")] = None,
        free_seats: Annotated[bool, Parameter(description="only events with seats left")] = False,
        evenings_weekends: Annotated[bool, Parameter(description="starting 18:30 or later, or on a weekend")] = False,
        q: Annotated[
            str | None, Parameter(max_length=100, description="words in any language's title or summary")
        ] = None,
        near: Annotated[str | None, Parameter(description="lat,lng (GCJ-02); sorts by distance", examples=[])] = None,
        radius_m: Annotated[int, Parameter(ge=100, le=MAX_RADIUS_M)] = 5000,
        mine: Annotated[bool, Parameter(description="staff: every event of my organisations, any status")] = False,
        status: list[EventStatusCode] | None = None,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=50)] = 20,
    ) -> Response[EventPage]:
        filters = EventFilters(
            starts_from=as_city_time(starts_from),
            starts_to=as_city_time(starts_to),
            categories=tuple(category or ()),
            venue_id=venue_id,
            community_id=community_id,
            audience=audience,
            language=language,
            free_seats=free_seats,
            evenings_weekends=evenings_weekends,
            text=(q or "").strip() or None,
            near=parse_point(near),
            radius_m=radius_m,
            mine=mine,
            statuses=tuple(status or ()),
        )
        body = await browse.browse_events(
            filters=filters,
            user_id=_user_id(request),
            cursor=cursor,
            limit=limit,
            cache=cache,
            key=getattr(request.state, "list_cache_key", None),
        )
        return browse.gzipped_json(request, body)

    @get(
        "/{event_id:uuid}",
        operation_id="get_event",
        summary="One event, in the caller's language",
        responses=problems(404),
    )
    async def get_event(
        self, request: Request[Any, Any, Any], event_id: uuid.UUID, cache: NamedDependency[VersionedCache]
    ) -> Response[EventRead]:
        body = await browse.read_event(event_id=event_id, user_id=_user_id(request), cache=cache)
        return Response(content=body, media_type=JSON)

    @post(
        operation_id="create_event",
        summary="Create a draft event, or every occurrence of a recurring programme",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
    )
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[EventCreate], cache: NamedDependency[VersionedCache]
    ) -> EventsCreated:
        series_id, events = await services.create_events(user_id=principal_of(request).id, data=data, cache=cache)
        return EventsCreated(series_id=series_id, events=await _events_read(events))

    @patch(
        "/{event_id:uuid}",
        operation_id="update_event",
        summary="Edit an event, or it and the following occurrences of its series",
        guards=[requires_login],
        security=[{"bearer": []}],
        responses=problems(401, 404, 409, 422),
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        event_id: uuid.UUID,
        data: JSONBody[EventUpdate],
        cache: NamedDependency[VersionedCache],
        edit_scope: ScopeParam = "this",
    ) -> list[EventRead]:
        changes = msgspec.structs.asdict(data)
        events = await services.update_event(
            user_id=principal_of(request).id, event_id=event_id, changes=changes, scope=edit_scope, cache=cache
        )
        return await _events_read(events)

    @post(
        "/{event_id:uuid}/publish",
        operation_id="publish_event",
        summary="Publish a draft (and, with scope=following, the later drafts of its series)",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409),
    )
    async def publish(
        self,
        request: Request[Any, Any, Any],
        event_id: uuid.UUID,
        cache: NamedDependency[VersionedCache],
        edit_scope: ScopeParam = "this",
    ) -> list[EventRead]:
        return await _events_read(
            await services.publish_event(
                user_id=principal_of(request).id, event_id=event_id, scope=edit_scope, cache=cache
            )
        )

    @post(
        "/{event_id:uuid}/cancel",
        operation_id="cancel_event",
        summary="Cancel an event and every registration on it; residents are notified",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409),
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        event_id: uuid.UUID,
        cache: NamedDependency[VersionedCache],
        edit_scope: ScopeParam = "this",
    ) -> list[EventRead]:
        return await _events_read(
            await services.cancel_event(
                user_id=principal_of(request).id, event_id=event_id, scope=edit_scope, cache=cache
            )
        )

    @post(
        "/{event_id:uuid}/complete",
        operation_id="complete_event",
        summary="Mark a started event completed",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409),
    )
    async def complete(
        self, request: Request[Any, Any, Any], event_id: uuid.UUID, cache: NamedDependency[VersionedCache]
    ) -> EventRead:
        event = await services.complete_event(user_id=principal_of(request).id, event_id=event_id, cache=cache)
        return (await _events_read([event]))[0]


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
        responses=problems(401, 404, 409, 422, 429),
    )
    async def sign_up(
        self,
        request: Request[Any, Any, Any],
        event_id: uuid.UUID,
        settings: NamedDependency[Settings],
        cache: NamedDependency[VersionedCache],
        data: JSONBody[RegistrationCreate | None] = None,
        idempotency_key: Annotated[
            str | None, Parameter(header="Idempotency-Key", min_length=1, max_length=128)
        ] = None,
    ) -> RegistrationRead:
        body = data or RegistrationCreate()
        registration, _created = await registrations.sign_up(
            user_id=principal_of(request).id,
            event_id=event_id,
            party_size=body.party_size,
            idempotency_key=idempotency_key,
            max_upcoming=settings.max_upcoming_registrations,
            cache=cache,
            share_code=body.share_code,
        )
        return await _registration_read(registration)

    @get(
        "/registrations/{registration_id:uuid}/ticket",
        operation_id="get_ticket",
        summary="The ticket of a confirmed place: its signed payload and a QR code",
        responses=problems(401, 404, 409),
    )
    async def ticket(
        self, request: Request[Any, Any, Any], registration_id: uuid.UUID, settings: NamedDependency[Settings]
    ) -> TicketRead:
        registration, ticket = await checkins.ticket_for(
            user_id=principal_of(request).id, registration_id=registration_id, secret_key=settings.secret_key
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
        self, request: Request[Any, Any, Any], registration_id: uuid.UUID, settings: NamedDependency[Settings]
    ) -> Response[bytes]:
        _registration, ticket = await checkins.ticket_for(
            user_id=principal_of(request).id, registration_id=registration_id, secret_key=settings.secret_key
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
        request: Request[Any, Any, Any],
        event_id: uuid.UUID,
        format: Annotated[Literal["json", "csv"], Parameter(description="csv: UTF-8 with BOM")] = "json",
    ) -> Response[AttendeeList]:
        attendees, counts = await checkins.attendees(user_id=principal_of(request).id, event_id=event_id)
        if format == "csv":
            return Response(
                content=presenters.attendees_csv(attendees),
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
    async def mine(self, request: Request[Any, Any, Any], include_past: bool = False) -> list[RegistrationRead]:
        found = await registrations.my_registrations(user_id=principal_of(request).id, include_past=include_past)
        return [await _registration_read(r) for r in found]

    @get(
        "/registrations/{registration_id:uuid}",
        operation_id="get_registration",
        summary="One of the caller's registrations",
        responses=problems(401, 404),
    )
    async def get_one(self, request: Request[Any, Any, Any], registration_id: uuid.UUID) -> RegistrationRead:
        registration = await registrations.get_registration(
            user_id=principal_of(request).id, registration_id=registration_id
        )
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
        self, request: Request[Any, Any, Any], registration_id: uuid.UUID, cache: NamedDependency[VersionedCache]
    ) -> RegistrationRead:
        registration = await registrations.cancel_registration(
            user_id=principal_of(request).id, registration_id=registration_id, cache=cache
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
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409, 422),
    )
    async def check_in(
        self,
        request: Request[Any, Any, Any],
        event_id: uuid.UUID,
        data: JSONBody[CheckInCreate],
        settings: NamedDependency[Settings],
        cache: NamedDependency[VersionedCache],
    ) -> CheckInRead:
        result = await checkins.check_in(
            user_id=principal_of(request).id,
            event_id=event_id,
            ticket=data.ticket,
            secret_key=settings.secret_key,
            cache=cache,
        )
        return presenters.check_in_read(result)
