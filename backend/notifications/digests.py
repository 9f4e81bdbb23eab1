"""Event changes, debounced: several edits within 30 minutes make one notice per registrant.

The first change of an event opens a digest due 30 minutes later; changes before then merge
their fields into it. When it is due (its job, queued with run_at = the due time and keyed on
(event, due time), or the periodic sweep if that job was lost), it is closed and every resident
still registered then gets one notice with what changed and the event as it is now.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from backend.core import clock, jobs
from backend.core.db import UNIQUE_VIOLATIONS, lock_row, transaction
from backend.events.api import event_summary, registrants
from backend.notifications import inbox, sources
from backend.notifications.inbox import Posting
from backend.notifications.tables import EventChangeDigest, NoticeKind
from backend.settings import Settings

DELAY = timedelta(minutes=30)
FLUSH_JOB = "notifications.event_changed"
_ATTEMPTS = 3


def flush_key(event_id: uuid.UUID | str, due_at: datetime) -> str:
    return f"{FLUSH_JOB}:{event_id}:{int(due_at.timestamp())}"


async def note_event_change(*, event_id: uuid.UUID, changed: Sequence[str], signal_id: uuid.UUID, at: datetime) -> None:
    """Merge a change (the signal ``signal_id``, made ``at``) into the event's open digest,
    opening one if there is none, then make sure its flush is queued for the due time."""
    for _attempt in range(_ATTEMPTS):
        try:
            async with transaction(EventChangeDigest._meta.db):
                digest = await _merge(event_id, list(changed), str(signal_id), at)
            break
        except UNIQUE_VIOLATIONS:
            continue  # another change opened the digest at the same moment: merge into it
    else:
        raise RuntimeError(f"could not record the change of event {event_id}")
    if digest is not None:
        await jobs.enqueue(
            FLUSH_JOB, key=flush_key(event_id, digest["due_at"]), run_at=digest["due_at"], digest_id=str(digest["id"])
        )


async def _merge(event_id: uuid.UUID, changed: list[str], signal_id: str, at: datetime) -> dict[str, Any] | None:
    if await _already_told(event_id, signal_id, at):
        return None  # a replayed signal whose change was already told about
    current = (
        await EventChangeDigest.select(EventChangeDigest.id)
        .where((EventChangeDigest.event == event_id) & EventChangeDigest.flushed_at.is_null())
        .first()
    )
    if current is None:
        digest = EventChangeDigest(
            event=event_id,
            changed=sorted(set(changed)),
            signal_ids=[signal_id],
            opened_at=at,
            last_changed_at=at,
            due_at=at + DELAY,
        )
        await digest.save()
        return {"id": digest.id, "due_at": digest.due_at}
    await lock_row(EventChangeDigest._meta.db, EventChangeDigest._meta.tablename, current["id"])
    row = await EventChangeDigest.select().where(EventChangeDigest.id == current["id"]).output(load_json=True).first()
    assert row is not None  # held by the lock above (digests are never deleted)
    if signal_id not in row["signal_ids"]:
        await EventChangeDigest.update(
            {
                EventChangeDigest.changed: sorted(set(row["changed"]) | set(changed)),
                EventChangeDigest.signal_ids: [*row["signal_ids"], signal_id],
                EventChangeDigest.last_changed_at: max(row["last_changed_at"], at),
            }
        ).where(EventChangeDigest.id == row["id"])
    return {"id": row["id"], "due_at": row["due_at"]}


async def _already_told(event_id: uuid.UUID, signal_id: str, at: datetime) -> bool:
    closed = (
        await EventChangeDigest.select(EventChangeDigest.signal_ids)
        .where(
            (EventChangeDigest.event == event_id)
            & EventChangeDigest.flushed_at.is_not_null()
            & (EventChangeDigest.opened_at <= at)
            & (EventChangeDigest.due_at >= at)
        )
        .output(load_json=True)
    )
    return any(signal_id in row["signal_ids"] for row in closed)


async def flush_digest(*, digest_id: uuid.UUID, settings: Settings, now: datetime | None = None) -> int:
    """If the digest is due, close it and notify the event's registrants; how many were told.
    Early (a runner that woke too soon) it does nothing: the due time or the sweep will come."""
    moment = now or clock.now()
    async with transaction(EventChangeDigest._meta.db):
        closed = (
            await EventChangeDigest.update({EventChangeDigest.flushed_at: moment})
            .where(
                (EventChangeDigest.id == digest_id)
                & EventChangeDigest.flushed_at.is_null()
                & (EventChangeDigest.due_at <= moment)
            )
            .returning(
                EventChangeDigest.event,
                EventChangeDigest.changed,
                EventChangeDigest.last_changed_at,
                EventChangeDigest.due_at,
            )
        )
        if not closed:
            return 0
        postings = await _postings(digest_id, closed[0])
        waiting = await inbox.write_notices(postings, settings=settings, now=moment)
    await inbox.queue_deliveries(waiting)
    return len(postings)


async def _postings(digest_id: uuid.UUID, digest: dict[str, Any]) -> list[Posting]:
    event = await event_summary(digest["event"])
    if event is None or not event.published:
        return []  # cancelled meanwhile: the cancellation notice says all there is to say
    params = sources.summary_params(event)
    changed = digest["changed"] if isinstance(digest["changed"], list) else json.loads(digest["changed"] or "[]")
    # Those who signed up after the last change saw the event as it is; they need no notice.
    people = await registrants(event.id, registered_by=digest["last_changed_at"])
    return [
        Posting(person, NoticeKind.event_changed, {**params, "changed": changed}, f"event_changed:{digest_id}")
        for person in people
    ]


async def due_digests(*, now: datetime) -> list[uuid.UUID]:
    rows = (
        await EventChangeDigest.select(EventChangeDigest.id)
        .where(EventChangeDigest.flushed_at.is_null() & (EventChangeDigest.due_at <= now))
        .limit(500)
    )
    return [row["id"] for row in rows]


async def drop_open_digest(event_id: uuid.UUID) -> None:
    """A cancelled event needs no change notice: its open digest is closed unsent."""
    await EventChangeDigest.update({EventChangeDigest.flushed_at: clock.now()}).where(
        (EventChangeDigest.event == event_id) & EventChangeDigest.flushed_at.is_null()
    )
