"""Share links: the short codes behind share cards."""

from __future__ import annotations

from piccolo.columns import UUID, ForeignKey, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from backend.events.catalogue.tables import Event


class ShareLink(Table, tablename="event_share_link"):
    """A short opaque scene id for a share card's mini-program code (never personal data):
    it maps back to the event and, for "bring a neighbour", to who shared it."""

    id = UUID(primary_key=True)
    code = Varchar(length=16, unique=True, help_text="[0-9A-Za-z], fits WeChat's 32-character scene")
    event = ForeignKey(Event, null=False)
    sharer = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=True, default=None)
    created_at = Timestamptz()
