"""HTTP for the catalogue: categories, venues, publishing, browsing (a cached page answered before
its parameters are parsed), and posters."""

from __future__ import annotations

import gzip
import uuid
from datetime import datetime
from typing import Annotated, Any, get_args

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import MediaType, RequestEncodingType
from litestar.openapi.spec import Example
from litestar.params import Body, JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.core.auth import requires_login
from backend.core.cache import VersionedCache
from backend.core.context import Principal
from backend.core.errors import PendingFieldProblem, Problem, problem_response
from backend.core.geo import parse_point
from backend.core.i18n import N_, _, get_locale
from backend.core.images import ImageLimits
from backend.core.input_checks import check_request_input
from backend.core.media import MediaStore
from backend.core.openapi import problems
from backend.core.stores import rate_limit
from backend.events.catalogue import aiming, browse, posters, presenters, queries, services
from backend.events.catalogue.moments import MomentProblem, parse_moment
from backend.events.catalogue.queries import MAX_RADIUS_M, EventFilters
from backend.events.catalogue.schemas import (
    AudienceCode,
    CategoryCode,
    CategoryRead,
    EditScope,
    EligibilityRead,
    EventCreate,
    EventPage,
    EventRead,
    EventsCreated,
    EventStatusCode,
    EventUpdate,
    PosterRead,
    SpokenLanguage,
    TagRead,
    VenueCreate,
    VenueRead,
    VocabularyRead,
)
from backend.events.catalogue.tables import Category, Event
from backend.events.catalogue.vocabulary import (
    ACCESSIBILITY,
    ACCESSIBILITY_NAMES,
    AUDIENCE_NAMES,
    AUDIENCES,
    SPOKEN_LANGUAGES,
    category_name,
    language_name,
)
from backend.events.signals import CACHE_NAMESPACE
from backend.settings import Settings

JSON = "application/json"
# Not called ``scope`` in the handlers: Litestar passes the ASGI scope to a parameter of that name.
ScopeParam = Annotated[
    EditScope, Parameter(query="scope", description="this event only, or this and every later occurrence of its series")
]
# A day or a time: a day means the whole day in Suzhou (from its start, to its end).
_MOMENT_EXAMPLES = [
    Example(summary="a day", value="2026-12-05"),
    Example(summary="a time", value="2026-12-05T19:30+08:00"),
]


def _invalid(request: Request[Any, Any, Any], name: str, message: str, code: str, **params: Any) -> Response[Problem]:
    """A 422 naming the parameter as the client sent it (Litestar would name the handler's argument)."""
    return problem_response(
        request,
        status=422,
        code="validation_failed",
        message=N_("Some fields are not valid."),
        pending_errors=[PendingFieldProblem(name, message, code, params)],
    )


def _moment_problem(request: Request[Any, Any, Any]) -> Response[Problem] | None:
    for name in ("from", "to"):
        for value in request.query_params.getall(name, ()):
            try:
                parse_moment(value)
            except MomentProblem as problem:
                return _invalid(request, name, problem.message, problem.code, **problem.params)
    return None


def _moment(value: str | None, *, end_of_day: bool = False) -> datetime | None:
    # Checked before the handler runs (answer_from_cache): here it only reads.
    return parse_moment(value, end_of_day=end_of_day) if value is not None else None


async def check_scope(request: Request[Any, Any, Any]) -> Response[Problem] | None:
    """``before_request`` of the edits that take ``?scope=``: the app's input checks, then the
    scope, named ``scope`` in the answer as the client wrote it."""
    if (refused := await check_request_input(request)) is not None:
        return refused
    for value in request.query_params.getall("scope", ()):
        if value not in get_args(EditScope):
            return _invalid(request, "scope", N_("This is not one of the allowed values."), "invalid_choice")
    return None


async def _events_read(events: list[Event]) -> list[EventRead]:
    # A series' occurrences share a venue: read each venue once, not once per occurrence.
    venues = {venue_id: await queries.get_venue(venue_id) for venue_id in {event.venue for event in events}}
    return [presenters.event_read(event, venues[event.venue], *await aiming.view_with_seats(event)) for event in events]


# --- the cached list -------------------------------------------------------------------------------


def list_key(request: Request[Any, Any, Any]) -> tuple[str, ...] | None:
    """What a public page of events depends on: the language it is written in and the question,
    as the client wrote it (parameters in a fixed order). None for a staff view (``mine``) or a
    resident's ``for_my_estate``, which depend on who asks."""
    query = request.query_params
    if "mine" in query or "for_my_estate" in query:
        return None
    asked = "&".join(f"{name}={value}" for name, value in sorted(query.multi_items()))
    return ("list", get_locale(), asked)


async def answer_from_cache(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """``before_request`` of the event list: a question already answered in this language is
    answered from the cache before its seventeen query parameters are parsed (a cached answer
    was valid when it was made, so its parameters need no second look). On a miss the handler
    runs and stores its answer under the key looked up here."""
    if (refused := await check_request_input(request)) is not None:
        return refused
    if (refused := _moment_problem(request)) is not None:
        return refused
    parts = list_key(request)
    if parts is None:
        return None
    cache: VersionedCache = request.app.state.cache
    key, hit = await cache.lookup(CACHE_NAMESPACE, *parts)
    request.state.list_cache_key = key
    return gzipped_json(request, hit) if hit is not None else None


def gzipped_json(request: Request[Any, Any, Any], compressed: bytes) -> Response[Any]:
    """A page kept gzip-compressed, as it was compressed once when made: sent as it is to a client
    that accepts gzip (every browser and WeChat), unpacked for one that does not. The handler is
    excluded from the compression middleware, which would otherwise compress it on every hit."""
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            content=compressed,
            media_type=MediaType.JSON,
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    return Response(content=gzip.decompress(compressed), media_type=MediaType.JSON, headers={"Vary": "Accept-Encoding"})


class CatalogueController(Controller):
    path = "/api/v1"
    tags = ["events"]

    @get("/categories", operation_id="list_categories", summary="Event categories, named in the caller's language")
    async def categories(self) -> list[CategoryRead]:
        return [CategoryRead(code=c.value, name=category_name(c)) for c in Category]

    @get(
        "/event-vocabulary",
        operation_id="event_vocabulary",
        summary="Categories, audiences, spoken languages and accessibility tags, named in the caller's language",
    )
    async def vocabulary(self) -> VocabularyRead:
        return VocabularyRead(
            categories=[CategoryRead(code=c.value, name=category_name(c)) for c in Category],
            audiences=[TagRead(code=a, name=_(AUDIENCE_NAMES[a])) for a in AUDIENCES],
            languages=[TagRead(code=code, name=language_name(code)) for code in SPOKEN_LANGUAGES],
            accessibility=[TagRead(code=a, name=_(ACCESSIBILITY_NAMES[a])) for a in ACCESSIBILITY],
        )

    @get("/venues", operation_id="list_venues", summary="Venues, optionally of one community")
    async def venues(self, community_id: uuid.UUID | None = None) -> list[VenueRead]:
        return [presenters.venue_read(v) for v in await queries.list_venues(community_id=community_id)]

    @post(
        "/venues",
        operation_id="create_venue",
        summary="Add a venue (organisers, for their organisation)",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 422),
    )
    async def create_venue(self, caller: Principal, data: JSONBody[VenueCreate]) -> VenueRead:
        return presenters.venue_read(await services.create_venue(user_id=caller.id, data=data))


class EventController(Controller):
    path = "/api/v1/events"
    tags = ["events"]

    @get(
        operation_id="list_events",
        summary="Browse events: filters, text search, near a point; cursor pages",
        responses=problems(400, 401),
        before_request=answer_from_cache,
        opt={"skip_compression": True},  # pages are kept and sent gzip-compressed (gzipped_json)
    )
    async def list_events(
        self,
        request: Request[Any, Any, Any],
        visitor: Principal | None,
        cache: NamedDependency[VersionedCache],
        starts_from: Annotated[
            str | None,
            Parameter(
                query="from",
                max_length=64,
                description="events starting at or after: a day (from its start, in Suzhou) or a time "
                "(Suzhou time unless it names an offset)",
                examples=_MOMENT_EXAMPLES,
            ),
        ] = None,
        starts_to: Annotated[
            str | None,
            Parameter(
                query="to",
                max_length=64,
                description="events starting before: a day (up to its end, in Suzhou) or a time",
                examples=_MOMENT_EXAMPLES,
            ),
        ] = None,
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
        alliance_id: Annotated[
            uuid.UUID | None, Parameter(query="alliance", description="events for an estate alliance's estates")
        ] = None,
        fellowship: Annotated[
            bool | None, Parameter(description="only an alliance's fellowship events (联谊活动), or only others")
        ] = None,
        for_my_estate: Annotated[
            bool,
            Parameter(
                description="residents: only events open to me (to everyone, or aimed at my estate, alliance or "
                "grid), each marked for_you; needs a login"
            ),
        ] = False,
        cursor: Annotated[str | None, Parameter(max_length=200)] = None,
        limit: Annotated[int, Parameter(ge=1, le=50)] = 20,
    ) -> Response[EventPage]:
        filters = EventFilters(
            starts_from=_moment(starts_from),
            starts_to=_moment(starts_to, end_of_day=True),
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
            places=await aiming.place_filters(
                alliance_id=alliance_id,
                fellowship=fellowship,
                for_my_estate=for_my_estate,
                user_id=visitor.id if visitor else None,
            ),
        )
        body = await browse.browse_events(
            filters=filters,
            user_id=visitor.id if visitor else None,
            cursor=cursor,
            limit=limit,
            cache=cache,
            key=getattr(request.state, "list_cache_key", None),
        )
        return gzipped_json(request, body)

    @get(
        "/{event_id:uuid}",
        operation_id="get_event",
        summary="One event, in the caller's language",
        responses=problems(404),
    )
    async def get_event(
        self, visitor: Principal | None, event_id: uuid.UUID, cache: NamedDependency[VersionedCache]
    ) -> Response[EventRead]:
        body = await browse.read_event(event_id=event_id, user_id=visitor.id if visitor else None, cache=cache)
        # The EventRead, encoded once and cached as it is sent; the annotation documents it.
        return Response(content=body, media_type=JSON)  # type: ignore[arg-type]

    @get(
        "/{event_id:uuid}/for-me",
        operation_id="event_for_me",
        summary="Whether I may sign up, by where I live, and why not (an event aimed at estates, an alliance or a grid)",
        guards=[requires_login],
        security=[{"bearer": []}],
        responses=problems(401, 404),
    )
    async def for_me(self, caller: Principal, event_id: uuid.UUID) -> EligibilityRead:
        event = await queries.get_event(event_id=event_id, user_id=caller.id)
        return presenters.eligibility_read(await aiming.eligibility(user_id=caller.id, event=event))

    @post(
        operation_id="create_event",
        summary="Create a draft event, or every occurrence of a recurring programme",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
    )
    async def create(
        self, caller: Principal, data: JSONBody[EventCreate], cache: NamedDependency[VersionedCache]
    ) -> EventsCreated:
        series_id, events = await services.create_events(user_id=caller.id, data=data, cache=cache)
        return EventsCreated(series_id=series_id, events=await _events_read(events))

    @patch(
        "/{event_id:uuid}",
        operation_id="update_event",
        before_request=check_scope,
        summary="Edit an event, or it and the following occurrences of its series",
        guards=[requires_login],
        security=[{"bearer": []}],
        responses=problems(401, 404, 409, 422),
    )
    async def update(
        self,
        caller: Principal,
        event_id: uuid.UUID,
        data: JSONBody[EventUpdate],
        cache: NamedDependency[VersionedCache],
        edit_scope: ScopeParam = "this",
    ) -> list[EventRead]:
        changes = msgspec.structs.asdict(data)
        events = await services.update_event(
            user_id=caller.id, event_id=event_id, changes=changes, scope=edit_scope, cache=cache
        )
        return await _events_read(events)

    @post(
        "/{event_id:uuid}/publish",
        operation_id="publish_event",
        before_request=check_scope,
        summary="Publish a draft (and, with scope=following, the later drafts of its series)",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409),
    )
    async def publish(
        self,
        caller: Principal,
        event_id: uuid.UUID,
        cache: NamedDependency[VersionedCache],
        edit_scope: ScopeParam = "this",
    ) -> list[EventRead]:
        return await _events_read(
            await services.publish_event(user_id=caller.id, event_id=event_id, scope=edit_scope, cache=cache)
        )

    @post(
        "/{event_id:uuid}/cancel",
        operation_id="cancel_event",
        before_request=check_scope,
        summary="Cancel an event and every registration on it; residents are notified",
        guards=[requires_login],
        security=[{"bearer": []}],
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409),
    )
    async def cancel(
        self,
        caller: Principal,
        event_id: uuid.UUID,
        cache: NamedDependency[VersionedCache],
        edit_scope: ScopeParam = "this",
    ) -> list[EventRead]:
        return await _events_read(
            await services.cancel_event(user_id=caller.id, event_id=event_id, scope=edit_scope, cache=cache)
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
        self, caller: Principal, event_id: uuid.UUID, cache: NamedDependency[VersionedCache]
    ) -> EventRead:
        event = await services.complete_event(user_id=caller.id, event_id=event_id, cache=cache)
        return (await _events_read([event]))[0]


# --- the poster ----------------------------------------------------------------------------------


class PosterUpload(msgspec.Struct):
    file: UploadFile


def image_limits(settings: Settings) -> ImageLimits:
    # The image can never be larger than the request that carries it.
    return ImageLimits(max_bytes=settings.max_image_bytes)


async def _read(upload: UploadFile, limit: int) -> bytes:
    """At most one byte past the limit: enough to know it is too large, never the whole file."""
    try:
        return await upload.read(limit + 1)
    finally:
        await upload.close()


class PosterController(Controller):
    path = "/api/v1/events/{event_id:uuid}/poster"
    tags = ["events"]
    guards = [requires_login]
    security = [{"bearer": []}]

    @post(
        operation_id="upload_poster",
        summary="Upload the event's poster (JPEG, PNG, WebP or GIF); renditions up to 960 px now, wider ones soon after",
        guards=[rate_limit("poster", setting="poster_rate_limit", per_user=True)],
        status_code=HTTP_200_OK,
        responses=problems(401, 404, 409, 413, 422, 429),
    )
    async def upload(
        self,
        caller: Principal,
        event_id: uuid.UUID,
        data: Annotated[PosterUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        settings: NamedDependency[Settings],
        cache: NamedDependency[VersionedCache],
    ) -> PosterRead:
        limits = image_limits(settings)
        image = await _read(data.file, limits.max_bytes)
        made = await posters.set_poster(
            user_id=caller.id,
            event_id=event_id,
            data=image,
            store=MediaStore(settings.media_root),
            cache=cache,
            limits=limits,
            sources=posters.sources_store(settings),
        )
        return PosterRead(poster_urls=presenters.poster_urls(made.poster), coming=made.coming)

    @delete(
        operation_id="remove_poster",
        summary="Remove the event's poster",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 404, 409),
    )
    async def remove(self, caller: Principal, event_id: uuid.UUID, cache: NamedDependency[VersionedCache]) -> None:
        await posters.remove_poster(user_id=caller.id, event_id=event_id, cache=cache)
