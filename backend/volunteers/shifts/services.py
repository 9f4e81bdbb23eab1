"""Shifts: a coordinator plans them, volunteers of the team take a place on them.

Shifts are public (they recruit); who took a place is for the team's coordinators only. A place
is taken the way events take a seat: one conditional UPDATE on the shift row (``seats_taken + 1
<= capacity``) inside a transaction that first locks the volunteer's own row, so one person's
concurrent requests queue behind each other and the overlap check sees every place they hold.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw

from backend.accounts.api import lock_person, person_row
from backend.core import audit, clock, signals
from backend.core.db import UNIQUE_VIOLATIONS, lock_row, named, transaction, with_constants
from backend.core.errors import DomainError, Forbidden
from backend.core.i18n import CITY_TZ, N_, as_city_time, pick
from backend.core.idempotency import key_reused
from backend.core.turns import Turns
from backend.core.values import as_uuid
from backend.places.api import AimIn, aim_columns, aim_of, check_aim, require_resident
from backend.volunteers.shifts.queries import load_shift
from backend.volunteers.shifts.schemas import CopiedShift, ShiftCreate, SkippedShift, WeekCopied, WeekCopy
from backend.volunteers.shifts.tables import Shift, ShiftSignup, ShiftStatus, SignupStatus
from backend.volunteers.signals import ShiftCancelled, SignupRef
from backend.volunteers.teams.guards import is_active_member, require_coordination
from backend.volunteers.teams.tables import Checkpoint, MemberStatus, Route, Team

MAX_SHIFT_LENGTH = timedelta(hours=24)
# A place that still counts: it blocks a second sign-up and overlapping shifts.
LIVE = (SignupStatus.signed_up.value, SignupStatus.attended.value)


def _invalid(code: str, message: str, **params: Any) -> DomainError:
    return DomainError(code, message, params=params, status=422)


# --- planning -------------------------------------------------------------------------------------


async def create_shift(*, user_id: uuid.UUID, team_id: uuid.UUID, data: ShiftCreate) -> Shift:
    """A coordinator plans a shift of their team: at most a day long, starting in the future."""
    coordination = await require_coordination(user_id=user_id, team_id=team_id)
    team = coordination.team
    title = {locale: text.strip() for locale, text in data.title.items() if text.strip()}
    if not title:
        raise _invalid("title_required", N_("Give the shift a title."))
    starts_at, ends_at = as_city_time(data.starts_at).astimezone(UTC), as_city_time(data.ends_at).astimezone(UTC)
    _check_times(starts_at, ends_at, clock.now())
    if (data.latitude is None) != (data.longitude is None):
        raise _invalid("meeting_point_incomplete", N_("Give both the latitude and the longitude of the meeting point."))
    checkpoints = await _route_checkpoint_count(data.route_id, team.id) if data.route_id else 0
    if data.check_in_radius_m is not None and data.latitude is None and checkpoints == 0:
        raise _invalid(
            "check_in_radius_needs_place", N_("A check-in radius needs a meeting point or a route with checkpoints.")
        )
    aim = (data.audience or AimIn()).aim()
    await check_aim(aim, organiser_id=as_uuid(team.community))
    shift = Shift(
        **aim_columns(aim),
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
        created_at=clock.now(),
    )
    async with transaction(Shift._meta.db):
        await shift.save()
        await audit.record(
            "volunteers.shift_planned",
            object_type="shift",
            object_id=shift.id,
            organisation_id=coordination.organisation_id,
            permission=coordination.permission,
            after={
                "team": team.id,
                "title": title,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "capacity": data.capacity,
                "route": data.route_id,
                **aim_columns(aim),
            },
        )
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
    return int(await Checkpoint.count().where(Checkpoint.route == route_id))


async def cancel_shift(*, user_id: uuid.UUID, shift_id: uuid.UUID) -> Shift:
    """A coordinator calls a shift off before it starts: every place is released, and everyone told."""
    shift = await load_shift(shift_id)
    coordination = await require_coordination(user_id=user_id, team_id=as_uuid(shift.team))
    moment = clock.now()
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
        await audit.record(
            "volunteers.shift_cancelled",
            object_type="shift",
            object_id=shift.id,
            organisation_id=coordination.organisation_id,
            permission=coordination.permission,
            before={"status": ShiftStatus.scheduled.value, "places_taken": shift.seats_taken},
            after={"status": ShiftStatus.cancelled.value, "places_taken": 0},
        )
    return await load_shift(shift.id)


# --- taking and giving up a place -----------------------------------------------------------------


def _shift_cancelled() -> DomainError:
    return DomainError("shift_cancelled", N_("This shift has been cancelled."), status=409)


def _shift_started() -> DomainError:
    return DomainError("shift_started", N_("This shift has already started."), status=409)


def _already_signed_up() -> DomainError:
    return DomainError("already_signed_up", N_("You have already signed up for this shift."), status=409)


async def sign_up(
    *, user_id: uuid.UUID, shift_id: uuid.UUID, idempotency_key: str | None = None
) -> tuple[ShiftSignup, bool]:
    """A place for an active member of the team, if one is free and none of their shifts overlaps.
    (signup, created): a retry with the same Idempotency-Key gets the first answer.

    As the events' sign-up: hold the person, one conditional UPDATE that checks everything and
    takes the place, one INSERT, COMMIT; what the UPDATE does not match (a retry, a full or
    started shift, a shift aimed at places, not a member, an overlap) takes the careful path in
    the same transaction, which says why."""
    moment = clock.now()
    try:
        # Held from BEGIN: one volunteer's concurrent requests queue here, so the checks below
        # see each other.
        async with _TURNS.turn(shift_id), transaction(Shift._meta.db, hold=person_row(user_id)):
            if await _place_fast(user_id, shift_id, moment):
                return await _record(user_id, shift_id, idempotency_key), True
            return await _sign_up_carefully(user_id, shift_id, idempotency_key, moment)
    except UNIQUE_VIOLATIONS:
        if idempotency_key and (found := await _by_idempotency_key(user_id, shift_id, idempotency_key)) is not None:
            return found, False
        raise _already_signed_up() from None


async def _sign_up_carefully(
    user_id: uuid.UUID, shift_id: uuid.UUID, idempotency_key: str | None, moment: datetime
) -> tuple[ShiftSignup, bool]:
    if idempotency_key and (found := await _by_idempotency_key(user_id, shift_id, idempotency_key)) is not None:
        return found, False
    shift = await load_shift(shift_id)
    if not await is_active_member(user_id=user_id, team_id=shift.team):
        raise Forbidden("not_team_member", N_("Only active members of this team can take its shifts."))
    _check_open(shift, moment)
    # A shift aimed at places is for their residents (403 with the reason otherwise).
    await require_resident(user_id=user_id, aim=aim_of(shift.to_dict()), what="shift")
    return await _take_place(user_id, shift, idempotency_key, moment), True


# Scheduled, not started, a place free, for everyone (a shift aimed at places takes the careful
# path), the caller an active member of its team, not already on it, and no other live shift of
# theirs overlapping it (touching is fine). Runs after the person's hold: its snapshot sees their
# other committed places. The statuses are written in, not bound, so that "not already on it" is
# one look in the one-active index.
_TURNS = Turns()  # one shift's sign-ups in flight in this process (core.turns)

_PLACE = with_constants(
    """
UPDATE volunteer_shift SET seats_taken = seats_taken + 1
WHERE id = {shift} AND status = {scheduled} AND starts_at > {now} AND seats_taken + 1 <= capacity
    AND aim = {everyone}
    AND EXISTS (
        SELECT 1 FROM volunteer_team_member m
        WHERE m.team = volunteer_shift.team AND m."user" = {user} AND m.status = {active}
    )
    AND NOT EXISTS (
        SELECT 1 FROM volunteer_signup s WHERE s.shift = {shift} AND s."user" = {user} AND s.status <> {cancelled}
    )
    AND NOT EXISTS (
        SELECT 1 FROM volunteer_signup s JOIN volunteer_shift o ON o.id = s.shift
        WHERE s."user" = {user} AND s.status IN ({signed_up}, {attended}) AND s.shift <> {shift}
            AND o.starts_at < volunteer_shift.ends_at AND o.ends_at > volunteer_shift.starts_at
    )
RETURNING id
""",
    scheduled=ShiftStatus.scheduled.value,
    everyone="everyone",
    active=MemberStatus.active.value,
    cancelled=SignupStatus.cancelled.value,
    signed_up=SignupStatus.signed_up.value,
    attended=SignupStatus.attended.value,
)


async def _place_fast(user_id: uuid.UUID, shift_id: uuid.UUID, moment: datetime) -> bool:
    taken = await Shift.raw(
        *named(
            _PLACE,
            shift=shift_id,
            now=moment,
            user=user_id,
        )
    )
    return bool(taken)


async def _record(user_id: uuid.UUID, shift_id: uuid.UUID, idempotency_key: str | None) -> ShiftSignup:
    signup = ShiftSignup(
        shift=shift_id,
        user=user_id,
        status=SignupStatus.signed_up.value,
        idempotency_key=idempotency_key,
        created_at=clock.now(),
    )
    await ShiftSignup.insert(signup)
    return signup


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
        raise key_reused()
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
    return await _record(user_id, shift.id, idempotency_key)


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


async def cancel_signup(*, user_id: uuid.UUID, shift_id: uuid.UUID) -> ShiftSignup:
    """The volunteer gives up their place before the shift starts; the seat is free again."""
    shift = await load_shift(shift_id)
    if shift.starts_at <= clock.now():
        raise _shift_started()
    not_signed_up = DomainError("not_signed_up", N_("You have no place on this shift to cancel."), status=409)
    async with transaction(Shift._meta.db):
        # The volunteer's row, then the shift's: the order every writer here takes them in.
        await lock_person(user_id)
        await lock_row(Shift._meta.db, Shift._meta.tablename, shift.id)
        cancelled = (
            await ShiftSignup.update(
                {ShiftSignup.status: SignupStatus.cancelled.value, ShiftSignup.cancelled_at: clock.now()}
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
    if found is None:  # pragma: no cover - the row was changed just before, and places are never deleted
        raise not_signed_up
    return found


# --- copying a week -------------------------------------------------------------------------------


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_window(monday: date) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, city time, in UTC."""
    start = datetime(monday.year, monday.month, monday.day, tzinfo=CITY_TZ).astimezone(UTC)
    return start, start + timedelta(days=7)


def _same_shift_key(title: Any, starts_at: datetime, ends_at: datetime) -> tuple[str, datetime, datetime]:
    return (json.dumps(title or {}, sort_keys=True), starts_at.astimezone(UTC), ends_at.astimezone(UTC))


async def copy_week(*, user_id: uuid.UUID, team_id: uuid.UUID, data: WeekCopy) -> WeekCopied:
    """A coordinator copies the team's planned (not cancelled) shifts of one week to another, each
    on the same weekday and time with the same title, places, route and rules. Asking again makes
    nothing twice: a copy whose title and times are already planned in the other week (or were,
    and were cancelled) is skipped, as is one that would start in the past. ``preview``: the
    answer alone, nothing written. Copies of one team's week queue on the team's row."""
    coordination = await require_coordination(user_id=user_id, team_id=team_id)
    source, target = _monday(data.from_week), _monday(data.to_week)
    if source == target:
        raise _invalid("same_week", N_("Choose another week to copy the shifts to."))
    shift_by = target - source
    moment = clock.now()
    engine = Shift._meta.db

    async def plan() -> tuple[list[dict[str, Any]], list[SkippedShift]]:
        start, end = _week_window(source)
        rows = (
            await Shift.select()
            .output(load_json=True)
            .where(
                (Shift.team == team_id)
                & (Shift.status == ShiftStatus.scheduled.value)
                & (Shift.starts_at >= start)
                & (Shift.starts_at < end)
            )
            .order_by(Shift.starts_at)
        )
        there_start, there_end = _week_window(target)
        there = (
            await Shift.select(Shift.title, Shift.starts_at, Shift.ends_at)
            .output(load_json=True)
            .where((Shift.team == team_id) & (Shift.starts_at >= there_start) & (Shift.starts_at < there_end))
        )
        planned = {_same_shift_key(row["title"], row["starts_at"], row["ends_at"]) for row in there}
        made: list[dict[str, Any]] = []
        skipped: list[SkippedShift] = []
        for row in rows:
            starts_at, ends_at = row["starts_at"] + shift_by, row["ends_at"] + shift_by
            title = pick(row["title"])[0]
            if _same_shift_key(row["title"], starts_at, ends_at) in planned:
                skipped.append(SkippedShift(row["id"], title, starts_at, "already_there"))
            elif starts_at <= moment:
                skipped.append(SkippedShift(row["id"], title, starts_at, "in_the_past"))
            else:
                copy = {
                    **row,
                    "id": uuid.uuid4(),
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                    "seats_taken": 0,
                    "status": ShiftStatus.scheduled.value,
                    "created_by": user_id,
                    "created_at": moment,
                }
                made.append({"source": row["id"], "row": copy, "title": title})
        return made, skipped

    if data.preview:
        made, skipped = await plan()
    else:
        async with transaction(engine):
            await lock_row(engine, Team._meta.tablename, team_id)  # two copies of a week queue here
            made, skipped = await plan()
            if made:
                await Shift.insert(*(Shift(**item["row"]) for item in made))
                await audit.record(
                    "volunteers.shifts_copied",
                    object_type="team",
                    object_id=team_id,
                    organisation_id=coordination.organisation_id,
                    permission=coordination.permission,
                    after={
                        "from_week": source.isoformat(),
                        "to_week": target.isoformat(),
                        "shifts": [item["row"]["id"] for item in made],
                    },
                )
    created = [
        CopiedShift(
            source_id=item["source"],
            shift_id=None if data.preview else item["row"]["id"],
            title=item["title"],
            starts_at=item["row"]["starts_at"],
            ends_at=item["row"]["ends_at"],
        )
        for item in made
    ]
    return WeekCopied(from_week=source, to_week=target, preview=data.preview, created=created, skipped=skipped)
