"""Chores, as periodic background jobs (``linli worker``'s cron with Redis, the app's in-process
scheduler without); ``linli housekeeping`` runs them all once. Each is idempotent and safe to run
on several processes at once, so no process has to be "the" one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from backend.core import jobs
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

# UTC cron; a chore that fails is retried (then recorded) and comes round again at its next tick.
SCHEDULES = {
    "event_no_shows": "*/5 * * * *",
    "forgotten_check_outs": "*/5 * * * *",
    "shift_no_shows": "*/5 * * * *",
    "expired_points": "17 * * * *",  # one entry per person and city day: hourly is plenty
}


def job_name(chore: str) -> str:
    return f"chore.{chore}"


def register() -> None:
    """Each chore as a job on its schedule (done on import; again after a test replaced one)."""
    for chore, work in CHORES.items():
        jobs.job(job_name(chore), retries=3, backoff_seconds=30.0, timeout_seconds=600.0)(work)
        jobs.every(job_name(chore), cron=SCHEDULES[chore])


register()


async def run_chores() -> dict[str, int]:
    """Each chore once; one that fails is logged and the others still run. {chore: rows changed}."""
    done = {}
    for name, chore in CHORES.items():
        try:
            done[name] = await chore()
        except Exception:  # the next round retries; one broken chore must not stop the rest
            log.exception("chore_failed", chore=name)
    return done
