"""Chores every instance runs on a timer (and ``linli housekeeping`` runs once): each is
idempotent and safe to run on several instances at once, so no instance has to be "the" one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from backend.events.checkins import mark_no_shows
from backend.inclusion.points_expiry import expire_points
from backend.volunteers.attendance import close_forgotten_checkouts, mark_shift_no_shows

log = structlog.get_logger("linli.housekeeping")

CHORES: dict[str, Callable[[], Awaitable[int]]] = {
    "event_no_shows": mark_no_shows,
    "forgotten_check_outs": close_forgotten_checkouts,
    "shift_no_shows": mark_shift_no_shows,
    "expired_points": expire_points,
}


async def run_chores() -> dict[str, int]:
    """Each chore once; one that fails is logged and the others still run. {chore: rows changed}."""
    done = {}
    for name, chore in CHORES.items():
        try:
            done[name] = await chore()
        except Exception:  # the next round retries; one broken chore must not stop the rest
            log.exception("chore_failed", chore=name)
    return done
