"""The notifications domain's background jobs, declared in its manifest (the reminders round as a
chore, on its schedule).

- ``notifications.deliver`` (notice_id): one notice's WeChat message; keyed per notice.
- ``notifications.event_changed`` (digest_id): an event's merged change notice, at its due time;
  keyed per (event, due time).
- ``chore.reminders``: every 5 minutes, reminders, due change notices, lost deliveries.

Arguments are plain JSON (ids and times as strings), as the Redis queue stores them. Jobs get
the WeChat client and the settings from ``jobs.resource``: whoever runs them provides both.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from backend.core import jobs
from backend.notifications import delivery, digests, reminders

DELIVER = "notifications.deliver"
EVENT_CHANGED = digests.FLUSH_JOB
REMINDERS = "notifications.reminders"


def _moment(now: str | None) -> datetime | None:
    return datetime.fromisoformat(now) if now else None


async def deliver(notice_id: str, now: str | None = None) -> str:
    """Send one notice's subscribe message, if it may go."""
    return await delivery.deliver_notice(
        notice_id=uuid.UUID(notice_id),
        wechat=jobs.resource("wechat"),
        settings=jobs.resource("settings"),
        now=_moment(now),
    )


async def flush_event_changes(digest_id: str, now: str | None = None) -> int:
    """Tell an event's registrants what changed, once its digest is due."""
    return await digests.flush_digest(
        digest_id=uuid.UUID(digest_id), settings=jobs.resource("settings"), now=_moment(now)
    )


async def reminder_round(now: str | None = None) -> dict[str, Any]:
    """Reminders 24 h and 2 h before events, 2 h before shifts; due change notices; lost jobs."""
    return await reminders.run_round(settings=jobs.resource("settings"), now=_moment(now))


JOBS = (
    jobs.JobSpec(DELIVER, deliver, retries=5, backoff_seconds=10.0, timeout_seconds=60.0),
    jobs.JobSpec(EVENT_CHANGED, flush_event_changes, retries=5, backoff_seconds=10.0, timeout_seconds=300.0),
    jobs.JobSpec(REMINDERS, reminder_round, retries=3, backoff_seconds=30.0, timeout_seconds=600.0),
)
