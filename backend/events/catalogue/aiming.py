"""Events aimed at places (issue 19): open to everyone, or to residents of given estates, of an
alliance's estates or of what a grid covers; seats kept per estate; an alliance's fellowship
events (联谊活动). Places says what the places are and where a resident lives (``places.api``);
the aim itself is the event's (``Event.aim``, ``aim_alliance``, ``aim_grid`` and the rows of
``EventEstate``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from piccolo.columns.combination import WhereRaw
from piccolo.query.functions.aggregate import Sum

from backend.core.errors import DomainError
from backend.core.i18n import N_, get_locale, pick
from backend.core.values import as_uuid
from backend.events.catalogue.schemas import AimKindCode, AudienceIn
from backend.events.catalogue.tables import AimKind, Event, EventEstate
from backend.events.registrations.tables import Registration
from backend.places.api import Aim, AimNames, Home, aim_names, aim_words, check_aim, home_of, lives_within

# Statuses that hold seats (what ``seats_taken`` counts).
HOLDING = ("confirmed", "attended")


@dataclass(frozen=True)
class AimView:
    """An event's aim with the names of its places, for answers."""

    aim: Aim
    names: AimNames
    fellowship: bool = False
    seats: Mapping[uuid.UUID, int] = field(default_factory=dict)


# --- setting the aim -------------------------------------------------------------------------------


def aim_from(data: AudienceIn) -> Aim:
    return Aim(
        kind=data.kind,
        estate_ids=tuple(dict.fromkeys(data.estate_ids)),
        alliance_id=data.alliance_id,
        grid_id=data.grid_id,
    )


async def check_audience(
    *, data: AudienceIn, fellowship: bool, organisation_id: uuid.UUID, capacity: int
) -> dict[uuid.UUID, int]:
    """The audience is valid for this organiser and capacity: its places exist in the organiser's
    reach, seats are kept only for its own estates and add up to at most the capacity, and only
    an alliance's event is a fellowship event. The shares, by estate."""
    checked = await check_aim(aim_from(data), organiser_id=organisation_id)
    if fellowship and data.kind != AimKind.alliance.value:
        raise DomainError(
            "fellowship_needs_alliance",
            N_("Only an event for an alliance's estates is a fellowship event."),
            status=422,
        )
    shares = {estate: seats for estate, seats in data.seats_by_estate.items()}
    if shares and data.kind not in (AimKind.estates.value, AimKind.alliance.value):
        raise DomainError(
            "seats_by_estate_unexpected",
            N_("Seats are kept per estate only for an event aimed at estates or at an alliance."),
            status=422,
        )
    for estate in shares:
        if estate not in checked.estate_ids:
            raise DomainError(
                "seats_estate_outside_audience",
                N_("Seats can be kept only for the estates this event is for."),
                params={"estate_id": str(estate)},
                status=422,
            )
    if sum(shares.values()) > capacity:
        raise DomainError(
            "seats_by_estate_over_capacity",
            N_("The seats kept per estate add up to {total}, more than the capacity of {capacity}."),
            params={"total": sum(shares.values()), "capacity": capacity},
            status=422,
        )
    return shares


def apply_audience(event: Event, data: AudienceIn, fellowship: bool) -> None:
    """The aim on the event object, saved by the caller (then ``save_estates``)."""
    event.aim = data.kind
    event.aim_alliance = data.alliance_id
    event.aim_grid = data.grid_id
    event.fellowship = fellowship


async def save_estates(event_id: uuid.UUID, data: AudienceIn) -> None:
    await EventEstate.delete().where(EventEstate.event == event_id)
    named = list(dict.fromkeys([*data.estate_ids, *data.seats_by_estate]))
    if named:
        await EventEstate.insert(
            *(EventEstate(event=event_id, estate=e, seats=data.seats_by_estate.get(e)) for e in named)
        )


async def audience_in(event: Event) -> AudienceIn:
    """The event's audience as it would be sent (for an update that changes only a part)."""
    rows = await EventEstate.select(EventEstate.estate, EventEstate.seats).where(EventEstate.event == event.id)
    return AudienceIn(
        kind=cast(AimKindCode, event.aim),
        estate_ids=[as_uuid(r["estate"]) for r in rows] if event.aim == AimKind.estates.value else [],
        alliance_id=as_uuid(event.aim_alliance) if event.aim_alliance else None,
        grid_id=as_uuid(event.aim_grid) if event.aim_grid else None,
        seats_by_estate={as_uuid(r["estate"]): r["seats"] for r in rows if r["seats"] is not None},
    )


# --- reading it ------------------------------------------------------------------------------------


async def views(rows: Sequence[Mapping[str, Any]]) -> dict[uuid.UUID, AimView]:
    """The aim of each event row (``aim``, ``aim_alliance``, ``aim_grid``, ``fellowship``), with
    names: two or three queries for a whole page."""
    aimed = [as_uuid(r["id"]) for r in rows if r["aim"] != AimKind.everyone.value]
    estates: dict[uuid.UUID, list[uuid.UUID]] = {}
    seats: dict[uuid.UUID, dict[uuid.UUID, int]] = {}
    if aimed:
        for found_row in await EventEstate.select(EventEstate.event, EventEstate.estate, EventEstate.seats).where(
            EventEstate.event.is_in(aimed)
        ):
            event_id, estate = as_uuid(found_row["event"]), as_uuid(found_row["estate"])
            estates.setdefault(event_id, []).append(estate)
            if found_row["seats"] is not None:
                seats.setdefault(event_id, {})[estate] = found_row["seats"]
    names = await aim_names(
        estate_ids=[e for named in estates.values() for e in named],
        alliance_ids=[as_uuid(r["aim_alliance"]) for r in rows if r["aim_alliance"]],
        grid_ids=[as_uuid(r["aim_grid"]) for r in rows if r["aim_grid"]],
    )
    found: dict[uuid.UUID, AimView] = {}
    for row in rows:
        event_id = as_uuid(row["id"])
        aim = Aim(
            kind=row["aim"],
            estate_ids=tuple(estates.get(event_id, ())) if row["aim"] == AimKind.estates.value else (),
            alliance_id=as_uuid(row["aim_alliance"]) if row["aim_alliance"] else None,
            grid_id=as_uuid(row["aim_grid"]) if row["aim_grid"] else None,
        )
        found[event_id] = AimView(aim, names, bool(row["fellowship"]), seats.get(event_id, {}))
    return found


async def view(event: Event) -> AimView:
    return (await views([event.to_dict()]))[as_uuid(event.id)]


async def view_with_seats(event: Event) -> tuple[AimView, dict[uuid.UUID, int]]:
    """The aim and, when seats are kept per estate, the seats left in each."""
    found = await view(event)
    if not found.seats:
        return found, {}
    return found, seats_left_by_estate(found.seats, await taken_by_share(event.id, found.seats))


def place_words(view: AimView, locale: str | None = None) -> str:
    """Whom the event is for, in the reader's language: "南园·安置小区 and 南园·锦绣苑", an
    alliance's or a grid's name."""
    return aim_words(view.aim, view.names, locale)


# --- who may sign up -------------------------------------------------------------------------------


async def eligible_home(*, user_id: uuid.UUID, event: Event) -> Home | None:
    """Where the resident lives, if the event is for them; 403 with the reason otherwise."""
    if event.aim == AimKind.everyone.value:
        return None
    found = await view(event)
    home = await home_of(user_id)
    if lives_within(home, found.aim):
        return home
    places = place_words(found, get_locale())
    if home is None:
        raise DomainError(
            "residence_required",
            N_("This event is for residents of {places}; set where you live in your profile."),
            params={"places": places},
            status=403,
        )
    raise DomainError(
        "not_for_your_estate", N_("This event is for residents of {places}."), params={"places": places}, status=403
    )


@dataclass(frozen=True)
class PlaceFilters:
    """Events of an alliance, fellowship events, or those open to where the resident lives
    (``home_set``: the list is for one person, ``home`` None when they have not said)."""

    alliance_id: uuid.UUID | None = None
    fellowship: bool | None = None
    home: Home | None = None
    home_set: bool = False


async def place_filters(
    *, alliance_id: uuid.UUID | None, fellowship: bool | None, for_my_estate: bool, user_id: uuid.UUID | None
) -> PlaceFilters | None:
    """The browsing filters on places; ``for_my_estate`` needs a login (401)."""
    if for_my_estate and user_id is None:
        raise DomainError("not_authenticated", N_("Please log in first."), status=401)
    if alliance_id is None and fellowship is None and not for_my_estate:
        return None
    home = await home_of(user_id) if for_my_estate and user_id is not None else None
    return PlaceFilters(alliance_id=alliance_id, fellowship=fellowship, home=home, home_set=for_my_estate)


@dataclass(frozen=True)
class Eligibility:
    for_you: bool
    code: str | None = None
    message: str | None = None  # untranslated (N_), with ``params``
    params: Mapping[str, Any] = field(default_factory=dict)


async def eligibility(*, user_id: uuid.UUID, event: Event) -> Eligibility:
    """Whether the resident may sign up by where they live, and why not (the same check as
    sign-up's, answered instead of raised)."""
    try:
        await eligible_home(user_id=user_id, event=event)
    except DomainError as refused:
        return Eligibility(False, refused.code, refused.message, refused.params)
    return Eligibility(True)


def open_to(home: Home | None) -> Any:
    """Browsing ``for_my_estate``: events open to everyone or aimed at the resident's estate,
    alliance or grids."""
    if home is None:
        return Event.aim == AimKind.everyone.value
    clause = (Event.aim == AimKind.everyone.value) | (
        (Event.aim == AimKind.estates.value)
        & WhereRaw('"event_event"."id" IN (SELECT event FROM event_estate WHERE estate = {})', home.estate_id)
    )
    if home.alliance_id is not None:
        clause = clause | ((Event.aim == AimKind.alliance.value) & (Event.aim_alliance == home.alliance_id))
    if home.grid_ids:
        clause = clause | ((Event.aim == AimKind.grid.value) & Event.aim_grid.is_in(list(home.grid_ids)))
    return clause


# --- seats per estate ------------------------------------------------------------------------------


async def shares_of(event_id: uuid.UUID) -> dict[uuid.UUID, int]:
    rows = await EventEstate.select(EventEstate.estate, EventEstate.seats).where(
        (EventEstate.event == event_id) & EventEstate.seats.is_not_null()
    )
    return {as_uuid(r["estate"]): r["seats"] for r in rows}


def share_key(shares: Mapping[uuid.UUID, int], estate: uuid.UUID | None) -> uuid.UUID | None:
    """The share a resident's seats count against: their estate's, or (None) the rest."""
    return estate if estate is not None and estate in shares else None


def share_limit(shares: Mapping[uuid.UUID, int], capacity: int, key: uuid.UUID | None) -> int:
    """An estate's own seats; the estates without a share have what the shares leave."""
    return shares[key] if key is not None else capacity - sum(shares.values())


async def taken_by_share(event_id: uuid.UUID, shares: Mapping[uuid.UUID, int]) -> dict[uuid.UUID | None, int]:
    """Seats held per share (call with the event row held, so the counts stay true)."""
    rows = (
        await Registration.select(Registration.estate, Sum(Registration.party_size).as_alias("seats"))
        .where((Registration.event == event_id) & Registration.status.is_in(list(HOLDING)))
        .group_by(Registration.estate)
    )
    taken: dict[uuid.UUID | None, int] = {}
    for row in rows:
        key = share_key(shares, as_uuid(row["estate"]) if row["estate"] is not None else None)
        taken[key] = taken.get(key, 0) + int(row["seats"] or 0)
    return taken


def seats_left_by_estate(
    shares: Mapping[uuid.UUID, int], taken: Mapping[uuid.UUID | None, int]
) -> dict[uuid.UUID, int]:
    return {estate: max(0, seats - taken.get(estate, 0)) for estate, seats in shares.items()}


def estate_full(estate_name: str) -> DomainError:
    return DomainError(
        "estate_seats_taken",
        N_("The seats kept for residents of {estate} are taken."),
        params={"estate": estate_name},
        status=409,
    )


async def estate_name(estate: uuid.UUID | None) -> str:
    if estate is None:
        return ""
    names = await aim_names(estate_ids=[estate])
    return pick(names.estates.get(estate, {}))[0]
