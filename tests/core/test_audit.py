"""The audit trail's own rules: a change is recorded in its transaction or not at all, an entry
says who, where and what changed, and old entries and delivered signals are purged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.core import audit, clock, signals
from backend.core.db import transaction
from backend.core.tables import AuditEntry, OutboxSignal

pytestmark = pytest.mark.usefixtures("client")


class Boom(Exception):
    pass


async def test_a_change_is_recorded_inside_its_transaction_and_rolls_back_with_it() -> None:
    with pytest.raises(RuntimeError, match="outside the transaction"):
        await audit.record("events.event_published", object_type="event", object_id=uuid.uuid4())
    organisation = uuid.uuid4()
    actor = audit.Actor(user_id=uuid.uuid4(), kind="staff", address="203.0.113.9", request_id="req-1")
    with audit.acting(actor):
        async with transaction(AuditEntry._meta.db):
            await audit.record(
                "events.event_changed",
                object_type="event",
                object_id="e-1",
                organisation_id=organisation,
                permission="manage_events",
                before={"capacity": 20, "title": "A"},
                after={"capacity": 30, "title": "A"},
            )
        with pytest.raises(Boom):
            async with transaction(AuditEntry._meta.db):
                await audit.record("events.event_cancelled", object_type="event", object_id="e-1")
                raise Boom
    [entry] = await AuditEntry.select().output(load_json=True)
    assert (entry["action"], entry["object_id"], entry["actor"], entry["actor_kind"]) == (
        "events.event_changed",
        "e-1",
        actor.user_id,
        "staff",
    )
    assert (entry["organisation"], entry["permission"], entry["address"], entry["request_id"]) == (
        organisation,
        "manage_events",
        "203.0.113.9",
        "req-1",
    )
    assert entry["changes"] == {"capacity": [20, 30]}  # only what changed


async def test_a_read_is_recorded_where_it_happens_and_work_without_a_request_is_the_systems() -> None:
    await audit.record("events.attendees_read", object_type="event", object_id="e-2", read=True)
    [entry] = await AuditEntry.select()
    assert (entry["actor"], entry["actor_kind"], entry["address"]) == (None, "system", "")


def test_differences_are_plain_and_short() -> None:
    moment = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    changed = audit.differences({"at": moment, "note": "x" * 500}, {"at": moment + timedelta(hours=1), "note": "y"})
    assert changed["at"] == ["2026-12-05T08:00:00Z", "2026-12-05T09:00:00Z"]
    assert len(changed["note"][0]) == audit.VALUE_LIMIT and changed["note"][1] == "y"


async def test_old_entries_and_delivered_signals_are_purged(app: Any) -> None:
    settings = app.state.runtime.settings
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=settings.audit_retention_days + 1), now - timedelta(days=1)
    for at in (old, recent):
        await AuditEntry.insert(AuditEntry(at=at, action="test.kept_or_not", object_type="x"))
    gone = now - timedelta(days=settings.outbox_retention_days + 1)
    await OutboxSignal.insert(
        OutboxSignal(id=uuid.uuid4(), name="test.delivered", payload="{}", created_at=gone, delivered_at=gone),
        OutboxSignal(id=uuid.uuid4(), name="test.pending", payload="{}", created_at=gone),
        OutboxSignal(id=uuid.uuid4(), name="test.fresh", payload="{}", created_at=recent, delivered_at=recent),
    )
    with clock.frozen(now):
        assert await audit.purge_expired() == 1
        assert await signals.purge_delivered() == 1
    assert [row["at"] for row in await AuditEntry.select(AuditEntry.at)] == [recent]
    assert sorted(row["name"] for row in await OutboxSignal.select(OutboxSignal.name)) == ["test.fresh", "test.pending"]
