"""Core's tables: the signal outbox every domain writes to inside its own transaction."""

from __future__ import annotations

from piccolo.columns import JSON, UUID, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class OutboxSignal(Table, tablename="core_outbox_signal"):
    """A signal a domain announced, stored with the change it announces and delivered after commit."""

    id = UUID(primary_key=True, help_text="the listeners' idempotency key")
    name = Varchar(length=64, index=True, help_text='"<domain>.<past_tense>", e.g. events.registration_promoted')
    payload = JSON(default={}, help_text="plain JSON: ids as strings")
    created_at = Timestamptz()
    claimed_until = Timestamptz(
        null=True, default=None, help_text="delivery lease: while in the future, one dispatcher owns the signal"
    )
    attempts = Integer(default=0, help_text="delivery attempts claimed so far")
    delivered_at = Timestamptz(
        null=True,
        default=None,
        index=True,
        help_text="set once every listener has succeeded; NULL means the sweeper retries",
    )
    last_error = Text(null=True, default=None, help_text="the last listener failure, truncated")


class FailedJob(Table, tablename="core_failed_job"):
    """A background job that failed every attempt: kept for a person to look at, never dropped."""

    id = UUID(primary_key=True)
    name = Varchar(length=64, index=True, help_text="the job's registered name")
    key = Varchar(length=200, default="", help_text="the job's idempotency key")
    arguments = JSON(default={}, help_text="the keyword arguments it was enqueued with")
    attempts = Integer(default=0)
    error = Text(default="", help_text="the last error, truncated")
    failed_at = Timestamptz()
    queue = Varchar(length=16, default="", help_text="redis (SAQ) or process (in-process runner)")


class AuditEntry(Table, tablename="core_audit_entry"):
    """What staff changed, and what sensitive data someone read: who, as what, where, when, from
    which address. Rows are only ever added, and purged once older than the retention period."""

    id = UUID(primary_key=True)
    at = Timestamptz(index=True)
    actor = UUID(null=True, default=None, index=True, help_text="the account that acted; null for the system")
    actor_kind = Varchar(length=16, default="system", help_text="staff, resident or system")
    permission = Varchar(length=32, default="", help_text="the permission the action used, e.g. manage_events")
    organisation = UUID(null=True, default=None, index=True, help_text="the organisation in whose scope it happened")
    action = Varchar(length=64, index=True, help_text='"<domain>.<what was done>", e.g. events.event_published')
    object_type = Varchar(length=32, default="", help_text="what was acted on, e.g. event")
    object_id = Varchar(length=64, default="", index=True)
    changes = JSON(default={}, help_text="{field: [before, after]} of the fields that matter")
    address = Varchar(length=64, default="", help_text="the client's address")
    request_id = Varchar(length=64, default="")
