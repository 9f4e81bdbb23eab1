"""The points ledger's two primitives: a balance is a sum, and an entry is only ever added.

Everything that changes points (awards, redemptions, refunds, expiry) goes through ``append``
inside a transaction that holds the person's row (``hold_person``), so two changes for one
resident happen one after the other and a check of the balance cannot be overtaken.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from piccolo.query.functions.aggregate import Sum
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString

from backend.accounts.api import lock_person
from backend.core import clock
from backend.inclusion.points.tables import PointEntry, PointReason


async def hold_person(user_id: uuid.UUID) -> None:
    """Inside a transaction: serialise every points change of this person (a row lock on
    PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises all writers)."""
    await lock_person(user_id)


def balance_query(user_id: uuid.UUID) -> Select[PointEntry]:
    """A balance is a sum, read from the person's index entries alone (migration 2026-12-05T23:50)."""
    return PointEntry.select(Sum(PointEntry.points).as_alias("total")).where(PointEntry.user == user_id)


async def balance(user_id: uuid.UUID) -> int:
    row = await balance_query(user_id).first()
    return int((row or {}).get("total") or 0)


def balance_subquery(user_id: uuid.UUID) -> QueryString:
    """``balance`` as a scalar subquery, for a hot path that checks it inside its UPDATE."""
    return QueryString('(SELECT COALESCE(SUM(points), 0) FROM inclusion_point_entry WHERE "user" = {})', user_id)


def entry(
    *,
    user_id: uuid.UUID,
    points: int,
    reason: PointReason,
    source_key: str,
    community_id: uuid.UUID | None = None,
    reason_params: Mapping[str, Any] | None = None,
    activity_key: str = "",
    earned_on: date | None = None,
    expires_at: datetime | None = None,
) -> PointEntry:
    """A new entry, as ``append`` writes it; a hot path writes it together with its own row (a
    fresh ``source_key`` needs no check)."""
    return PointEntry(
        user=user_id,
        community=community_id,
        points=points,
        reason=reason.value,
        reason_params=dict(reason_params or {}),
        source_key=source_key,
        activity_key=activity_key,
        earned_on=earned_on or clock.city_today(),
        expires_at=expires_at,
        created_at=clock.now(),
    )


async def append(
    *,
    user_id: uuid.UUID,
    points: int,
    reason: PointReason,
    source_key: str,
    community_id: uuid.UUID | None = None,
    reason_params: Mapping[str, Any] | None = None,
    activity_key: str = "",
    earned_on: date | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Add one entry; False (and nothing written) when ``source_key`` was already used."""
    inserted = await PointEntry.insert(
        entry(
            user_id=user_id,
            points=points,
            reason=reason,
            source_key=source_key,
            community_id=community_id,
            reason_params=reason_params,
            activity_key=activity_key,
            earned_on=earned_on,
            expires_at=expires_at,
        )
    ).on_conflict(target=PointEntry.source_key, action="DO NOTHING")
    return bool(inserted)
