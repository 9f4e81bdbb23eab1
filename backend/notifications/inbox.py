"""The inbox: every notice lands here first, whatever happens to its WeChat message.

A notice is keyed by (recipient, source key), so writing it again (a replayed signal, a re-run
job) writes nothing new. A kind with a template gets an outbound row in the same transaction,
``queued`` for its delivery job (or ``skipped_no_template`` when none is configured), so the
message is decided exactly once, and a job lost before it started can be found and queued again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.accounts.api import live_people
from backend.core import clock, jobs
from backend.core.db import transaction
from backend.core.errors import NotFound
from backend.core.i18n import N_
from backend.notifications.kinds import TEMPLATE_SETTINGS, template_for
from backend.notifications.tables import Notice, NoticeKind, OutboundMessage, OutboundStatus
from backend.settings import Settings

DELIVER_JOB = "notifications.deliver"


@dataclass(frozen=True)
class Posting:
    """A notice for one person: what happened, to whom, and what caused it (the key)."""

    recipient_id: uuid.UUID
    kind: NoticeKind
    params: Mapping[str, Any]
    source_key: str


def deliver_key(notice_id: uuid.UUID | str) -> str:
    return f"{DELIVER_JOB}:{notice_id}"


async def post_notices(postings: list[Posting], *, settings: Settings, now: datetime | None = None) -> list[uuid.UUID]:
    """Write the notices (those already there are left as they are) and queue their messages.
    Returns the notices whose message still waits for a delivery job."""
    if not postings:
        return []
    async with transaction(Notice._meta.db):
        waiting = await write_notices(postings, settings=settings, now=now or clock.now())
    await queue_deliveries(waiting)
    return waiting


async def write_notices(postings: list[Posting], *, settings: Settings, now: datetime) -> list[uuid.UUID]:
    """Inside the caller's transaction: the notices and their outbound rows; none for closed
    accounts. Returns the notices whose message waits for a delivery job."""
    living = await _living({posting.recipient_id for posting in postings})
    waiting = []
    for posting in postings:
        if posting.recipient_id not in living:
            continue
        notice_id = await _insert_notice(posting, now)
        if notice_id is None:
            notice_id = await _existing(posting)
        elif posting.kind in TEMPLATE_SETTINGS:
            await _insert_outbound(notice_id, posting, template_for(posting.kind, settings), now)
        if notice_id is not None and await _waits(notice_id):
            waiting.append(notice_id)
    return waiting


async def queue_deliveries(notice_ids: list[uuid.UUID]) -> None:
    """After commit: one delivery job per notice (a key already queued is not queued twice)."""
    for notice_id in notice_ids:
        await jobs.enqueue(DELIVER_JOB, key=deliver_key(notice_id), notice_id=str(notice_id))


async def existing_keys(postings: list[Posting]) -> set[tuple[uuid.UUID, str]]:
    """Which of these (recipient, source key) pairs already have their notice."""
    keys = sorted({posting.source_key[:200] for posting in postings})
    rows = await Notice.select(Notice.recipient, Notice.source_key).where(Notice.source_key.is_in(keys))
    return {(row["recipient"], row["source_key"]) for row in rows}


async def _living(user_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return await live_people(user_ids)


async def _insert_notice(posting: Posting, now: datetime) -> uuid.UUID | None:
    rows = (
        await Notice.insert(
            Notice(
                recipient=posting.recipient_id,
                kind=posting.kind.value,
                params=dict(posting.params),
                source_key=posting.source_key[:200],
                created_at=now,
            )
        )
        .on_conflict(target=(Notice.recipient, Notice.source_key), action="DO NOTHING")
        .returning(Notice.id)
    )
    return rows[0]["id"] if rows else None


async def _existing(posting: Posting) -> uuid.UUID | None:
    row = (
        await Notice.select(Notice.id)
        .where((Notice.recipient == posting.recipient_id) & (Notice.source_key == posting.source_key[:200]))
        .first()
    )
    return row["id"] if row else None


async def _insert_outbound(notice_id: uuid.UUID, posting: Posting, template_id: str, now: datetime) -> None:
    status = OutboundStatus.queued if template_id else OutboundStatus.skipped_no_template
    await OutboundMessage.insert(
        OutboundMessage(
            notice=notice_id,
            recipient=posting.recipient_id,
            kind=posting.kind.value,
            template_id=template_id,
            status=status.value,
            created_at=now,
            updated_at=now,
        )
    )


async def _waits(notice_id: uuid.UUID) -> bool:
    return await OutboundMessage.exists().where(
        (OutboundMessage.notice == notice_id) & (OutboundMessage.status == OutboundStatus.queued.value)
    )


# --- reading and marking ----------------------------------------------------------------------


async def list_notices(*, user_id: uuid.UUID, unread_only: bool, limit: int, offset: int) -> list[dict[str, Any]]:
    """The person's notices, newest first."""
    query = Notice.select(Notice.id, Notice.kind, Notice.params, Notice.created_at, Notice.read_at).where(
        Notice.recipient == user_id
    )
    if unread_only:
        query = query.where(Notice.read_at.is_null())
    return (
        await query.order_by(Notice.created_at, ascending=False)
        .order_by(Notice.id)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )


async def unread_count(*, user_id: uuid.UUID) -> int:
    return int(await Notice.count().where((Notice.recipient == user_id) & Notice.read_at.is_null()))


async def mark_read(*, user_id: uuid.UUID, notice_id: uuid.UUID) -> dict[str, Any]:
    """Mark one of the person's notices read (again is harmless); someone else's is not found."""
    await Notice.update({Notice.read_at: clock.now()}).where(
        (Notice.id == notice_id) & (Notice.recipient == user_id) & Notice.read_at.is_null()
    )
    row = (
        await Notice.select(Notice.id, Notice.kind, Notice.params, Notice.created_at, Notice.read_at)
        .where((Notice.id == notice_id) & (Notice.recipient == user_id))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("notification_not_found", N_("This notification does not exist."))
    return row


async def mark_all_read(*, user_id: uuid.UUID) -> int:
    """Every unread notice of the person read; how many were unread."""
    rows = (
        await Notice.update({Notice.read_at: clock.now()})
        .where((Notice.recipient == user_id) & Notice.read_at.is_null())
        .returning(Notice.id)
    )
    return len(rows)
