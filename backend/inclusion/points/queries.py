"""The resident's own points: balance, what expires soon, and a page of entries, newest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from piccolo.query.methods.select import Select

from backend.core import clock
from backend.inclusion.points import ledger
from backend.inclusion.points.expiry import unexpired_due
from backend.inclusion.points.tables import PointEntry

EXPIRING_SOON = timedelta(days=30)
MAX_PAGE = 100


@dataclass(frozen=True)
class PointsPage:
    """A page of a person's ledger (entry rows: id, points, reason, reason_params, created_at,
    expires_at) with their balance and what of it expires within 30 days."""

    balance: int
    expiring_soon: int
    entries: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def page_query(user_id: uuid.UUID) -> Select[PointEntry]:
    """A person's entries, newest first: their ("user", created_at, id, …) index walked backwards,
    stopping at the page (migration 2026-12-05T23:50)."""
    return (
        PointEntry.select(
            PointEntry.id,
            PointEntry.points,
            PointEntry.reason,
            PointEntry.reason_params,
            PointEntry.created_at,
            PointEntry.expires_at,
        )
        .output(load_json=True)
        .where(PointEntry.user == user_id)
        .order_by(PointEntry.created_at, ascending=False)
        .order_by(PointEntry.id, ascending=False)
    )


async def my_points(*, user_id: uuid.UUID, limit: int = 20, offset: int = 0) -> PointsPage:
    """Balance, points expiring within 30 days, and a page of entries, newest first."""
    limit = max(1, min(limit, MAX_PAGE))
    rows = await page_query(user_id).limit(limit).offset(max(0, offset))
    return PointsPage(
        balance=await ledger.balance(user_id),
        expiring_soon=await unexpired_due(user_id, clock.now() + EXPIRING_SOON),
        entries=rows,
        total=await PointEntry.count().where(PointEntry.user == user_id),
        limit=limit,
        offset=max(0, offset),
    )
