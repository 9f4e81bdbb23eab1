"""The organisers' room (``/console/events``): their events listed by state, created and edited
with each language side by side, a poster, publishing and cancelling. The same services as the
API's ``/api/v1/events`` (through ``events.api``), so the same permission checks and refusals.

Sign-ups and the door are in ``events_door_controllers``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, get_args

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.handlers import BaseRouteHandler
from litestar.params import Body
from litestar.response import Template

from backend.accounts.api import Permission, held_permissions
from backend.core.cache import VersionedCache
from backend.core.context import Principal
from backend.core.errors import DomainError, Forbidden, PendingFieldProblem
from backend.core.i18n import CITY_TZ, N_, _, babel_locale, pick
from backend.core.images import ImageLimits
from backend.core.media import MediaStore
from backend.core.stores import rate_limit
from backend.events.api import (
    ACCESSIBILITY,
    ACCESSIBILITY_NAMES,
    AUDIENCE_NAMES,
    AUDIENCES,
    ORGANISER_STATES,
    SPOKEN_LANGUAGES,
    CategoryCode,
    EditableEvent,
    EventCreate,
    EventUpdate,
    VenueCreate,
    cancel_event,
    category_name,
    complete_event,
    create_events,
    create_venue,
    editable,
    language_name,
    organiser_events,
    organising_organisations,
    publish_event,
    remove_poster,
    set_poster,
    update_event,
    venues_in_scope,
)
from backend.settings import Settings
from backend.web.console.account_controllers import Form
from backend.web.console.edge import (
    FormRefused,
    check_signed_in,
    city_time,
    form_values,
    go,
    page,
    parse_form,
    provide_me,
)
from backend.web.console.listing import Listing

ROOM = "/console/events"
LISTS = frozenset({"audiences", "languages", "accessibility"})
REPEATS = (("daily", N_("Every day")), ("weekly", N_("Every week")), ("monthly", N_("Every month")))
# An edit, a publication: of this event only, or of it and every later one of its series.
APPLY_TO = frozenset({"this", "following"})
TIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
FLAGS = ("waitlist_enabled", "is_free")
# A business rule's refusal that is about one field marks that field, in the reader's language.
FIELD_OF_CODE: Mapping[str, str] = {
    "ends_before_start": "ends_at",
    "event_too_long": "ends_at",
    "event_in_past": "starts_at",
    "registration_window_invalid": "registration_closes_at",
    "party_larger_than_capacity": "max_party_size",
    "title_required": "title",
    "venue_out_of_scope": "venue_id",
    "venue_not_found": "venue_id",
    "capacity_below_confirmed": "capacity",
    "community_invalid": "community_id",
    "recurrence_unbounded": "recurrence.until",
    "recurrence_empty": "recurrence.freq",
}


async def manages_events(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The room's door: a staff member holding ``manage_events`` somewhere (each event is then
    checked by the service, another organisation's answering 404)."""
    check_signed_in(connection, handler)
    principal = connection.scope["user"]
    if Permission.manage_events not in await held_permissions(principal.id):
        raise Forbidden()


@contextmanager
def fields_marked() -> Iterator[None]:
    """A service's refusal that names one field's rule is drawn beside that field."""
    try:
        yield
    except DomainError as error:
        field = FIELD_OF_CODE.get(error.code)
        if field is not None and not getattr(error, "problems", None):
            error.problems = [PendingFieldProblem(field, error.message, error.code, error.params)]  # type: ignore[attr-defined]
        raise


def local_input(moment: datetime | None) -> str:
    """A time as a ``datetime-local`` input shows it: Suzhou time, to the minute."""
    return moment.astimezone(CITY_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""


def event_values(data: Mapping[str, Any], *, editing: bool) -> dict[str, Any]:
    """The event form as the API's JSON: times typed in Suzhou time, tick boxes as booleans and
    lists (an edit sends every list and flag, so unticking one clears it), and a new event's
    repetition as the API's ``recurrence`` (none when "once only" is chosen)."""
    form = {k: v for k, v in data.items() if not k.startswith("new_venue_") and k != "apply_to"}
    values = form_values(form, lists=LISTS | {"recurrence.weekdays"})
    recurrence = values.pop("recurrence", None)
    if isinstance(recurrence, dict) and recurrence.get("freq") and not editing:
        if recurrence.get("freq") != "weekly":
            recurrence.pop("weekdays", None)
        values["recurrence"] = recurrence
    for name in TIMES:
        raw = values.get(name)
        if isinstance(raw, str):
            values[name] = city_time(raw)  # one that does not parse is left for the schema to refuse
        elif editing and name.startswith("registration_") and name not in values:
            values[name] = None  # emptied: no window
    for flag in FLAGS:
        values[flag] = flag in data
    if editing:
        for name in LISTS:
            values.setdefault(name, [])
        values.pop("organisation_id", None)  # an event stays with its organisation
    return values


async def form_context(me: Principal, event: EditableEvent | None) -> dict[str, Any]:
    """What the create and edit forms offer: the organisations, venues and tags, in words."""
    organisations = await organising_organisations(me.id)
    return {
        "event": event,
        "organisations": [(o.id, pick(o.name)[0]) for o in organisations],
        "venues": [(v.id, pick(v.name)[0]) for v in await venues_in_scope(me.id)],
        "categories": [(code, category_name(code)) for code in get_args(CategoryCode)],
        "audiences": [(code, _(AUDIENCE_NAMES[code])) for code in AUDIENCES],
        "spoken": [(code, language_name(code)) for code in SPOKEN_LANGUAGES],
        "accessibility": [(code, _(ACCESSIBILITY_NAMES[code])) for code in ACCESSIBILITY],
        "repeats": [(code, _(label)) for code, label in REPEATS],
        "weekdays": list(babel_locale().days["format"]["wide"].items()),  # Monday = 0, as the API's
        "local_input": local_input,
    }


def apply_to(data: Mapping[str, Any]) -> str:
    """The form's choice for an event of a series; anything else is this event only."""
    chosen = data.get("apply_to", "this")
    return chosen if chosen in APPLY_TO else "this"


class PosterUpload(msgspec.Struct):
    file: UploadFile


class EventsController(Controller):
    path = "/events"
    include_in_schema = False
    guards = [manages_events]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def list_events(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        listing = Listing.read(
            ROOM,
            request.query_params,
            sorts=("starts_at", "seats_taken", "status"),
            default_sort="-starts_at",
            filters=("state", "q"),
        )
        state = listing.filters.get("state")
        events, listing.total = await organiser_events(
            user_id=me.id,
            state=state if state in ORGANISER_STATES else None,
            text=listing.filters.get("q"),
            sort=listing.key,
            descending=listing.descending,
            offset=listing.offset,
            limit=listing.size,
        )
        return await page(request, "console/events/list.html", events=events, listing=listing)

    @get("/new")
    async def new(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        return await page(request, "console/events/form.html", **await form_context(me, None))

    @post("/")
    async def create(
        self, request: Request[Any, Any, Any], me: Principal, data: Form, cache: VersionedCache
    ) -> Response[Any]:
        body: EventCreate = parse_form(event_values(data, editing=False), EventCreate)
        with fields_marked():
            _series, events = await create_events(user_id=me.id, data=body, cache=cache)
        return go(request, f"{ROOM}/{events[0].id}?said=event_created")

    @get("/{event_id:uuid}")
    async def show(self, request: Request[Any, Any, Any], me: Principal, event_id: uuid.UUID) -> Template:
        event = await editable(user_id=me.id, event_id=event_id)
        return await page(request, "console/events/show.html", event=event)

    @get("/{event_id:uuid}/edit")
    async def edit(self, request: Request[Any, Any, Any], me: Principal, event_id: uuid.UUID) -> Template:
        event = await editable(user_id=me.id, event_id=event_id)
        return await page(request, "console/events/form.html", **await form_context(me, event))

    @post("/{event_id:uuid}")
    async def update(
        self, request: Request[Any, Any, Any], me: Principal, event_id: uuid.UUID, data: Form, cache: VersionedCache
    ) -> Response[Any]:
        changes: EventUpdate = parse_form(event_values(data, editing=True), EventUpdate)
        with fields_marked():
            await update_event(
                user_id=me.id,
                event_id=event_id,
                changes=msgspec.structs.asdict(changes),
                scope=apply_to(data),
                cache=cache,
            )
        return go(request, f"{ROOM}/{event_id}?said=event_saved")

    @post("/{event_id:uuid}/publish")
    async def publish(
        self, request: Request[Any, Any, Any], me: Principal, event_id: uuid.UUID, data: Form, cache: VersionedCache
    ) -> Response[Any]:
        await publish_event(user_id=me.id, event_id=event_id, scope=apply_to(data), cache=cache)
        return go(request, f"{ROOM}/{event_id}?said=event_published")

    @get("/{event_id:uuid}/cancel")
    async def cancel_page(self, request: Request[Any, Any, Any], me: Principal, event_id: uuid.UUID) -> Template:
        event = await editable(user_id=me.id, event_id=event_id)
        return await page(request, "console/events/cancel.html", event=event)

    @post("/{event_id:uuid}/cancel")
    async def cancel(
        self, request: Request[Any, Any, Any], me: Principal, event_id: uuid.UUID, cache: VersionedCache
    ) -> Response[Any]:
        await cancel_event(user_id=me.id, event_id=event_id, scope="this", cache=cache)
        return go(request, f"{ROOM}/{event_id}?said=event_cancelled")

    @post("/{event_id:uuid}/complete")
    async def complete(
        self, request: Request[Any, Any, Any], me: Principal, event_id: uuid.UUID, cache: VersionedCache
    ) -> Response[Any]:
        await complete_event(user_id=me.id, event_id=event_id, cache=cache)
        return go(request, f"{ROOM}/{event_id}?said=event_completed")

    @post("/{event_id:uuid}/poster", guards=[rate_limit("poster", setting="poster_rate_limit", per_user=True)])
    async def upload_poster(
        self,
        request: Request[Any, Any, Any],
        me: Principal,
        event_id: uuid.UUID,
        data: Annotated[PosterUpload, Body(media_type=RequestEncodingType.MULTI_PART)],
        settings: Settings,
        cache: VersionedCache,
    ) -> Response[Any]:
        """As the API's upload_poster: at most one byte past the limit is read, the same checks."""
        limits = ImageLimits(max_bytes=settings.max_image_bytes)
        try:
            image = await data.file.read(limits.max_bytes + 1)
        finally:
            await data.file.close()
        await set_poster(
            user_id=me.id,
            event_id=event_id,
            data=image,
            store=MediaStore(settings.media_root),
            cache=cache,
            limits=limits,
        )
        return go(request, f"{ROOM}/{event_id}?said=poster_saved#poster")

    @post("/{event_id:uuid}/poster/remove")
    async def remove_poster(
        self, request: Request[Any, Any, Any], me: Principal, event_id: uuid.UUID, cache: VersionedCache
    ) -> Response[Any]:
        await remove_poster(user_id=me.id, event_id=event_id, cache=cache)
        return go(request, f"{ROOM}/{event_id}?said=poster_removed")

    # --- a venue added from the event form (htmx) ------------------------------------------------

    @get("/venue-picker")
    async def venue_picker(
        self, request: Request[Any, Any, Any], me: Principal, adding: bool = False, chosen: str = ""
    ) -> Template:
        """The venue select, or (``adding``) the small form for a new venue in its place."""
        venues = [(v.id, pick(v.name)[0]) for v in await venues_in_scope(me.id)]
        return Template(
            template_name="console/events/_venue_picker.html",
            context={"venues": venues, "chosen": chosen, "adding": adding, "added": False},
        )

    @post("/venues")
    async def add_venue(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Template:
        """``POST /api/v1/venues`` for the event form's organisation; answers with the venue
        select, the new venue chosen."""
        values = venue_values(data)
        try:
            body: VenueCreate = parse_form(values, VenueCreate)
        except FormRefused as refused:
            # Named as the inline form's inputs are (``field-new_venue_latitude``).
            refused.problems = [
                PendingFieldProblem("new_venue_" + p.field.split(".")[0], p.message, p.code, p.params)
                for p in refused.problems
            ]
            raise
        created = await create_venue(user_id=me.id, data=body)
        venues = [(v.id, pick(v.name)[0]) for v in await venues_in_scope(me.id)]
        return Template(
            template_name="console/events/_venue_picker.html",
            context={"venues": venues, "chosen": str(created.id), "adding": False, "added": True},
        )


def venue_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The inline venue form's fields (``new_venue_*``, kept apart from the event's) as the API's
    VenueCreate JSON, for the organisation chosen in the event form."""
    given = form_values({k.removeprefix("new_venue_"): v for k, v in data.items() if k.startswith("new_venue_")})
    names = {
        locale: given.pop(f"name_{key}") for locale, key in (("zh-Hans", "zh"), ("en", "en")) if f"name_{key}" in given
    }
    values: dict[str, Any] = {"name": names, **given}
    if "address" in values:
        values["address"] = {"zh-Hans": values["address"]}
    values["shared"] = "new_venue_shared" in data
    if "organisation_id" in data:
        values["organisation_id"] = data["organisation_id"]
    return values
