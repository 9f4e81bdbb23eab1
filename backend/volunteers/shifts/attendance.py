"""Attendance on a shift: check-in, checkpoint scans along the route, check-out, and what the
housekeeping loop closes for those who forgot.

A location sent with a check-in is compared with the shift's radius and dropped: it is never
written to the database or the logs. Every write that closes a sign-up is one conditional UPDATE
(``checked_out_at IS NULL``), so a double tap, a retry or two instances closing forgotten
check-outs at once close each sign-up exactly once; the hours entry's source key backs that up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from backend.accounts.api import lock_person
from backend.core import clock
from backend.core.db import UNIQUE_VIOLATIONS, transaction
from backend.core.errors import DomainError, NotFound
from backend.core.geo import distance_m
from backend.core.i18n import N_
from backend.core.values import as_uuid
from backend.volunteers.hours.queries import hours_entry_of_signup
from backend.volunteers.hours.services import minutes_in_window, record_shift_hours, required_minutes
from backend.volunteers.shifts.queries import load_shift
from backend.volunteers.shifts.tables import CheckpointScan, Shift, ShiftSignup, SignupStatus
from backend.volunteers.teams.tables import Checkpoint

log = structlog.get_logger("linli.volunteers.attendance")

CHECK_IN_OPENS = timedelta(minutes=30)  # before the start: time to gather at the meeting point
AUTO_CHECKOUT = "auto_checkout"
MISSED_CHECKPOINTS = "missed_checkpoints"
BELOW_RULE = "below_attendance_rule"


def _conflict(code: str, message: str, **params: Any) -> DomainError:
    return DomainError(code, message, params=params, status=409)


async def own_signup(*, user_id: uuid.UUID, shift_id: uuid.UUID) -> ShiftSignup:
    """The caller's live place on the shift; anyone else's answers exactly like a missing one."""
    signup = (
        await ShiftSignup.objects()
        .output(load_json=True)
        .where(
            (ShiftSignup.shift == shift_id)
            & (ShiftSignup.user == user_id)
            & (ShiftSignup.status != SignupStatus.cancelled.value)
        )
        .first()
    )
    if signup is None:
        raise NotFound("signup_not_found", N_("You have no place on this shift."))
    return signup


# --- check-in -------------------------------------------------------------------------------------


async def check_in(
    *,
    user_id: uuid.UUID,
    shift_id: uuid.UUID,
    latitude: float | None = None,
    longitude: float | None = None,
) -> tuple[ShiftSignup, bool]:
    """From 30 minutes before the start until the end, near enough when the shift asks for it.
    (signup, already): a second check-in keeps the first time."""
    shift = await load_shift(shift_id)
    signup = await own_signup(user_id=user_id, shift_id=shift.id)
    if signup.checked_in_at is not None:
        return signup, True
    moment = clock.now()
    if moment < shift.starts_at - CHECK_IN_OPENS:
        raise _conflict(
            "check_in_not_open", N_("Check-in opens at {opens_at}."), opens_at=shift.starts_at - CHECK_IN_OPENS
        )
    if moment >= shift.ends_at:
        raise _shift_ended()
    await _check_location(shift, latitude, longitude)
    await ShiftSignup.update({ShiftSignup.checked_in_at: moment}).where(
        (ShiftSignup.id == signup.id)
        & ShiftSignup.checked_in_at.is_null()
        & (ShiftSignup.status == SignupStatus.signed_up.value)
    )
    fresh = await own_signup(user_id=user_id, shift_id=shift.id)
    return fresh, fresh.checked_in_at != moment  # a concurrent check-in may have won


def _shift_ended() -> DomainError:
    return _conflict("shift_ended", N_("This shift has already ended."))


async def _check_location(shift: Shift, latitude: float | None, longitude: float | None) -> None:
    if shift.check_in_radius_m is None:
        return
    if latitude is None or longitude is None:
        raise DomainError("location_required", N_("Share your location to check in to this shift."), status=422)
    places = [(shift.latitude, shift.longitude)] if shift.latitude is not None and shift.longitude is not None else []
    if shift.route:
        stops = await Checkpoint.select(Checkpoint.latitude, Checkpoint.longitude).where(
            Checkpoint.route == shift.route
        )
        places += [(row["latitude"], row["longitude"]) for row in stops]
    if not places:
        return  # nothing to measure against (the route lost its checkpoints): let the volunteer in
    nearest = min(distance_m(latitude, longitude, lat, lng) for lat, lng in places)
    if nearest > shift.check_in_radius_m:
        raise DomainError(
            "too_far_from_shift",
            N_("You are {distance_m} m away. Check in within {radius_m} m of the meeting point or the route."),
            params={"distance_m": round(nearest), "radius_m": shift.check_in_radius_m},
            status=422,
        )


# --- checkpoints ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """A checkpoint scanned (its row, as every checkpoint row here: id, position, name, code), when
    it was first scanned, and where the patrol stands: the next checkpoint and those skipped."""

    checkpoint: dict[str, Any]
    scanned_at: datetime
    already_scanned: bool
    next_checkpoint: dict[str, Any] | None
    missed: list[int]


async def scan_checkpoint(*, user_id: uuid.UUID, shift_id: uuid.UUID, code: str) -> Scan:
    """Scan a plate of the shift's route, in order: skipping ahead is allowed (the skipped ones
    are missed), going back is not; the same plate twice is the first scan."""
    shift = await load_shift(shift_id)
    signup = await own_signup(user_id=user_id, shift_id=shift.id)
    if shift.route is None:
        raise _conflict("shift_has_no_route", N_("This shift has no patrol route."))
    if signup.checked_in_at is None:
        raise _not_checked_in()
    if signup.checked_out_at is not None:
        raise _conflict("already_checked_out", N_("You have already checked out of this shift."))
    moment = clock.now()
    if moment >= shift.ends_at:
        raise _shift_ended()
    checkpoints = await _route_checkpoints(shift.route)
    wanted = code.strip().casefold()
    checkpoint = next((c for c in checkpoints if c["code"].casefold() == wanted), None)
    if checkpoint is None:
        raise NotFound("checkpoint_not_found", N_("This checkpoint is not on the shift's route."))
    try:
        async with transaction(CheckpointScan._meta.db):
            # One volunteer's scans queue here, so the order check sees the scan before it.
            await lock_person(user_id)
            already = await _record_scan(signup.id, checkpoint, checkpoints, moment)
    except UNIQUE_VIOLATIONS:
        already = True  # the same plate, scanned twice at once: the first scan stands
    scans = await _scans(signup.id)
    following, missed = _progress(checkpoints, set(scans))
    return Scan(checkpoint, scans[checkpoint["id"]], already, following, missed)


def _not_checked_in() -> DomainError:
    return _conflict("not_checked_in", N_("Check in to the shift first."))


async def _route_checkpoints(route_id: Any) -> list[dict[str, Any]]:
    rows = (
        await Checkpoint.select(Checkpoint.id, Checkpoint.position, Checkpoint.name, Checkpoint.code)
        .where(Checkpoint.route == route_id)
        .order_by(Checkpoint.position)
        .output(load_json=True)
    )
    return [{**row, "id": as_uuid(row["id"])} for row in rows]


async def _scans(signup_id: uuid.UUID) -> dict[uuid.UUID, datetime]:
    rows = await CheckpointScan.select(CheckpointScan.checkpoint, CheckpointScan.scanned_at).where(
        CheckpointScan.signup == signup_id
    )
    return {as_uuid(row["checkpoint"]): row["scanned_at"] for row in rows}


async def _record_scan(
    signup_id: uuid.UUID, checkpoint: dict[str, Any], checkpoints: list[dict[str, Any]], moment: datetime
) -> bool:
    scans = await _scans(signup_id)
    if checkpoint["id"] in scans:
        return True
    positions = {c["id"]: c["position"] for c in checkpoints}
    latest = max((positions[c] for c in scans if c in positions), default=0)
    if checkpoint["position"] < latest:
        following = next((c["position"] for c in checkpoints if c["position"] > latest), None)
        if following is None:
            raise _conflict("checkpoint_out_of_order", N_("You have already passed this checkpoint."), expected=None)
        raise _conflict(
            "checkpoint_out_of_order",
            N_("You have already passed this checkpoint. The next one is number {expected}."),
            expected=following,
        )
    await CheckpointScan.insert(CheckpointScan(signup=signup_id, checkpoint=checkpoint["id"], scanned_at=moment))
    return False


def _progress(checkpoints: list[dict[str, Any]], scanned: set[uuid.UUID]) -> tuple[dict[str, Any] | None, list[int]]:
    """The next checkpoint after the furthest one scanned, and the positions skipped before it."""
    latest = max((c["position"] for c in checkpoints if c["id"] in scanned), default=0)
    following = next((c for c in checkpoints if c["position"] > latest), None)
    missed = [c["position"] for c in checkpoints if c["position"] < latest and c["id"] not in scanned]
    return following, missed


# --- check-out ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOut:
    """A closed attendance: the place, the minutes inside the shift against the least that counts,
    and its hours entry (a row of id, status and minutes; None below the rule)."""

    shift: Shift
    signup: ShiftSignup
    checked_in_at: datetime
    checked_out_at: datetime
    minutes_in_shift: int
    required_minutes: int
    hours_entry: dict[str, Any] | None


async def check_out(*, user_id: uuid.UUID, shift_id: uuid.UUID) -> CheckOut:
    """Close the volunteer's attendance and, at or above the shift's rule, add a pending hours
    entry in the same transaction. Checking out again answers with the same result."""
    shift = await load_shift(shift_id)
    signup = await own_signup(user_id=user_id, shift_id=shift.id)
    if signup.checked_in_at is None:
        raise _not_checked_in()
    if signup.checked_out_at is None:
        async with transaction(ShiftSignup._meta.db):
            await lock_person(user_id)
            await _close(shift, signup, out_at=clock.now(), automatic=False)
        signup = await own_signup(user_id=user_id, shift_id=shift.id)
    if signup.checked_out_at is None:  # the shift was called off meanwhile
        raise _not_checked_in()
    return await _checked_out(shift, signup)


async def _close(shift: Shift, signup: ShiftSignup, *, out_at: datetime, automatic: bool) -> bool:
    """Close one sign-up and record its hours; False when someone else closed it first."""
    flags = [AUTO_CHECKOUT] if automatic else []
    missed = await _missed_at_close(shift, signup.id)
    if missed:
        flags += [MISSED_CHECKPOINTS, *(f"missed_checkpoint:{position}" for position in missed)]
    minutes = minutes_in_window(signup.checked_in_at, out_at, shift.starts_at, shift.ends_at)
    if minutes == 0 or minutes < required_minutes(shift):
        flags.append(BELOW_RULE)
    closed = (
        await ShiftSignup.update(
            {
                ShiftSignup.checked_out_at: out_at,
                ShiftSignup.status: SignupStatus.attended.value,
                ShiftSignup.closed_automatically: automatic,
                ShiftSignup.flags: flags,
            }
        )
        .where(
            (ShiftSignup.id == signup.id)
            & ShiftSignup.checked_out_at.is_null()
            & ShiftSignup.checked_in_at.is_not_null()
            & (ShiftSignup.status == SignupStatus.signed_up.value)
        )
        .returning(ShiftSignup.id)
    )
    if not closed:
        return False
    await record_shift_hours(
        shift=shift,
        signup_id=signup.id,
        user_id=as_uuid(signup.user),
        checked_in_at=signup.checked_in_at,
        checked_out_at=out_at,
        flags=flags,
    )
    return True


async def _missed_at_close(shift: Shift, signup_id: uuid.UUID) -> list[int]:
    """At the end of a patrol every checkpoint not scanned was missed, skipped or never reached."""
    if shift.route is None:
        return []
    scanned = set(await _scans(signup_id))
    return [c["position"] for c in await _route_checkpoints(shift.route) if c["id"] not in scanned]


async def _checked_out(shift: Shift, signup: ShiftSignup) -> CheckOut:
    checked_in_at, checked_out_at = signup.checked_in_at, signup.checked_out_at
    assert checked_in_at is not None and checked_out_at is not None  # check_out answered otherwise
    return CheckOut(
        shift=shift,
        signup=signup,
        checked_in_at=checked_in_at,
        checked_out_at=checked_out_at,
        minutes_in_shift=minutes_in_window(checked_in_at, checked_out_at, shift.starts_at, shift.ends_at),
        required_minutes=required_minutes(shift),
        hours_entry=await hours_entry_of_signup(as_uuid(signup.id)),
    )


# --- housekeeping ---------------------------------------------------------------------------------


async def close_forgotten_checkouts(*, limit: int = 500) -> int:
    """Sign-ups checked in but never out on shifts that have ended: closed at the shift's end,
    flagged ``auto_checkout`` for the coordinator, hours pending as usual. Returns how many."""
    moment = clock.now()
    rows = (
        await ShiftSignup.select(ShiftSignup.id)
        .where(
            ShiftSignup.checked_in_at.is_not_null()
            & ShiftSignup.checked_out_at.is_null()
            & (ShiftSignup.status == SignupStatus.signed_up.value)
            & (ShiftSignup.shift.ends_at <= moment)
        )
        .order_by(ShiftSignup.created_at)
        .limit(limit)
    )
    closed = 0
    for row in rows:
        try:
            closed += await _close_forgotten(as_uuid(row["id"]))
        except Exception:
            # One bad row must not hold the others back; the next round tries it again.
            log.exception("auto_checkout_failed", signup_id=str(row["id"]))
    return closed


async def _close_forgotten(signup_id: uuid.UUID) -> bool:
    signup = await ShiftSignup.objects().output(load_json=True).where(ShiftSignup.id == signup_id).first()
    if signup is None or signup.checked_out_at is not None:
        return False
    shift = await load_shift(signup.shift)
    async with transaction(ShiftSignup._meta.db):
        # The volunteer's row first, as their own check-out takes it: the two cannot deadlock.
        await lock_person(signup.user)
        return await _close(shift, signup, out_at=shift.ends_at, automatic=True)


async def mark_shift_no_shows() -> int:
    """Places on ended shifts that were never checked in become no-shows; returns how many."""
    ended = Shift.select(Shift.id).where(Shift.ends_at <= clock.now())
    changed = (
        await ShiftSignup.update({ShiftSignup.status: SignupStatus.no_show.value})
        .where(
            (ShiftSignup.status == SignupStatus.signed_up.value)
            & ShiftSignup.checked_in_at.is_null()
            & ShiftSignup.shift.is_in(ended)
        )
        .returning(ShiftSignup.id)
    )
    return len(changed)
