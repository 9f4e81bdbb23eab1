"""Calendar feeds: a resident's secret calendar address."""

from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class CalendarFeed(Table, tablename="event_calendar_feed"):
    """A resident's secret calendar URL; only the token's hash is stored, and it can be revoked."""

    id = UUID(primary_key=True)
    user = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
