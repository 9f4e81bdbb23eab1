"""Sign-up: seats taken atomically, a first-come-first-served waitlist, cancellation and promotion.

The event row is the arbiter. A seat is taken by one conditional UPDATE (``seats_taken + n <=
capacity``), which PostgreSQL serialises with a row lock and SQLite with BEGIN IMMEDIATE, so
however many requests race on however many instances, confirmed seats never exceed capacity.
Arrival order is a number handed out by the same row (``queue_counter``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from backend.accounts.api import person_row
from backend.core import clock, signals
from backend.core.cache import VersionedCache
from backend.core.db import (
    UNIQUE_VIOLATIONS,
    fetch,
    is_postgres,
    json_value,
    lock_row,
    named,
    timestamp_value,
    with_constants,
)
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_
from backend.core.idempotency import key_reused
from backend.core.signals import Signal
from backend.core.turns import Turns
from backend.core.values import as_uuid
from backend.events import trail
from backend.events.catalogue import aiming
from backend.events.catalogue.queries import editable_event
from backend.events.catalogue.tables import AimKind, Event, EventStatus
from backend.events.registrations.queries import (
    ACTIVE,
    Attendee,
    Placed,
    RegisteredEvent,
    attendees,
    get_registration,
    registration_context,
    waitlist_position,
)
from backend.events.registrations.tables import Registration, RegistrationStatus
from backend.events.sharing.services import referrer, referrer_subquery
from backend.events.signals import (
    CACHE_NAMESPACE,
    RegistrationCancelled,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationRef,
    RegistrationWaitlisted,
)


def _already_registered() -> DomainError:
    return DomainError("already_registered", N_("You have already signed up for this event."), status=409)


@dataclass(frozen=True)
class SignedUp:
    """A sign-up's outcome. ``shown``: what the answer shows with it, when the sign-up already
    read it (the hot path's one UPDATE returns it); None, and the caller reads it."""

    registration: Registration | Placed
    created: bool
    shown: tuple[RegisteredEvent, dict[str, str], int | None] | None = None


_TURNS = Turns()  # one event's sign-ups in flight in this process


async def sign_up(
    *,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    party_size: int,
    idempotency_key: str | None,
    max_upcoming: int,
    share_code: str | None = None,
) -> SignedUp:
    """A confirmed seat if one is free, else a place in line; once per ``idempotency_key``.

    The hot path is one conditional UPDATE of the event that checks everything the sign-up needs
    and takes a seat or a number in line (returning what the answer shows), and the INSERT of the
    registration with its signal: on PostgreSQL one statement, a transaction by itself, which holds
    the person inside (``event_places_held``); on SQLite two, after holding the person. Whatever
    that UPDATE does not match (a closed or full event, an event aimed at places, too many places
    held) is sorted out by the careful path, the person held from BEGIN; a retry or a second
    sign-up for the same event meets the one-active index at the INSERT, which rolls the whole
    back. The signal's listeners (the inbox notice, the cache) run after the answer has gone."""
    try:
        # A turn first (core.turns: a storm on one event waits here in order, not on its row in
        # PostgreSQL).
        async with _TURNS.turn(event_id):
            if is_postgres(Event._meta.db):
                # One statement, a transaction by itself: it holds the person inside (the places
                # they hold are counted after the hold, ``event_places_held``), takes the place,
                # writes the registration and its signal. No BEGIN, no COMMIT.
                async with signals.atomic(after_answer=True, alone=True):
                    done = await _sign_up_in_one(
                        user_id, event_id, party_size, max_upcoming, idempotency_key, share_code
                    )
                if done is not None:
                    return SignedUp(done[0], True, done[1].shown())
            # Then the person, held from BEGIN: one resident's concurrent requests queue there,
            # so the checks below see each other.
            async with signals.atomic(after_answer=True, hold=person_row(user_id)):
                if not is_postgres(Event._meta.db):
                    placed = await _place_fast(user_id, event_id, party_size, max_upcoming)
                    if placed is not None:
                        registration = await _record_fast(placed, user_id, party_size, idempotency_key, share_code)
                        return SignedUp(registration, True, placed.shown())
                return await _sign_up_carefully(
                    user_id, event_id, party_size, idempotency_key, max_upcoming, share_code
                )
    except UNIQUE_VIOLATIONS:
        # A retry of this request (the same key) or the person's earlier place in this event:
        # the one-active and idempotency indexes refuse the INSERT, and nothing was written.
        if idempotency_key and (found := await _by_idempotency_key(user_id, event_id, idempotency_key)) is not None:
            return SignedUp(found, False)
        raise _already_registered() from None


async def _sign_up_carefully(
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    party_size: int,
    idempotency_key: str | None,
    max_upcoming: int,
    share_code: str | None,
) -> SignedUp:
    """Every check one by one, with its own refusal: a retry's registration, a closed event, an
    event aimed at places (eligibility, seats per estate), a full one without a line."""
    if idempotency_key and (found := await _by_idempotency_key(user_id, event_id, idempotency_key)) is not None:
        return SignedUp(found, False)
    event = await _open_event(event_id, party_size)
    # An event aimed at places is for their residents only (403 with the reason otherwise).
    home = await aiming.eligible_home(user_id=user_id, event=event)
    referred_by = await referrer(share_code=share_code, event_id=event.id, user_id=user_id)
    estate = home.estate_id if home is not None else None
    registration = await _take_place(user_id, event, party_size, idempotency_key, max_upcoming, referred_by, estate)
    # Read inside the transaction: once it commits, nothing may fail the answer (a 503 after a
    # seat was taken would tell the resident they have none).
    return SignedUp(registration, True, await registration_context(registration))


@dataclass(frozen=True)
class _Taken:
    """What the hot path's UPDATE returned: the number handed out and the event as shown."""

    event_id: uuid.UUID
    queue_number: int
    seated: bool
    waiting: int  # parties in line, this one included when it waits
    event: RegisteredEvent
    venue_name: dict[str, str]

    def shown(self) -> tuple[RegisteredEvent, dict[str, str], int | None]:
        return self.event, self.venue_name, None if self.seated else self.waiting


# The event's own row decides: open now, for everyone (an event aimed at places takes the careful
# path), the party not too large, a seat free or a line kept, and the person holding fewer
# upcoming places than the limit ({places_held}: on SQLite this statement runs after the person's
# hold, so its snapshot sees their other committed sign-ups; on PostgreSQL the statement is a
# transaction by itself and ``event_places_held`` holds the person and counts after the hold).
# A seat if the party fits, else the next number in line; ``last_seated`` remembers which (SET
# reads the row as it was). "Not already in" is left to the one-active index when the INSERT
# comes: a retry or a second sign-up rolls back and is answered as one (``sign_up``), and no
# sign-up pays for a look the planner may take through the wrong index while the table grows
# faster than its statistics. The status is written in, not bound,
# so that the places held are read from the index of confirmed places.
_PLACE_TEMPLATE = """
UPDATE event_event SET
    seats_taken = seats_taken + CASE WHEN seats_taken + {party} <= capacity THEN {party} ELSE 0 END,
    waitlist_count = waitlist_count + CASE WHEN seats_taken + {party} <= capacity THEN 0 ELSE 1 END,
    last_seated = CASE WHEN seats_taken + {party} <= capacity THEN queue_counter + 1 ELSE last_seated END,
    queue_counter = queue_counter + 1
WHERE id = {event}
    AND status = {published} AND aim = {everyone}
    AND starts_at > {now} AND COALESCE(registration_closes_at, starts_at) > {now}
    AND (registration_opens_at IS NULL OR registration_opens_at <= {now})
    AND max_party_size >= {party}
    AND (seats_taken + {party} <= capacity OR waitlist_enabled)
    AND {places_held} < {max_upcoming}
RETURNING queue_counter, last_seated, waitlist_count, seats_taken, capacity, title, starts_at, ends_at, status,
    (SELECT v.name FROM event_venue v WHERE v.id = event_event.venue) AS venue_name
"""
_PLACE = with_constants(
    _PLACE_TEMPLATE.replace(
        "{places_held}",
        """(
        SELECT COUNT(*) FROM event_registration r JOIN event_event e ON e.id = r.event
        WHERE r."user" = {user} AND r.status = {confirmed} AND e.starts_at > {now}
    )""",
    ),
    confirmed=RegistrationStatus.confirmed.value,
)
_PLACE_HELD = _PLACE_TEMPLATE.replace(
    "{places_held}", "event_places_held(CAST({hold} AS regclass), CAST({user} AS uuid), CAST({now} AS timestamptz))"
)


def _place_values(
    user_id: uuid.UUID, event_id: uuid.UUID, party_size: int, max_upcoming: int, now: datetime
) -> dict[str, Any]:
    """What ``_PLACE`` is run with."""
    return {
        "party": party_size,
        "event": event_id,
        "published": EventStatus.published.value,
        "everyone": AimKind.everyone.value,
        "now": now,
        "user": user_id,
        "max_upcoming": max_upcoming,
    }


async def _place_fast(user_id: uuid.UUID, event_id: uuid.UUID, party_size: int, max_upcoming: int) -> _Taken | None:
    rows = await Event.raw(*named(_PLACE, **_place_values(user_id, event_id, party_size, max_upcoming, clock.now())))
    return _taken(event_id, rows[0]) if rows else None


def _taken(event_id: uuid.UUID, row: Mapping[str, Any]) -> _Taken:
    seated = row["last_seated"] == row["queue_counter"]
    event = RegisteredEvent(
        id=event_id,
        title=json_value(row["title"]),
        starts_at=timestamp_value(row["starts_at"]),
        ends_at=timestamp_value(row["ends_at"]),
        status=row["status"],
        capacity=row["capacity"],
        seats_taken=row["seats_taken"],
    )
    return _Taken(event_id, row["queue_counter"], seated, row["waitlist_count"], event, json_value(row["venue_name"]))


_RECORD = (
    'INSERT INTO event_registration (id, event, "user", party_size, status, queue_number, idempotency_key, '
    "created_at, confirmed_at, cancelled_at, checked_in_at, checked_in_by, referred_by, estate) "
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, NULL, NULL, NULL, {}, NULL)"
)


async def _record_fast(
    placed: _Taken, user_id: uuid.UUID, party_size: int, idempotency_key: str | None, share_code: str | None
) -> Placed:
    """The registration and its signal (SQLite, where the UPDATE came first)."""
    now = clock.now()
    status = RegistrationStatus.confirmed if placed.seated else RegistrationStatus.waitlisted
    registration = Placed(
        id=uuid.uuid4(),
        event=placed.event_id,
        user=user_id,
        party_size=party_size,
        status=status.value,
        queue_number=placed.queue_number,
        created_at=now,
    )
    referred_by = referrer_subquery(share_code=share_code, event_id=placed.event_id, user_id=user_id)
    insert = QueryString(
        _RECORD,
        registration.id,
        placed.event_id,
        user_id,
        party_size,
        status.value,
        placed.queue_number,
        idempotency_key,
        now,
        now if placed.seated else None,
        referred_by,
    )
    signal: Signal
    if placed.seated:
        signal = RegistrationConfirmed(registration_id=registration.id, event_id=placed.event_id, user_id=user_id)
    else:
        signal = RegistrationWaitlisted(
            registration_id=registration.id, event_id=placed.event_id, user_id=user_id, position=placed.waiting
        )
    await signals.emit_along(signal, insert)
    return registration


# PostgreSQL: the UPDATE above, the registration it makes room for and the signal it chooses (a
# seat or a place in line), as one statement. The event's row is then held only from this
# statement to COMMIT, not across a round trip to the app and back between an UPDATE and an INSERT.
_SIGN_UP = with_constants(
    "WITH placed AS ("
    + _PLACE_HELD.strip()
    + """),
registration AS (
    INSERT INTO event_registration (id, event, "user", party_size, status, queue_number, idempotency_key,
        created_at, confirmed_at, cancelled_at, checked_in_at, checked_in_by, referred_by, estate)
    SELECT CAST({id} AS uuid), CAST({event} AS uuid), CAST({user} AS uuid), CAST({party} AS integer),
        CASE WHEN last_seated = queue_counter THEN {confirmed} ELSE {waitlisted} END, queue_counter,
        CAST({key} AS varchar), CAST({now} AS timestamptz),
        CASE WHEN last_seated = queue_counter THEN CAST({now} AS timestamptz) END, NULL, NULL, NULL,
        CAST({referred_by} AS uuid), NULL
    FROM placed
    RETURNING id
),
signal AS ({signal})
SELECT * FROM placed""",
    confirmed=RegistrationStatus.confirmed.value,
    waitlisted=RegistrationStatus.waitlisted.value,
)


async def _sign_up_in_one(
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    party_size: int,
    max_upcoming: int,
    idempotency_key: str | None,
    share_code: str | None,
) -> tuple[Placed, _Taken] | None:
    """The hot path's UPDATE and INSERT in one round trip (PostgreSQL); None if the UPDATE
    matched nothing, and nothing was written."""
    now = clock.now()
    registration_id, signal_id = uuid.uuid4(), uuid.uuid4()
    seated = "placed.last_seated = placed.queue_counter"
    signal = signals.chosen(
        signal_id,
        "placed, registration",
        signals.Choice(
            seated, RegistrationConfirmed(registration_id=registration_id, event_id=event_id, user_id=user_id)
        ),
        signals.Choice(
            f"NOT ({seated})",
            RegistrationWaitlisted(registration_id=registration_id, event_id=event_id, user_id=user_id),
            finish={"position": "placed.waitlist_count"},
        ),
    )
    statement, *values = named(
        _SIGN_UP,
        **_place_values(user_id, event_id, party_size, max_upcoming, now),
        hold=person_row(user_id)[0],
        id=registration_id,
        key=idempotency_key,
        referred_by=referrer_subquery(share_code=share_code, event_id=event_id, user_id=user_id),
        signal=signal,
    )
    rows = await fetch(Event._meta.db, statement, values)
    if not rows:
        return None
    signals.written(signal_id)
    placed = _taken(event_id, rows[0])
    status = RegistrationStatus.confirmed if placed.seated else RegistrationStatus.waitlisted
    registration = Placed(
        id=registration_id,
        event=event_id,
        user=user_id,
        party_size=party_size,
        status=status.value,
        queue_number=placed.queue_number,
        created_at=now,
    )
    return registration, placed


async def _by_idempotency_key(user_id: uuid.UUID, event_id: uuid.UUID, key: str) -> Registration | None:
    earlier = (
        await Registration.objects()
        .where((Registration.user == user_id) & (Registration.idempotency_key == key))
        .first()
    )
    if earlier is not None and earlier.event != event_id:
        raise key_reused()
    return earlier


async def _open_event(event_id: uuid.UUID, party_size: int) -> Event:
    """The event, if a party of this size may sign up for it now."""
    # Only dates, counts and flags are read here: the JSON columns stay undecoded.
    event = await Event.objects().where(Event.id == event_id).first()
    if event is None or event.status == EventStatus.draft.value:
        raise NotFound("event_not_found", N_("This event does not exist."))
    now = clock.now()
    if event.status == EventStatus.cancelled.value:
        raise DomainError("event_cancelled", N_("This event has been cancelled."), status=409)
    closes = event.registration_closes_at or event.starts_at
    if event.status != EventStatus.published.value or event.starts_at <= now or now >= closes:
        raise DomainError("registration_closed", N_("Registration for this event has closed."), status=409)
    if event.registration_opens_at is not None and now < event.registration_opens_at:
        raise DomainError(
            "registration_not_open",
            N_("Registration opens at {opens_at}."),
            params={"opens_at": event.registration_opens_at.astimezone(UTC)},
            status=409,
        )
    if party_size > event.max_party_size:
        raise DomainError(
            "party_too_large",
            N_("At most {limit} people can sign up together for this event."),
            params={"limit": event.max_party_size},
            status=422,
        )
    return event


async def _take_place(
    user_id: uuid.UUID,
    event: Event,
    party_size: int,
    idempotency_key: str | None,
    max_upcoming: int,
    referred_by: uuid.UUID | None = None,
    estate: uuid.UUID | None = None,
) -> Registration:
    if await Registration.exists().where(
        (Registration.user == user_id) & (Registration.event == event.id) & Registration.status.is_in(list(ACTIVE))
    ):
        raise _already_registered()
    await _check_hoarding(user_id, max_upcoming)
    if await _share_taken(event, estate, party_size):
        seat = []
    else:
        seat = await _take_seats(event, party_size)
    if seat:
        status, queue_number = RegistrationStatus.confirmed, seat[0]["queue_counter"]
    else:
        queue_number = await _join_waitlist(event, party_size)
        status = RegistrationStatus.waitlisted
    registration = Registration(
        event=event.id,
        user=user_id,
        party_size=party_size,
        status=status.value,
        queue_number=queue_number,
        idempotency_key=idempotency_key,
        referred_by=referred_by,
        estate=estate,
        created_at=clock.now(),
        confirmed_at=clock.now() if status is RegistrationStatus.confirmed else None,
    )
    await registration.save()
    if status is RegistrationStatus.confirmed:
        await signals.emit(RegistrationConfirmed(registration_id=registration.id, event_id=event.id, user_id=user_id))
    else:
        position = await waitlist_position(registration)
        await signals.emit(
            RegistrationWaitlisted(
                registration_id=registration.id, event_id=event.id, user_id=user_id, position=position
            )
        )
    return registration


async def _share_taken(event: Event, estate: uuid.UUID | None, party_size: int) -> bool:
    """Whether the seats kept for the resident's estate (or, without a share of its own, those the
    shares leave) are too few for the party; without a waitlist, 409 ``estate_seats_taken``. The
    event row is held first, as every writer holds it, so the counts stay true till commit."""
    if event.aim == AimKind.everyone.value:
        return False
    shares = await aiming.shares_of(event.id)
    if not shares:
        return False
    await lock_row(Event._meta.db, Event._meta.tablename, event.id)
    counts = await Event.select(Event.capacity).where(Event.id == event.id).first()
    key = aiming.share_key(shares, estate)
    taken = (await aiming.taken_by_share(event.id, shares)).get(key, 0)
    if taken + party_size <= aiming.share_limit(shares, counts["capacity"] if counts else 0, key):
        return False
    if not event.waitlist_enabled:
        raise aiming.estate_full(await aiming.estate_name(estate))
    return True


async def _take_seats(event: Event, party_size: int) -> list[dict[str, Any]]:
    return (
        await Event.update(
            {Event.seats_taken: Event.seats_taken + party_size, Event.queue_counter: Event.queue_counter + 1}
        )
        .where(
            (Event.id == event.id)
            & (Event.status == EventStatus.published.value)
            & WhereRaw("seats_taken + {} <= capacity", party_size)
        )
        .returning(Event.queue_counter)
    )


async def _check_hoarding(user_id: uuid.UUID, max_upcoming: int) -> None:
    upcoming = await Registration.count().where(
        (Registration.user == user_id)
        & (Registration.status == RegistrationStatus.confirmed.value)
        & (Registration.event.starts_at > clock.now())
    )
    if upcoming >= max_upcoming:
        raise DomainError(
            "too_many_registrations",
            N_("You already hold {limit} upcoming places. Cancel one you cannot attend first."),
            params={"limit": max_upcoming},
            status=409,
        )


async def _join_waitlist(event: Event, party_size: int) -> int:
    if not event.waitlist_enabled:
        counts = await Event.select(Event.capacity, Event.seats_taken).where(Event.id == event.id).first()
        left = max(0, counts["capacity"] - counts["seats_taken"]) if counts else 0
        if left:
            raise DomainError(
                "not_enough_seats",
                N_(
                    "Seats left: {seats_left}, fewer than your party of {party_size}. A smaller party can still sign up."
                ),
                params={"seats_left": left, "party_size": party_size},
                status=409,
            )
        raise DomainError("event_full", N_("This event is full."), status=409)
    row = (
        await Event.update(
            {Event.waitlist_count: Event.waitlist_count + 1, Event.queue_counter: Event.queue_counter + 1}
        )
        .where(Event.id == event.id)
        .returning(Event.queue_counter)
    )
    queue_number: int = row[0]["queue_counter"]
    return queue_number


async def cancel_registration(*, user_id: uuid.UUID, registration_id: uuid.UUID, cache: VersionedCache) -> Registration:
    """The resident gives up their place; a freed seat goes to the head of the line that fits."""
    registration = await get_registration(user_id=user_id, registration_id=registration_id)
    event = await Event.objects().output(load_json=True).where(Event.id == registration.event).first()
    if registration.status not in ACTIVE:
        raise DomainError("registration_not_active", N_("This registration is no longer active."), status=409)
    if event is not None and event.starts_at <= clock.now():
        raise DomainError("event_started", N_("The event has already started."), status=409)
    async with signals.atomic():
        # Event row first, as every writer does: the same lock order everywhere cannot deadlock.
        await lock_row(Event._meta.db, Event._meta.tablename, registration.event)
        cancelled = (
            await Registration.update(
                {Registration.status: RegistrationStatus.cancelled.value, Registration.cancelled_at: clock.now()}
            )
            .where((Registration.id == registration.id) & Registration.status.is_in(list(ACTIVE)))
            .returning(Registration.status)
        )
        if not cancelled:  # a concurrent cancel got there first
            raise DomainError("registration_not_active", N_("This registration is no longer active."), status=409)
        if registration.status == RegistrationStatus.confirmed.value:
            await Event.update({Event.seats_taken: Event.seats_taken - registration.party_size}).where(
                Event.id == registration.event
            )
            await promote_waitlist(event_id=registration.event)
        else:
            await Event.update({Event.waitlist_count: Event.waitlist_count - 1}).where(Event.id == registration.event)
        await signals.emit(
            RegistrationCancelled(registration_id=registration.id, event_id=registration.event, user_id=user_id)
        )
    await cache.bump(CACHE_NAMESPACE)
    return await get_registration(user_id=user_id, registration_id=registration_id)


async def release_places(*, event_id: uuid.UUID, now: datetime) -> list[RegistrationRef]:
    """Every place and place in line on the event is cancelled (the event was); call inside
    ``signals.atomic()``. Returns who held them."""
    released = (
        await Registration.update(
            {Registration.status: RegistrationStatus.cancelled.value, Registration.cancelled_at: now}
        )
        .where((Registration.event == event_id) & Registration.status.is_in(list(ACTIVE)))
        .returning(Registration.id, Registration.user)
    )
    return [RegistrationRef(registration_id=row["id"], user_id=row["user"]) for row in released]


async def promote_waitlist(*, event_id: uuid.UUID) -> int:
    """Give free seats to the earliest waiting parties that fit (and, where seats are kept per
    estate, whose estate's share has room); call inside ``signals.atomic()`` with the event row
    held (every caller changed it first)."""
    promoted = 0
    shares, capacity = await _shares_with_capacity(event_id)
    taken = await aiming.taken_by_share(event_id, shares) if shares else {}
    waiting = (
        await Registration.select(Registration.id, Registration.user, Registration.party_size, Registration.estate)
        .where((Registration.event == event_id) & (Registration.status == RegistrationStatus.waitlisted.value))
        .order_by(Registration.queue_number)
    )
    for candidate in waiting:
        key = aiming.share_key(shares, as_uuid(candidate["estate"]) if candidate["estate"] else None)
        if shares and taken.get(key, 0) + candidate["party_size"] > aiming.share_limit(shares, capacity, key):
            continue  # the seats kept for this party's estate are taken; another estate's may fit
        seat = (
            await Event.update(
                {
                    Event.seats_taken: Event.seats_taken + candidate["party_size"],
                    Event.waitlist_count: Event.waitlist_count - 1,
                }
            )
            .where(
                (Event.id == event_id)
                & (Event.status == EventStatus.published.value)
                & WhereRaw("seats_taken + {} <= capacity", candidate["party_size"])
            )
            .returning(Event.seats_taken, Event.capacity)
        )
        if not seat:
            continue  # this party does not fit; a smaller one further back may
        flipped = (
            await Registration.update(
                {Registration.status: RegistrationStatus.confirmed.value, Registration.confirmed_at: clock.now()}
            )
            .where((Registration.id == candidate["id"]) & (Registration.status == RegistrationStatus.waitlisted.value))
            .returning(Registration.id)
        )
        if not flipped:  # cancelled meanwhile: give the seats back
            await Event.update(
                {
                    Event.seats_taken: Event.seats_taken - candidate["party_size"],
                    Event.waitlist_count: Event.waitlist_count + 1,
                }
            ).where(Event.id == event_id)
            continue
        await signals.emit(
            RegistrationPromoted(registration_id=candidate["id"], event_id=event_id, user_id=candidate["user"])
        )
        promoted += 1
        taken[key] = taken.get(key, 0) + candidate["party_size"]
        if seat[0]["seats_taken"] >= seat[0]["capacity"]:
            break
    return promoted


async def _shares_with_capacity(event_id: uuid.UUID) -> tuple[dict[uuid.UUID, int], int]:
    """The seats kept per estate (none for most events) and the capacity."""
    row = await Event.select(Event.aim, Event.capacity).where(Event.id == event_id).first()
    if row is None or row["aim"] == AimKind.everyone.value:
        return {}, 0
    return await aiming.shares_of(event_id), row["capacity"]


async def attendee_list(
    *, user_id: uuid.UUID, event_id: uuid.UUID, format: str
) -> tuple[list[Attendee], dict[str, int]]:
    """Who signed up, for the event's organisers (names and phones masked); each reading is a
    sensitive read and leaves an audit entry."""
    event = await editable_event(user_id=user_id, event_id=event_id)
    found, counts = await attendees(event_id=event.id)
    await trail.attendees_read(event.id, event.organisation, format=format, rows=len(found))
    return found, counts
