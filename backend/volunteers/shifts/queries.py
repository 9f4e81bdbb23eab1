"""Reading shifts, scoped to who is asking: shifts are public (they recruit), each with the caller's
own place; who took a place, and how they attended, is for the team's coordinators only."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from backend.core import clock
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_
from backend.core.values import as_uuid
from backend.places.api import AimNames, aim_of, names_for
from backend.volunteers.hours.queries import shift_hours_entries
from backend.volunteers.shifts.tables import CheckpointScan, Shift, ShiftSignup, SignupStatus
from backend.volunteers.teams.guards import require_coordinator
from backend.volunteers.teams.tables import Checkpoint, Route, Team


async def load_shift(shift_id: uuid.UUID) -> Shift:
    shift = await Shift.objects().output(load_json=True).where(Shift.id == shift_id).first()
    if shift is None:
        raise NotFound("shift_not_found", N_("This shift does not exist."))
    return shift


async def list_shifts(
    *,
    viewer_id: uuid.UUID | None,
    team_id: uuid.UUID | None = None,
    starts_from: datetime | None = None,
    starts_to: datetime | None = None,
    mine: bool = False,
    limit: int = 50,
) -> list[Shift]:
    """Shifts by start time; without ``starts_from``, those not over yet. ``mine``: the caller's
    places, which only the list of someone logged in has."""
    if mine and viewer_id is None:
        raise DomainError("not_authenticated", N_("Please log in first."), status=401)
    query = Shift.objects().output(load_json=True)
    if team_id is not None:
        query = query.where(Shift.team == team_id)
    if starts_from is not None:
        query = query.where(Shift.starts_at >= starts_from.astimezone(UTC))
    else:
        query = query.where(Shift.ends_at > clock.now())
    if starts_to is not None:
        query = query.where(Shift.starts_at < starts_to.astimezone(UTC))
    if mine:
        own = ShiftSignup.select(ShiftSignup.shift).where(
            (ShiftSignup.user == viewer_id) & (ShiftSignup.status != SignupStatus.cancelled.value)
        )
        query = query.where(Shift.id.is_in(own))
    return await query.order_by(Shift.starts_at).order_by(Shift.id).limit(limit)


# --- a shift as the caller sees it ----------------------------------------------------------------


@dataclass(frozen=True)
class ShiftView:
    """A shift with its team's and route's names ({locale: text}), the route's checkpoint count and
    the caller's own place on it (a row of ``ShiftSignup``, or None)."""

    shift: Shift
    team_name: dict[str, str] | None
    route_name: dict[str, str] | None
    checkpoint_count: int
    my_signup: dict[str, Any] | None
    aim_names: AimNames | None = None  # the names of the places the shift is aimed at


async def shift_views(shifts: Sequence[Shift], *, viewer_id: uuid.UUID | None) -> list[ShiftView]:
    """Names, stops and the caller's places for a page of shifts, in at most four queries."""
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
    mine = await _my_signups(viewer_id, [s.id for s in shifts]) if viewer_id else {}
    views = []
    places = await names_for(aim_of(shift.to_dict()) for shift in shifts)
    for shift in shifts:
        route_id = as_uuid(shift.route) if shift.route else None
        views.append(
            ShiftView(
                shift=shift,
                team_name=teams.get(as_uuid(shift.team)),
                route_name=routes.get(route_id) if route_id else None,
                checkpoint_count=stops[route_id] if route_id else 0,
                my_signup=mine.get(as_uuid(shift.id)),
                aim_names=places,
            )
        )
    return views


async def shift_view(shift: Shift, *, viewer_id: uuid.UUID | None) -> ShiftView:
    return (await shift_views([shift], viewer_id=viewer_id))[0]


async def _my_signups(user_id: uuid.UUID, shift_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    rows = (
        await ShiftSignup.select(
            ShiftSignup.id, ShiftSignup.shift, ShiftSignup.status, ShiftSignup.checked_in_at, ShiftSignup.checked_out_at
        )
        .where((ShiftSignup.user == user_id) & ShiftSignup.shift.is_in(shift_ids))
        .order_by(ShiftSignup.created_at)
    )
    mine: dict[uuid.UUID, dict[str, Any]] = {}
    for row in rows:
        shift_id = as_uuid(row["shift"])
        # The live place wins over an earlier cancelled one; else the latest one.
        if (
            shift_id in mine
            and mine[shift_id]["status"] != SignupStatus.cancelled.value
            and row["status"] == SignupStatus.cancelled.value
        ):
            continue
        mine[shift_id] = row
    return mine


# --- the coordinator's sheet ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """Who took a place on a shift and how they attended: the sign-up rows (with the volunteer's
    display name and phone), their checkpoint scans and their hours entries, by sign-up."""

    shift: ShiftView
    signups: list[dict[str, Any]]
    scans: dict[uuid.UUID, list[dict[str, Any]]]
    entries: dict[uuid.UUID, dict[str, Any]]


async def attendance_sheet(*, user_id: uuid.UUID, shift_id: uuid.UUID) -> Sheet:
    """For the team's coordinators only."""
    shift = await load_shift(shift_id)
    await require_coordinator(user_id=user_id, team_id=shift.team)
    signups = (
        await ShiftSignup.select(
            ShiftSignup.id,
            ShiftSignup.status,
            ShiftSignup.created_at,
            ShiftSignup.checked_in_at,
            ShiftSignup.checked_out_at,
            ShiftSignup.closed_automatically,
            ShiftSignup.flags,
            ShiftSignup.user.display_name,
            ShiftSignup.user.phone,
        )
        .where(ShiftSignup.shift == shift.id)
        .order_by(ShiftSignup.created_at)
        .output(load_json=True)
    )
    scans: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for scan in (
        await CheckpointScan.select(
            CheckpointScan.signup,
            CheckpointScan.scanned_at,
            CheckpointScan.checkpoint.position,
            CheckpointScan.checkpoint.name,
        )
        .where(CheckpointScan.signup.shift == shift.id)
        .order_by(CheckpointScan.scanned_at)
        .output(load_json=True)
    ):
        scans.setdefault(as_uuid(scan["signup"]), []).append(scan)
    entries = {as_uuid(entry["signup"]): entry for entry in await shift_hours_entries(shift_id=shift.id)}
    return Sheet(await shift_view(shift, viewer_id=user_id), signups, scans, entries)
