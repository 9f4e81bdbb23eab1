"""Expiry of old points, oldest first.

Spending uses the oldest points first (FIFO), so what expires now is whatever part of the awards
past their ``expires_at`` has not been used yet by spending (refunds netted) or earlier expiries:
``max(0, expired awards − spent − already expired)``, never more than the balance. One ``expiry``
entry per person and city day (``expire:<user>:<date>``) makes a rerun the same day harmless.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Sum
from piccolo.query.methods.select import Select

from backend.core import clock
from backend.core.db import transaction
from backend.core.i18n import CITY_TZ
from backend.core.values import as_uuid
from backend.inclusion.points import ledger
from backend.inclusion.points.tables import PointEntry, PointReason

BATCH = 500
_USES = [PointReason.redemption.value, PointReason.redemption_refund.value, PointReason.expiry.value]


def _expired(moment: datetime) -> Any:
    return (PointEntry.points > 0) & PointEntry.expires_at.is_not_null() & (PointEntry.expires_at <= moment)


def _used() -> Any:
    """Spending, refunds (which give spending back), expiries and anything else taken away."""
    return PointEntry.reason.is_in(_USES) | (PointEntry.points < 0)


def _totals_query(where: Any) -> Select[PointEntry]:
    return (
        PointEntry.select(PointEntry.user, Sum(PointEntry.points).as_alias("total"))
        .where(where)
        .group_by(PointEntry.user)
    )


async def _totals(where: Any) -> dict[uuid.UUID, int]:
    rows = await _totals_query(where)
    return {as_uuid(row["user"]): int(row["total"] or 0) for row in rows}


def due_queries(user_id: uuid.UUID, moment: datetime) -> tuple[Select[PointEntry], Select[PointEntry]]:
    """A person's expired awards and what they used, summed from their index entries alone
    (points, reason and expires_at are in it: migration 2026-12-05T23:50)."""
    mine = PointEntry.user == user_id
    return _totals_query(mine & _expired(moment)), _totals_query(mine & _used())


async def unexpired_due(user_id: uuid.UUID, moment: datetime) -> int:
    """Points of this person's awards expiring by ``moment`` that are still unused (FIFO)."""
    expired, spent = due_queries(user_id, moment)
    due = sum(int(row["total"] or 0) for row in await expired)
    used = -sum(int(row["total"] or 0) for row in await spent)
    return max(0, min(due - used, await ledger.balance(user_id)))


async def _expire_person(user_id: uuid.UUID, now: datetime) -> int:
    async with transaction(PointEntry._meta.db):
        await ledger.hold_person(user_id)
        points = await unexpired_due(user_id, now)
        if points <= 0:
            return 0
        day = now.astimezone(CITY_TZ).date()
        written = await ledger.append(
            user_id=user_id,
            points=-points,
            reason=PointReason.expiry,
            source_key=f"expire:{user_id}:{day.isoformat()}",
            earned_on=day,
        )
        return points if written else 0


async def expire_points(*, now: datetime | None = None) -> int:
    """Write today's expiry entry for everyone with expired, unused points; returns the points expired."""
    moment = now or clock.now()
    due = await _totals(_expired(moment))
    people = list(due)
    expired = 0
    for start in range(0, len(people), BATCH):
        batch = people[start : start + BATCH]
        used = await _totals(PointEntry.user.is_in(batch) & _used())
        for user_id in batch:
            if due[user_id] + used.get(user_id, 0) > 0:  # used sums are negative
                expired += await _expire_person(user_id, moment)
    return expired
