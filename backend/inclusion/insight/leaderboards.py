"""Leaderboards by community and month, of residents who chose to appear on them.

Only people whose profile says ``leaderboard_opt_in`` are counted at all, so nobody else shows up
and nobody else's total shapes a rank: ranks are among opted-in people only. Points count what
was earned (positive entries of the earning reasons) in the community during the month in city
time; volunteer hours count verified entries of the community's teams served that month.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from piccolo.query.functions.aggregate import Sum

from backend.accounts.api import organisation, people
from backend.core import clock
from backend.core.errors import DomainError, NotFound
from backend.core.i18n import CITY_TZ, N_
from backend.core.values import as_uuid, hours_of
from backend.inclusion.insight.schemas import LeaderboardKind
from backend.inclusion.points.tables import PointEntry, PointReason
from backend.inclusion.profiles.tables import ResidentProfile
from backend.volunteers.api import verified_minutes_by_volunteer

MAX_LIMIT = 50
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# What was earned by taking part; spending, refunds, expiry and staff corrections are not.
EARNED = [
    reason.value
    for reason in PointReason
    if reason not in (PointReason.redemption, PointReason.redemption_refund, PointReason.expiry, PointReason.adjustment)
]


@dataclass(frozen=True)
class Place:
    """A row of a board: ``display_name`` is None when the account has none to show."""

    rank: int
    display_name: str | None
    value: float


@dataclass(frozen=True)
class MyPlace:
    """The caller's own place; ``rank`` is None while nothing of theirs counts this month."""

    rank: int | None
    value: float


@dataclass(frozen=True)
class Leaderboard:
    kind: LeaderboardKind
    community_id: uuid.UUID
    month: str  # YYYY-MM
    places: list[Place]
    me: MyPlace | None  # only for a caller who opted in


def month_span(month: str | None) -> tuple[str, date, date]:
    """(YYYY-MM, its first day, the next month's first day); this month in city time by default."""
    if month is None:
        today = clock.city_today()
        year, number = today.year, today.month
    else:
        match = _MONTH.match(month)
        if match is None or not 2000 <= int(match.group(1)) <= 2100:
            raise DomainError("month_invalid", N_("Give the month as YYYY-MM, for example 2026-11."), status=422)
        year, number = int(match.group(1)), int(match.group(2))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return f"{year:04d}-{number:02d}", first, following


def _city_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CITY_TZ).astimezone(UTC)


def _opted_in() -> Any:
    return ResidentProfile.select(ResidentProfile.user).where(ResidentProfile.leaderboard_opt_in.eq(True))


async def _points(community_id: uuid.UUID, first: date, following: date) -> dict[uuid.UUID, float]:
    rows = (
        await PointEntry.select(PointEntry.user.as_alias("user_id"), Sum(PointEntry.points).as_alias("total"))
        .where(
            (PointEntry.community == community_id)
            & (PointEntry.created_at >= _city_midnight(first))
            & (PointEntry.created_at < _city_midnight(following))
            & (PointEntry.points > 0)
            & PointEntry.reason.is_in(EARNED)
            & PointEntry.user.deleted_at.is_null()
            & PointEntry.user.is_in(_opted_in())
        )
        .group_by(PointEntry.user)
    )
    return {as_uuid(row["user_id"]): int(row["total"] or 0) for row in rows}


async def _hours(community_id: uuid.UUID, first: date, following: date) -> dict[uuid.UUID, float]:
    minutes = await verified_minutes_by_volunteer(community_id=community_id, first=first, following=following)
    if not minutes:
        return {}
    rows = await ResidentProfile.select(ResidentProfile.user).where(
        ResidentProfile.leaderboard_opt_in.eq(True) & ResidentProfile.user.is_in(list(minutes))
    )
    opted = {as_uuid(row["user"]) for row in rows}
    return {user: hours_of(total) for user, total in minutes.items() if user in opted}


def ranked(totals: Mapping[uuid.UUID, float], names: Mapping[uuid.UUID, str]) -> list[tuple[int, uuid.UUID, float]]:
    """Highest first; equal values share a rank and the next rank skips (1, 2, 2, 4)."""
    ordered = sorted(
        ((value, user) for user, value in totals.items() if value > 0),
        key=lambda p: (-p[0], names.get(p[1], ""), str(p[1])),
    )
    places: list[tuple[int, uuid.UUID, float]] = []
    for position, (value, user) in enumerate(ordered, start=1):
        rank = places[-1][0] if places and places[-1][2] == value else position
        places.append((rank, user, value))
    return places


async def _names(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not user_ids:
        return {}
    return {found.id: found.display_name for found in (await people(user_ids)).values()}


async def _opted(user_id: uuid.UUID | None) -> bool:
    if user_id is None:
        return False
    return await ResidentProfile.exists().where(
        (ResidentProfile.user == user_id) & ResidentProfile.leaderboard_opt_in.eq(True)
    )


async def leaderboard(
    *, kind: LeaderboardKind, community_id: uuid.UUID, month: str | None, limit: int, user_id: uuid.UUID | None
) -> Leaderboard:
    """The month's board of one community, opted-in residents only; ``me`` for an opted-in caller."""
    label, first, following = month_span(month)
    if await organisation(community_id) is None:
        raise NotFound("organisation_not_found", N_("This organisation does not exist."))
    totals = await (_points if kind == "points" else _hours)(community_id, first, following)
    names = await _names(list(totals))
    places = ranked(totals, names)
    shown = [
        Place(rank=rank, display_name=names.get(user), value=value)
        for rank, user, value in places[: min(limit, MAX_LIMIT)]
    ]
    me = None
    if await _opted(user_id):
        mine = next(((rank, value) for rank, user, value in places if user == user_id), None)
        me = MyPlace(rank=mine[0], value=mine[1]) if mine else MyPlace(rank=None, value=0)
    return Leaderboard(kind=kind, community_id=community_id, month=label, places=shown, me=me)
