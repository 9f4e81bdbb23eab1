"""The periodic round (every 5 minutes): reminders, due change notices, stranded deliveries.

Reminders go to confirmed registrations of published events that start 24 hours and 2 hours
from now, and to volunteers signed up for a shift 2 hours ahead. Each round looks back one
window (the cron period and some slack), so a late or skipped round still finds them; a round
that finds one twice writes nothing the second time (the notice's key is per registration and
lead time), so each reminder goes out once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from backend.core import clock, metrics
from backend.events.api import confirmed_starting
from backend.notifications import digests, inbox, sources
from backend.notifications.inbox import Posting
from backend.notifications.tables import NoticeKind, OutboundMessage, OutboundStatus
from backend.settings import Settings
from backend.volunteers.api import shift_places_starting

CRON = "*/5 * * * *"
WINDOW = timedelta(minutes=15)  # the 5-minute period, with room for a late or skipped round
EVENT_LEADS_HOURS = (24, 2)
SHIFT_LEAD = timedelta(hours=2)
# A message still queued and untouched this long has no job working on it: its job was lost with
# a process or with Redis, or spent all its attempts while WeChat was away. It is queued again
# while it may matter (a timed one that has begun is skipped at delivery, so it costs nothing).
STRANDED_AFTER = timedelta(minutes=10)
STRANDED_WITHIN = timedelta(days=2)


async def run_round(*, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """One round; what it did, by part."""
    moment = now or clock.now()
    done = {
        f"event_reminders_{hours}h": await event_reminders(settings=settings, now=moment, hours=hours)
        for hours in EVENT_LEADS_HOURS
    }
    done["shift_reminders"] = await shift_reminders(settings=settings, now=moment)
    done["change_notices"] = 0
    for digest_id in await digests.due_digests(now=moment):
        done["change_notices"] += await digests.flush_digest(digest_id=digest_id, settings=settings, now=moment)
    done["requeued"] = await requeue_stranded(now=moment)
    return done


async def event_reminders(*, settings: Settings, now: datetime, hours: int) -> int:
    """Reminders for events starting ``hours`` from now (within one window); how many were new."""
    lead = timedelta(hours=hours)
    places = await confirmed_starting(after=now + lead - WINDOW, until=now + lead)
    events: dict[uuid.UUID, dict[str, Any] | None] = {}
    postings = []
    for place in places:
        if place.event_id not in events:
            events[place.event_id] = await sources.event_params(place.event_id)
        params = events[place.event_id]
        if params is not None:
            extra = {"registration_id": str(place.registration_id), "hours": hours}
            key = f"event_reminder_{hours}h:{place.registration_id}"
            postings.append(Posting(place.user_id, NoticeKind.event_reminder, {**params, **extra}, key))
    return await _post_new(postings, settings, now)


async def shift_reminders(*, settings: Settings, now: datetime) -> int:
    places = await shift_places_starting(after=now + SHIFT_LEAD - WINDOW, until=now + SHIFT_LEAD)
    shifts: dict[uuid.UUID, dict[str, Any] | None] = {}
    postings = []
    for place in places:
        if place.shift_id not in shifts:
            shifts[place.shift_id] = await sources.shift_params(place.shift_id)
        params = shifts[place.shift_id]
        if params is not None:
            key = f"shift_reminder:{place.signup_id}"
            postings.append(
                Posting(place.user_id, NoticeKind.shift_reminder, {**params, "signup_id": str(place.signup_id)}, key)
            )
    return await _post_new(postings, settings, now)


async def _post_new(postings: list[Posting], settings: Settings, now: datetime) -> int:
    """Post the reminders; how many of them are new (a second round finds them all written)."""
    if not postings:
        return 0
    before = await inbox.existing_keys(postings)
    await inbox.post_notices(postings, settings=settings, now=now)
    return sum(1 for posting in postings if (posting.recipient_id, posting.source_key) not in before)


async def requeue_stranded(*, now: datetime) -> int:
    """Queue a delivery job again for every stranded message (see STRANDED_AFTER): never taken on,
    or given back by a job that ran out of attempts during an outage. While WeChat stays away
    each such job fails again and leaves the row untouched for another period, so a long outage
    costs one try per message every ten minutes, and the first round after WeChat returns
    sends them. How many were queued."""
    rows = (
        await OutboundMessage.select(OutboundMessage.notice)
        .where(
            (OutboundMessage.status == OutboundStatus.queued.value)
            & (OutboundMessage.updated_at < now - STRANDED_AFTER)
            & (OutboundMessage.created_at > now - STRANDED_WITHIN)
        )
        .limit(500)
    )
    await inbox.queue_deliveries([row["notice"] for row in rows])
    metrics.NOTICES_STRANDED.inc(len(rows))
    return len(rows)
