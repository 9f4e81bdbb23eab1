"""Notifications: the inbox, subscribe-message budgets, outbound messages, pending change notices."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, UUID, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class NoticeKind(str, Enum):
    registration_confirmed = "registration_confirmed"
    registration_waitlisted = "registration_waitlisted"
    registration_promoted = "registration_promoted"
    event_changed = "event_changed"
    event_cancelled = "event_cancelled"
    event_reminder = "event_reminder"
    shift_reminder = "shift_reminder"
    shift_cancelled = "shift_cancelled"
    hours_verified = "hours_verified"
    reward_ready = "reward_ready"
    incident_changed = "incident_changed"
    minutes_published = "minutes_published"
    action_changed = "action_changed"


class OutboundStatus(str, Enum):
    queued = "queued"  # waiting for its delivery job
    sending = "sending"  # a job holds it (until claimed_until)
    sent = "sent"
    skipped_no_template = "skipped_no_template"  # no template configured for the kind
    skipped_no_openid = "skipped_no_openid"  # not a WeChat user (development login, closed account)
    skipped_no_budget = "skipped_no_budget"  # no acceptance left (or kept for what matters more)
    skipped_stale = "skipped_stale"  # the event began before the message could go out
    failed = "failed"  # WeChat refused it (errcode says why); not retried


class Notice(Table, tablename="notification_notice"):
    """One inbox entry: what happened, stored as a kind and its parameters, rendered when read
    in the reader's language. (recipient, source_key) is unique (an index in the migrations),
    so a replayed signal or a re-run job writes nothing new."""

    id = UUID(primary_key=True)
    recipient = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False)
    kind = Varchar(length=32, choices=NoticeKind)
    params = JSON(default={}, help_text="ids, {locale: text} names, UTC times as ISO strings")
    source_key = Varchar(length=200, help_text="what caused it, e.g. registration_promoted:<registration id>")
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)


class OutboundMessage(Table, tablename="notification_outbound"):
    """The WeChat subscribe message of a notice: what was decided and what WeChat answered."""

    id = UUID(primary_key=True)
    notice = ForeignKey(Notice, null=False, unique=True)
    recipient = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False, index=True)
    kind = Varchar(length=32, choices=NoticeKind)
    template_id = Varchar(length=128, default="")
    status = Varchar(length=24, choices=OutboundStatus, index=True)
    attempts = Integer(default=0, help_text="delivery jobs that took it on")
    errcode = Integer(null=True, default=None, help_text="WeChat's errcode of the last refusal")
    errmsg = Varchar(length=255, default="")
    msgid = Varchar(length=64, default="")
    claimed_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


class SubscriptionBudget(Table, tablename="notification_subscription"):
    """Messages a resident allowed for one template: one per acceptance, spent one per message.
    (user, template_id) is unique (an index in the migrations)."""

    id = UUID(primary_key=True)
    user = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False)
    template_id = Varchar(length=128)
    remaining = Integer(default=0, help_text="never below zero: spent only by a conditional UPDATE")
    accepted_total = Integer(default=0)
    updated_at = Timestamptz()


class EventChangeDigest(Table, tablename="notification_event_change"):
    """Edits of one event within 30 minutes, merged into one notice sent when ``due_at`` comes.
    One open digest per event (a partial unique index in the migrations)."""

    id = UUID(primary_key=True)
    event = ForeignKey(LazyTableReference("Event", module_path="backend.events.catalogue.tables"), null=False)
    changed = JSON(default=[], help_text="fields changed: starts_at, ends_at, venue")
    signal_ids = JSON(default=[], help_text="the events.event_changed signals merged in")
    opened_at = Timestamptz()
    last_changed_at = Timestamptz()
    due_at = Timestamptz(index=True)
    flushed_at = Timestamptz(null=True, default=None)


TABLES: tuple[type[Table], ...] = (Notice, OutboundMessage, SubscriptionBudget, EventChangeDigest)
