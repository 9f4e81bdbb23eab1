"""Publishing: venues, events and recurring series, and their life from draft to completed.

An event's change reaches its registrations through their services: cancelling it releases every
place (``release_places``), and a larger room moves the waitlist up (``promote_waitlist``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec

from backend.accounts.api import OrganisationKind, Permission, ancestor_ids, may, organisation, require
from backend.core import clock, signals
from backend.core.cache import VersionedCache
from backend.core.errors import DomainError
from backend.core.i18n import CITY_TZ, LOCALES, N_
from backend.events import trail
from backend.events.catalogue import aiming, recurrence
from backend.events.catalogue.queries import editable_event, get_event, get_venue
from backend.events.catalogue.schemas import AudienceIn, EventCreate, Recurrence, VenueCreate
from backend.events.catalogue.tables import Event, EventStatus, Series, Venue
from backend.events.catalogue.texts import search_text, texts
from backend.events.catalogue.vocabulary import ACCESSIBILITY, AUDIENCES, SPOKEN_LANGUAGES, to_mask
from backend.events.registrations.services import promote_waitlist, release_places
from backend.events.signals import CACHE_NAMESPACE, EventCancelled, EventChanged

_MASKED_FIELDS = {
    "audiences": ("audience_mask", AUDIENCES),
    "languages": ("language_mask", SPOKEN_LANGUAGES),
    "accessibility": ("accessibility_mask", ACCESSIBILITY),
}


def is_evening_or_weekend(starts_at: datetime) -> bool:
    """Starts at 18:30 or later, or on a Saturday or Sunday, in Suzhou."""
    local = starts_at.astimezone(CITY_TZ)
    return local.weekday() >= 5 or (local.hour, local.minute) >= (18, 30)


# --- venues --------------------------------------------------------------------------------------


async def create_venue(*, user_id: uuid.UUID, data: VenueCreate) -> Venue:
    """A venue kept by an organisation the organiser acts for. A library's venues are always
    shared: its rooms are public places that every organiser may book."""
    await require(user_id=user_id, permission=Permission.manage_events, organisation_id=data.organisation_id)
    if data.community_id is not None:
        community = await organisation(data.community_id)
        if community is None or community.kind != OrganisationKind.community.value:
            raise DomainError("community_invalid", N_("Choose a community for this venue."), status=422)
    keeper = await organisation(data.organisation_id)
    venue = Venue(
        organisation=data.organisation_id,
        community=data.community_id,
        name=dict(data.name),
        address=dict(data.address),
        latitude=data.latitude,
        longitude=data.longitude,
        accessibility_notes=dict(data.accessibility_notes),
        shared=data.shared or (keeper is not None and keeper.kind == OrganisationKind.library.value),
        created_at=clock.now(),
    )
    async with signals.atomic():
        await venue.save()
        await trail.venue_created(venue)
    return venue


async def check_venue_in_scope(*, user_id: uuid.UUID, organisation_id: uuid.UUID, venue: Venue) -> None:
    """An event may be held at a shared venue, or at one kept by its own organisation or one above
    it, or by an organisation where the organiser may manage events; else 422 ``venue_out_of_scope``."""
    if venue.shared:
        return
    host = await organisation(organisation_id)
    if host is not None and venue.organisation in ancestor_ids(host.path):
        return
    if await may(user_id=user_id, permission=Permission.manage_events, organisation_id=venue.organisation):
        return
    raise DomainError(
        "venue_out_of_scope",
        N_(
            "This venue belongs to another organisation and is not shared. Choose one of your own venues or a shared one."
        ),
        params={"venue_id": venue.id},
        status=422,
    )


# --- creating events -------------------------------------------------------------------------------


def _check_times(starts_at: datetime, ends_at: datetime, opens: datetime | None, closes: datetime | None) -> None:
    if ends_at <= starts_at:
        raise DomainError("ends_before_start", N_("An event must end after it starts."), status=422)
    if ends_at - starts_at > timedelta(days=31):
        raise DomainError("event_too_long", N_("An event can last at most 31 days."), status=422)
    if opens is not None and closes is not None and closes <= opens:
        raise DomainError("registration_window_invalid", N_("Registration must close after it opens."), status=422)
    if closes is not None and closes > ends_at:
        raise DomainError(
            "registration_window_invalid", N_("Registration must close before the event ends."), status=422
        )


def _recurrence_rule(data: Recurrence) -> recurrence.Rule:
    if data.until is None and data.count is None:
        raise DomainError(
            "recurrence_unbounded", N_("A recurring programme needs an end date or a number of times."), status=422
        )
    return recurrence.Rule(
        freq=data.freq,
        interval=data.interval,
        weekdays=tuple(data.weekdays),
        monthday=data.monthday,
        until=data.until,
        count=data.count,
    )


async def create_events(
    *, user_id: uuid.UUID, data: EventCreate, cache: VersionedCache
) -> tuple[uuid.UUID | None, list[Event]]:
    """A draft event, or every occurrence of a recurring programme, each with its own seats."""
    await require(user_id=user_id, permission=Permission.manage_events, organisation_id=data.organisation_id)
    venue = await get_venue(data.venue_id)
    await check_venue_in_scope(user_id=user_id, organisation_id=data.organisation_id, venue=venue)
    _check_times(data.starts_at, data.ends_at, data.registration_opens_at, data.registration_closes_at)
    if data.starts_at <= clock.now():
        raise DomainError("event_in_past", N_("An event must start in the future."), status=422)
    if data.max_party_size > data.capacity:
        raise DomainError("party_larger_than_capacity", N_("The largest party cannot exceed the capacity."), status=422)
    if not any(text.strip() for text in data.title.values()):
        raise DomainError("title_required", N_("Give the event a title in at least one language."), status=422)
    audience = data.audience or AudienceIn()
    await aiming.check_audience(
        data=audience, fellowship=data.fellowship, organisation_id=data.organisation_id, capacity=data.capacity
    )
    rule = _recurrence_rule(data.recurrence) if data.recurrence else None
    slots = (
        recurrence.occurrences(rule, data.starts_at, data.ends_at - data.starts_at)
        if rule
        else [(data.starts_at, data.ends_at)]
    )
    if not slots:
        raise DomainError("recurrence_empty", N_("This recurrence has no dates."), status=422)
    async with signals.atomic():
        series_id = None
        if rule is not None:
            series = Series(
                organisation=data.organisation_id, rule=msgspec.to_builtins(data.recurrence), created_at=clock.now()
            )
            await series.save()
            series_id = series.id
        events = [
            await _insert_event(data, venue, series_id, index, start, end) for index, (start, end) in enumerate(slots)
        ]
    await cache.bump(CACHE_NAMESPACE)
    return series_id, events


async def _insert_event(
    data: EventCreate, venue: Venue, series_id: uuid.UUID | None, index: int, start: datetime, end: datetime
) -> Event:
    shift = start - data.starts_at
    now = clock.now()
    event = Event(
        organisation=data.organisation_id,
        venue=venue.id,
        series=series_id,
        occurrence=index,
        status=EventStatus.draft.value,
        category=data.category,
        title=dict(data.title),
        summary=dict(data.summary),
        description=dict(data.description),
        search_text=search_text(data.title, data.summary),
        starts_at=start,
        ends_at=end,
        evening_or_weekend=is_evening_or_weekend(start),
        capacity=data.capacity,
        registration_opens_at=data.registration_opens_at + shift if data.registration_opens_at else None,
        registration_closes_at=data.registration_closes_at + shift if data.registration_closes_at else None,
        max_party_size=data.max_party_size,
        waitlist_enabled=data.waitlist_enabled,
        audience_mask=to_mask(data.audiences, AUDIENCES),
        language_mask=to_mask(data.languages, SPOKEN_LANGUAGES),
        accessibility_mask=to_mask(data.accessibility, ACCESSIBILITY),
        is_free=data.is_free,
        price_note=dict(data.price_note),
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        community=venue.community,
        latitude=venue.latitude,
        longitude=venue.longitude,
        created_at=now,
        updated_at=now,
    )
    audience = data.audience or AudienceIn()
    aiming.apply_audience(event, audience, data.fellowship)
    await event.save()
    await aiming.save_estates(event.id, audience)
    await trail.event_changed(
        "events.event_created", event, after={**trail.event_fields(event), **_audience_fields(audience)}
    )
    return event


def _audience_fields(audience: AudienceIn) -> dict[str, Any]:
    """The audience's estates and seats, for the audit entry (the kind and ids are the event's)."""
    return {
        "audience_estates": [str(e) for e in audience.estate_ids],
        "seats_by_estate": {str(e): n for e, n in audience.seats_by_estate.items()},
    }


async def _scoped_events(event: Event, scope: str) -> list[Event]:
    """The event alone, or it and every later occurrence of its series."""
    if scope == "this" or event.series is None:
        return [event]
    return (
        await Event.objects()
        .output(load_json=True)
        .where((Event.series == event.series) & (Event.occurrence >= event.occurrence))
        .order_by(Event.occurrence)
    )


# --- changing events --------------------------------------------------------------------------------


async def update_event(
    *, user_id: uuid.UUID, event_id: uuid.UUID, changes: Mapping[str, Any], scope: str, cache: VersionedCache
) -> list[Event]:
    """Edit one event or "this and following"; times move every chosen occurrence by one shift."""
    anchor = await editable_event(user_id=user_id, event_id=event_id)
    if anchor.status in (EventStatus.cancelled.value, EventStatus.completed.value):
        raise DomainError("event_closed", N_("A cancelled or completed event cannot be changed."), status=409)
    values = {k: v for k, v in changes.items() if v is not msgspec.UNSET}
    venue = await get_venue(values.pop("venue_id")) if "venue_id" in values else None
    if venue is not None and venue.id != anchor.venue:
        await check_venue_in_scope(user_id=user_id, organisation_id=anchor.organisation, venue=venue)
    start_shift = values.pop("starts_at") - anchor.starts_at if "starts_at" in values else timedelta(0)
    end_shift = values.pop("ends_at") - anchor.ends_at if "ends_at" in values else timedelta(0)
    # The registration window is kept relative to each occurrence's own start.
    window: dict[str, timedelta | None] = {
        name: (None if values[name] is None else values[name] - (anchor.starts_at + start_shift))
        for name in ("registration_opens_at", "registration_closes_at")
        if name in values
    }
    for name in window:
        values.pop(name)
    audience: AudienceIn | None = values.pop("audience", None)
    fellowship: bool | None = values.pop("fellowship", None)
    updated = []
    async with signals.atomic():
        for event in await _scoped_events(anchor, scope):
            if event.status in (EventStatus.cancelled.value, EventStatus.completed.value):
                continue
            before = trail.event_fields(event)
            notable = _apply_changes(event, values, venue, start_shift, end_shift, window)
            aimed = await _change_audience(event, audience, fellowship, "capacity" in values)
            await _save_with_capacity(event)
            if aimed is not None:
                await aiming.save_estates(event.id, aimed)
            after = {**trail.event_fields(event), **(_audience_fields(aimed) if aimed is not None else {})}
            await trail.event_changed("events.event_changed", event, before=before, after=after)
            if notable and event.status == EventStatus.published.value:
                await signals.emit(EventChanged(event_id=event.id, changed=sorted(notable)))
            updated.append(event.id)
    await cache.bump(CACHE_NAMESPACE)
    # Read back: promotions changed the counters behind the objects edited here.
    return [await get_event(event_id=changed, user_id=user_id) for changed in updated]


async def _change_audience(
    event: Event, audience: AudienceIn | None, fellowship: bool | None, capacity_changed: bool
) -> AudienceIn | None:
    """A new audience (or fellowship flag) checked and set on the event; a smaller room checked
    against the seats kept per estate. The audience to save, when it changed."""
    if audience is None and fellowship is None and not (capacity_changed and event.aim != "everyone"):
        return None
    wanted = audience if audience is not None else await aiming.audience_in(event)
    flag = fellowship if fellowship is not None else bool(event.fellowship)
    await aiming.check_audience(
        data=wanted, fellowship=flag, organisation_id=event.organisation, capacity=event.capacity
    )
    aiming.apply_audience(event, wanted, flag)
    return wanted if audience is not None else None


def _apply_changes(
    event: Event,
    values: Mapping[str, Any],
    venue: Venue | None,
    start_shift: timedelta,
    end_shift: timedelta,
    window: Mapping[str, timedelta | None],
) -> set[str]:
    # A new time or place matters to people who signed up (a notice goes out); a typo fix does not.
    notable = set()
    for name, value in values.items():
        if name in _MASKED_FIELDS:
            column, vocabulary = _MASKED_FIELDS[name]
            setattr(event, column, to_mask(value, vocabulary))
        elif name in ("title", "summary", "description", "price_note"):
            setattr(event, name, dict(value))
        else:
            setattr(event, name, value)
    if venue is not None and venue.id != event.venue:
        event.venue, event.community = venue.id, venue.community
        event.latitude, event.longitude = venue.latitude, venue.longitude
        notable.add("venue")
    if start_shift or end_shift:
        event.starts_at += start_shift
        event.ends_at += end_shift
        notable |= {"starts_at"} if start_shift else set()
        notable |= {"ends_at"} if end_shift else set()
    for name, offset in window.items():
        setattr(event, name, None if offset is None else event.starts_at + offset)
    _check_times(event.starts_at, event.ends_at, event.registration_opens_at, event.registration_closes_at)
    if event.max_party_size > event.capacity:
        raise DomainError("party_larger_than_capacity", N_("The largest party cannot exceed the capacity."), status=422)
    event.evening_or_weekend = is_evening_or_weekend(event.starts_at)
    event.search_text = search_text(texts(event.title), texts(event.summary))
    event.updated_at = clock.now()
    return notable


async def _save_with_capacity(event: Event) -> None:
    """Save every edited column except the counters, which only conditional updates touch."""
    columns = [
        c
        for c in Event._meta.columns
        if c._meta.name not in ("id", "seats_taken", "waitlist_count", "queue_counter", "status")
    ]
    new_capacity = event.capacity
    updated = (
        await Event.update({column: getattr(event, column._meta.name) for column in columns})
        .where((Event.id == event.id) & (Event.seats_taken <= new_capacity))
        .returning(Event.id)
    )
    if not updated:
        raise DomainError(
            "capacity_below_confirmed",
            N_("The capacity cannot be lower than the seats already confirmed."),
            status=409,
        )
    await promote_waitlist(event_id=event.id)  # a bigger room lets the line move


async def publish_event(*, user_id: uuid.UUID, event_id: uuid.UUID, scope: str, cache: VersionedCache) -> list[Event]:
    """Drafts become visible to residents."""
    anchor = await editable_event(user_id=user_id, event_id=event_id)
    if anchor.status != EventStatus.draft.value:
        raise DomainError("event_not_draft", N_("Only a draft can be published."), status=409)
    if not any(texts(anchor.title).get(locale) for locale in LOCALES):
        raise DomainError("title_required", N_("Give the event a title in at least one language."), status=422)
    events = [e for e in await _scoped_events(anchor, scope) if e.status == EventStatus.draft.value]
    async with signals.atomic():
        published = await (
            Event.update({Event.status: EventStatus.published.value, Event.updated_at: clock.now()})
            .where(Event.id.is_in([e.id for e in events]) & (Event.status == EventStatus.draft.value))
            .returning(Event.id)
        )
        changed = {row["id"] for row in published}
        for event in events:
            if event.id in changed:  # a concurrent publish of the same draft records it once
                await trail.status_changed("events.event_published", event, EventStatus.published.value)
    await cache.bump(CACHE_NAMESPACE)
    return [await get_event(event_id=e.id, user_id=user_id) for e in events]


async def cancel_event(*, user_id: uuid.UUID, event_id: uuid.UUID, scope: str, cache: VersionedCache) -> list[Event]:
    """Cancel events and every registration on them; each cancellation is announced once."""
    anchor = await editable_event(user_id=user_id, event_id=event_id)
    if anchor.status in (EventStatus.cancelled.value, EventStatus.completed.value):
        raise DomainError("event_closed", N_("A cancelled or completed event cannot be changed."), status=409)
    cancelled = []
    async with signals.atomic():
        for event in await _scoped_events(anchor, scope):
            if await _cancel_one(event):
                cancelled.append(event.id)
    await cache.bump(CACHE_NAMESPACE)
    return [await get_event(event_id=i, user_id=user_id) for i in cancelled]


async def _cancel_one(event: Event) -> bool:
    now = clock.now()
    changed = (
        await Event.update(
            {
                Event.status: EventStatus.cancelled.value,
                Event.cancelled_at: now,
                Event.updated_at: now,
                Event.seats_taken: 0,
                Event.waitlist_count: 0,
            }
        )
        .where((Event.id == event.id) & Event.status.is_in([EventStatus.draft.value, EventStatus.published.value]))
        .returning(Event.id)
    )
    if not changed:
        return False
    places = await release_places(event_id=event.id, now=now)
    if event.status == EventStatus.published.value:
        await signals.emit(EventCancelled(event_id=event.id, registrations=places))
    await trail.status_changed(
        "events.event_cancelled", event, EventStatus.cancelled.value, registrations_released=len(places)
    )
    return True


async def complete_event(*, user_id: uuid.UUID, event_id: uuid.UUID, cache: VersionedCache) -> Event:
    """A published event that has started can be marked completed."""
    event = await editable_event(user_id=user_id, event_id=event_id)
    if event.status != EventStatus.published.value or event.starts_at > clock.now():
        raise DomainError(
            "event_not_completable", N_("Only a published event that has started can be completed."), status=409
        )
    async with signals.atomic():
        completed = await (
            Event.update({Event.status: EventStatus.completed.value, Event.updated_at: clock.now()})
            .where((Event.id == event.id) & (Event.status == EventStatus.published.value))
            .returning(Event.id)
        )
        if completed:
            await trail.status_changed("events.event_completed", event, EventStatus.completed.value)
    await cache.bump(CACHE_NAMESPACE)
    return await get_event(event_id=event.id, user_id=user_id)
