"""The resident's own points: balance, what expires soon, and every entry with a localised reason."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from babel.numbers import format_decimal

from backend.core import clock
from backend.core.i18n import N_, _, babel_locale, pick
from backend.core.values import as_uuid
from backend.inclusion.points import ledger
from backend.inclusion.points.expiry import unexpired_due
from backend.inclusion.points.schemas import PointEntryRead, PointsRead
from backend.inclusion.points.tables import PointEntry, PointReason
from backend.volunteers.api import hours_of

EXPIRING_SOON = timedelta(days=30)
MAX_PAGE = 100

# Each reason's sentence; {event} and {reward} are picked in the reader's locale.
REASON_TEXTS: Mapping[str, str] = {
    PointReason.attendance.value: N_("Attended: {event}"),
    PointReason.first_event.value: N_("Your first event: {event}"),
    PointReason.first_event_after_arrival.value: N_("Welcome to the neighbourhood: {event}"),
    PointReason.youth_bonus.value: N_("Youth bonus: {event}"),
    PointReason.brought_neighbour.value: N_("Brought a neighbour to: {event}"),
    PointReason.volunteer_hours.value: N_("Volunteer service: {hours} h"),
    PointReason.redemption.value: N_("Redeemed: {reward}"),
    PointReason.redemption_refund.value: N_("Refunded: {reward}"),
    PointReason.expiry.value: N_("Points expired"),
    PointReason.adjustment.value: N_("Adjusted by staff"),
}
HOURS_CORRECTED = N_("Volunteer hours corrected: {hours} h")


def _named(value: Any) -> str:
    """A title or name kept per locale ({locale: text}), or a plain string from older rows."""
    if isinstance(value, Mapping):
        return pick(value)[0]
    return str(value or "")


def reason_text(reason: str, params: Mapping[str, Any] | None) -> str:
    """The entry's reason as a sentence in the current locale."""
    params = params or {}
    template = REASON_TEXTS.get(reason)
    if template is None:
        return reason
    if reason == PointReason.volunteer_hours.value:
        minutes = int(params.get("minutes") or 0)
        hours = format_decimal(abs(hours_of(minutes)), format="#,##0.#", locale=babel_locale())
        return _(HOURS_CORRECTED if minutes < 0 else template).format(hours=hours)
    return _(template).format(event=_named(params.get("event")), reward=_named(params.get("reward")))


def entry_read(row: Mapping[str, Any]) -> PointEntryRead:
    return PointEntryRead(
        id=as_uuid(row["id"]),
        points=row["points"],
        reason=row["reason"],
        reason_text=reason_text(row["reason"], row["reason_params"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


async def my_points(*, user_id: uuid.UUID, limit: int = 20, offset: int = 0) -> PointsRead:
    """Balance, points expiring within 30 days, and a page of entries, newest first."""
    limit = max(1, min(limit, MAX_PAGE))
    rows = await (
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
        .limit(limit)
        .offset(max(0, offset))
    )
    return PointsRead(
        balance=await ledger.balance(user_id),
        expiring_soon=await unexpired_due(user_id, clock.now() + EXPIRING_SOON),
        entries=[entry_read(row) for row in rows],
        total=await PointEntry.count().where(PointEntry.user == user_id),
        limit=limit,
        offset=max(0, offset),
    )
