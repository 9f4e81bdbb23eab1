"""Shifts: a coordinator plans them, volunteers of the team take a place on them.

Shifts are public (they recruit); who took a place is for the team's coordinators only. A place
is taken the way events take a seat: one conditional UPDATE on the shift row (``seats_taken + 1
<= capacity``) inside a transaction that first locks the volunteer's own row, so one person's
concurrent requests queue behind each other and the overlap check sees every place they hold.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw

from backend.accounts.api import lock_person
from backend.core import signals
from backend.core.db import UNIQUE_VIOLATIONS, lock_row, transaction
from backend.core.errors import DomainError, Forbidden, NotFound
from backend.core.i18n import N_, as_city_time, pick
from backend.volunteers.shifts.schemas import MySignup, RouteBrief, ShiftCreate, ShiftRead, TeamBrief
from backend.volunteers.shifts.tables import Shift, ShiftSignup, ShiftStatus, SignupStatus
from backend.volunteers.signals import ShiftCancelled, SignupRef
from backend.volunteers.teams import guards as access
from backend.volunteers.teams.tables import Checkpoint, Route, Team

MAX_SHIFT_LENGTH = timedelta(hours=24)
# A place that still counts: it blocks a second sign-up and overlapping shifts.
LIVE = (SignupStatus.signed_up.value, SignupStatus.attended.value)


def _now() -> datetime:
    return datetime.now(UTC)


def as_uuid(value: Any) -> uuid.UUID:
    # asyncpg hands out its own UUID subclass; dictionaries and comparisons want the standard one.
    return value if type(value) is uuid.UUID else uuid.UUID(str(value))


def _invalid(code: str, message: str, **params: Any) -> DomainError:
    return DomainError(code, message, params=params, status=422)


async def load_shift(shift_id: uuid.UUID) -> Shift:
    shift = await Shift.objects().output(load_json=True).where(Shift.id == shift_id).first()
    if shift is None:
        raise NotFound("shift_not_found", N_("This shift does not exist."))
    return shift


# --- planning -------------------------------------------------------------------------------------


async def create_shift(
    *, user_id: uuid.UUID, team_id: uuid.UUID, data: ShiftCreate, now: datetime | None = None
) -> Shift:
    """A coordinator plans a shift of their team: at most a day long, starting in the future."""
    team = await access.require_coordinator(user_id=user_id, team_id=team_id)
    title = {locale: text.strip() for locale, text in data.title.items() if text.strip()}
    if not title:
        raise _invalid("title_required", N_("Give the shift a title."))
    starts_at, ends_at = as_city_time(data.starts_at).astimezone(UTC), as_city_time(data.ends_at).astimezone(UTC)
    _check_times(starts_at, ends_at, now or _now())
    if (data.latitude is None) != (data.longitude is None):
        raise _invalid("meeting_point_incomplete", N_("Give both the latitude and the longitude of the meeting point."))
    checkpoints = await _route_checkpoint_count(data.route_id, team.id) if data.route_id else 0
    if data.check_in_radius_m is not None and data.latitude is None and checkpoints == 0:
        raise _invalid(
            "check_in_radius_needs_place", N_("A check-in radius needs a meeting point or a route with checkpoints.")
        )
    shift = Shift(
        team=team.id,
        route=data.route_id,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=data.capacity,
        seats_taken=0,
        min_attendance_percent=data.min_attendance_percent,
        latitude=data.latitude,
        longitude=data.longitude,
        check_in_radius_m=data.check_in_radius_m,
        status=ShiftStatus.scheduled.value,
        created_by=user_id,
        created_at=_now(),
    )
    await shift.save()
    return await load_shift(shift.id)


def _check_times(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= starts_at:
        raise _invalid("shift_ends_before_start", N_("A shift must end after it starts."))
    if ends_at - starts_at > MAX_SHIFT_LENGTH:
        raise _invalid("shift_too_long", N_("A shift can last at most {hours} hours."), hours=24)
    if starts_at <= now:
        raise _invalid("shift_in_past", N_("A shift cannot start in the past."))


async def _route_checkpoint_count(route_id: uuid.UUID, team_id: uuid.UUID) -> int:
    route = await Route.select(Route.team).where(Route.id == route_id).first()
    if route is None or as_uuid(route["team"]) != team_id:
        raise _invalid("route_not_in_team", N_("This route does not belong to the team."))
    return await Checkpoint.count().where(Checkpoint.route == route_id)


async def cancel_shift(*, user_id: uuid.UUID, shift_id: uuid.UUID, now: datetime | None = None) -> Shift:
    """A coordinator calls a shift off before it starts: every place is released, and everyone told."""
    shift = await load_shift(shift_id)
    await access.require_coordinator(user_id=user_id, team_id=shift.team)
    moment = now or _now()
    if shift.status == ShiftStatus.cancelled.value:
        raise _shift_cancelled()
    if shift.starts_at <= moment:
        raise _shift_started()
    async with signals.atomic():
        # The shift row first, as a sign-up takes it: one lock order, no deadlock.
        flipped = (
            await Shift.update({Shift.status: ShiftStatus.cancelled.value, Shift.seats_taken: 0})
            .where((Shift.id == shift.id) & (Shift.status == ShiftStatus.scheduled.value))
            .returning(Shift.id)
        )
        if not flipped:
            raise _shift_cancelled()  # a concurrent cancel got there first
        released = (
            await ShiftSignup.update(
                {ShiftSignup.status: SignupStatus.cancelled.value, ShiftSignup.cancelled_at: moment}
            )
            .where((ShiftSignup.shift == shift.id) & (ShiftSignup.status == SignupStatus.signed_up.value))
            .returning(ShiftSignup.id, ShiftSignup.user)
        )
        released_places = [SignupRef(signup_id=row["id"], user_id=row["user"]) for row in released]
        await signals.emit(ShiftCancelled(shift_id=shift.id, team_id=shift.team, signups=released_places))
    return await load_shift(shift.id)


# --- reading --------------------------------------------------------------------------------------


async def list_shifts(
    *,
    user_id: uuid.UUID | None,
    team_id: uuid.UUID | None = None,
    starts_from: datetime | None = None,
    starts_to: datetime | None = None,
    mine: bool = False,
    limit: int = 50,
    now: datetime | None = None,
) -> list[Shift]:
    """Shifts by start time; without ``starts_from``, those not over yet. ``mine``: the caller's places."""
    query = Shift.objects().output(load_json=True)
    if team_id is not None:
        query = query.where(Shift.team == team_id)
    if starts_from is not None:
        query = query.where(Shift.starts_at >= starts_from.astimezone(UTC))
    else:
        query = query.where(Shift.ends_at > (now or _now()))
    if starts_to is not None:
        query = query.where(Shift.starts_at < starts_to.astimezone(UTC))
    if mine and user_id is not None:
        own = ShiftSignup.select(ShiftSignup.shift).where(
            (ShiftSignup.user == user_id) & (ShiftSignup.status != SignupStatus.cancelled.value)
        )
        query = query.where(Shift.id.is_in(own))
    return await query.order_by(Shift.starts_at).order_by(Shift.id).limit(limit)


async def shift_reads(shifts: list[Shift], *, user_id: uuid.UUID | None) -> list[ShiftRead]:
    """Shifts as the caller sees them: team and route named in their language, their own place."""
    if not shifts:
        return []
    team_ids = list({as_uuid(s.team) for s in shifts})
    teams = {
        as_uuid(r["id"]): r["name"]
        for r in await Team.select(Team.id, Team.name).where(Team.id.is_in(team_ids)).output(load_json=True)
    }
    route_ids = list({as_uuid(s.route) for s in shifts if s.route})
    routes: dict[uuid.UUID, Any] = {}
    stops: Counter[uuid.UUID] = Counter()
    if route_ids:
        found = await Route.select(Route.id, Route.name).where(Route.id.is_in(route_ids)).output(load_json=True)
        routes = {as_uuid(r["id"]): r["name"] for r in found}
        stops.update(
            as_uuid(r["route"])
            for r in await Checkpoint.select(Checkpoint.route).where(Checkpoint.route.is_in(route_ids))
        )
    mine = await _my_signups(user_id, [s.id for s in shifts]) if user_id else {}
    return [_shift_read(s, teams, routes, stops, mine.get(as_uuid(s.id))) for s in shifts]


def _shift_read(
    shift: Shift,
    teams: dict[uuid.UUID, Any],
    routes: dict[uuid.UUID, Any],
    stops: Counter[uuid.UUID],
    mine: MySignup | None,
) -> ShiftRead:
    title, title_locale = pick(shift.title)
    team_id = as_uuid(shift.team)
    route = None
    if shift.route:
        route_id = as_uuid(shift.route)
        route = RouteBrief(id=route_id, name=pick(routes.get(route_id))[0], checkpoint_count=stops[route_id])
    return ShiftRead(
        id=as_uuid(shift.id),
        team=TeamBrief(id=team_id, name=pick(teams.get(team_id))[0]),
        title=title,
        title_locale=title_locale,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        capacity=shift.capacity,
        seats_left=max(0, shift.capacity - shift.seats_taken),
        route=route,
        min_attendance_percent=shift.min_attendance_percent,
        latitude=shift.latitude,
        longitude=shift.longitude,
        check_in_radius_m=shift.check_in_radius_m,
        status=shift.status,
        my_signup=mine,  # type: ignore[arg-type]
    )


async def _my_signups(user_id: uuid.UUID, shift_ids: list[uuid.UUID]) -> dict[uuid.UUID, MySignup]:
    rows = (
        await ShiftSignup.select(
            ShiftSignup.id, ShiftSignup.shift, ShiftSignup.status, ShiftSignup.checked_in_at, ShiftSignup.checked_out_at
        )
        .where((ShiftSignup.user == user_id) & ShiftSignup.shift.is_in(shift_ids))
        .order_by(ShiftSignup.created_at)
    )
    mine: dict[uuid.UUID, MySignup] = {}
    for row in rows:
        shift_id = as_uuid(row["shift"])
        # The live place wins over an earlier cancelled one; else the latest one.
        if (
            shift_id in mine
            and mine[shift_id].status != SignupStatus.cancelled.value
            and row["status"] == SignupStatus.cancelled.value
        ):
            continue
        mine[shift_id] = MySignup(
            id=as_uuid(row["id"]),
            status=row["status"],
            checked_in_at=row["checked_in_at"],
            checked_out_at=row["checked_out_at"],
        )
    return mine


# --- taking and giving up a place -----------------------------------------------------------------


def _shift_cancelled() -> DomainError:
    return DomainError("shift_cancelled", N_("This shift has been cancelled."), status=409)


def _shift_started() -> DomainError:
    return DomainError("shift_started", N_("This shift has already started."), status=409)


def _already_signed_up() -> DomainError:
    return DomainError("already_signed_up", N_("You have already signed up for this shift."), status=409)


async def sign_up(
    *, user_id: uuid.UUID, shift_id: uuid.UUID, idempotency_key: str | None = None, now: datetime | None = None
) -> tuple[ShiftSignup, bool]:
    """A place for an active member of the team, if one is free and none of their shifts overlaps.
    (signup, created): a retry with the same Idempotency-Key gets the first answer."""
    if idempotency_key and (earlier := await _by_idempotency_key(user_id, shift_id, idempotency_key)):
        return earlier, False
    shift = await load_shift(shift_id)
    if not await access.is_active_member(user_id=user_id, team_id=shift.team):
        raise Forbidden("not_team_member", N_("Only active members of this team can take its shifts."))
    moment = now or _now()
    _check_open(shift, moment)
    try:
        async with signals.atomic():
            # One volunteer's concurrent requests queue here, so the checks below see each other.
            await lock_person(user_id)
            if idempotency_key and (earlier := await _by_idempotency_key(user_id, shift_id, idempotency_key)):
                return earlier, False  # a concurrent retry of this request committed first
            signup = await _take_place(user_id, shift, idempotency_key, moment)
    except UNIQUE_VIOLATIONS:
        # A race the lock above should prevent; should it happen, answer as the winner did.
        if idempotency_key and (earlier := await _by_idempotency_key(user_id, shift_id, idempotency_key)):
            return earlier, False
        raise _already_signed_up() from None
    return signup, True


def _check_open(shift: Shift, moment: datetime) -> None:
    if shift.status == ShiftStatus.cancelled.value:
        raise _shift_cancelled()
    if shift.starts_at <= moment:
        raise _shift_started()


async def _by_idempotency_key(user_id: uuid.UUID, shift_id: uuid.UUID, key: str) -> ShiftSignup | None:
    earlier = (
        await ShiftSignup.objects()
        .output(load_json=True)
        .where((ShiftSignup.user == user_id) & (ShiftSignup.idempotency_key == key))
        .first()
    )
    if earlier is not None and as_uuid(earlier.shift) != shift_id:
        raise _invalid("idempotency_key_reused", N_("This Idempotency-Key was already used for another request."))
    return earlier


async def _take_place(user_id: uuid.UUID, shift: Shift, idempotency_key: str | None, moment: datetime) -> ShiftSignup:
    if await ShiftSignup.exists().where(
        (ShiftSignup.user == user_id)
        & (ShiftSignup.shift == shift.id)
        & (ShiftSignup.status != SignupStatus.cancelled.value)
    ):
        raise _already_signed_up()
    await _check_overlap(user_id, shift)
    seat = (
        await Shift.update({Shift.seats_taken: Shift.seats_taken + 1})
        .where(
            (Shift.id == shift.id)
            & (Shift.status == ShiftStatus.scheduled.value)
            & (Shift.starts_at > moment)
            & WhereRaw("seats_taken + 1 <= capacity")
        )
        .returning(Shift.id)
    )
    if not seat:
        current = await load_shift(shift.id)
        _check_open(current, moment)  # cancelled or started meanwhile
        raise DomainError("shift_full", N_("This shift is full."), status=409)
    signup = ShiftSignup(
        shift=shift.id,
        user=user_id,
        status=SignupStatus.signed_up.value,
        idempotency_key=idempotency_key,
        created_at=_now(),
    )
    await signup.save()
    return signup


async def _check_overlap(user_id: uuid.UUID, shift: Shift) -> None:
    """Touching shifts are fine: one may end at the minute the next one starts."""
    other = (
        await ShiftSignup.select(ShiftSignup.shift.starts_at, ShiftSignup.shift.ends_at)
        .where(
            (ShiftSignup.user == user_id)
            & ShiftSignup.status.is_in(list(LIVE))
            & (ShiftSignup.shift != shift.id)
            & (ShiftSignup.shift.starts_at < shift.ends_at)
            & (ShiftSignup.shift.ends_at > shift.starts_at)
        )
        .first()
    )
    if other is not None:
        raise DomainError(
            "shift_overlap",
            N_("You already have a shift from {starts_at} to {ends_at}."),
            params={"starts_at": other["shift.starts_at"], "ends_at": other["shift.ends_at"]},
            status=409,
        )


async def cancel_signup(*, user_id: uuid.UUID, shift_id: uuid.UUID, now: datetime | None = None) -> ShiftSignup:
    """The volunteer gives up their place before the shift starts; the seat is free again."""
    shift = await load_shift(shift_id)
    if shift.starts_at <= (now or _now()):
        raise _shift_started()
    not_signed_up = DomainError("not_signed_up", N_("You have no place on this shift to cancel."), status=409)
    async with transaction(Shift._meta.db):
        # The volunteer's row, then the shift's: the order every writer here takes them in.
        await lock_person(user_id)
        await lock_row(Shift._meta.db, Shift._meta.tablename, shift.id)
        cancelled = (
            await ShiftSignup.update(
                {ShiftSignup.status: SignupStatus.cancelled.value, ShiftSignup.cancelled_at: _now()}
            )
            .where(
                (ShiftSignup.shift == shift.id)
                & (ShiftSignup.user == user_id)
                & (ShiftSignup.status == SignupStatus.signed_up.value)
            )
            .returning(ShiftSignup.id)
        )
        if not cancelled:
            raise not_signed_up
        await Shift.update({Shift.seats_taken: Shift.seats_taken - 1}).where(
            (Shift.id == shift.id) & (Shift.seats_taken > 0)
        )
    found = await ShiftSignup.objects().output(load_json=True).where(ShiftSignup.id == cancelled[0]["id"]).first()
    return found
