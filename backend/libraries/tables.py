"""Library branches and e-reading rooms, their opening hours and live occupancy."""

from __future__ import annotations

from piccolo.columns import JSON, UUID, Boolean, Date, DoublePrecision, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class LibraryBranch(Table, tablename="library_branch"):
    """A branch (图书馆分馆) or public e-reading room (公共电子阅览室), tied to a venue."""

    id = UUID(primary_key=True)
    organisation = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"),
        null=False,
        help_text="the library organisation whose staff keep it",
    )
    venue = ForeignKey(LazyTableReference("Venue", module_path="backend.events.catalogue.tables"), null=False)
    name = JSON(default={}, help_text="{locale: name}")
    address = JSON(default={}, help_text="{locale: address}")
    district = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"), null=True, default=None
    )
    community = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"), null=True, default=None
    )
    latitude = DoublePrecision(help_text="GCJ-02, copied from the venue")
    longitude = DoublePrecision()
    contact_phone = Varchar(length=32, default="")
    services_mask = Integer(default=0, help_text="bits of SERVICES")
    e_reading_seats = Integer(default=0)
    weekly_hours = JSON(default={}, help_text='{"0": [["09:00", "17:00"]], ...}; Monday = 0')
    holiday_rules = JSON(default={}, help_text="{monday_closed_unless_holiday, public_holiday, makeup_workday}")
    free_seats = Integer(null=True, default=None, help_text="e-reading seats free, as staff last reported")
    free_seats_at = Timestamptz(null=True, default=None)
    free_seats_by = ForeignKey(
        LazyTableReference("User", module_path="backend.accounts.tables"), null=True, default=None
    )
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ReadingRoom(Table, tablename="library_room"):
    """A room of a branch (an e-reading room, a children's corner); without hours of its own it
    keeps the branch's."""

    id = UUID(primary_key=True)
    branch = ForeignKey(LibraryBranch, null=False, index=True)
    name = JSON(default={})
    seats = Integer(default=0)
    weekly_hours = JSON(null=True, default=None, help_text="null: the branch's hours")
    created_at = Timestamptz()


class HoursException(Table, tablename="library_hours_exception"):
    """A date that differs from the template: closed, or special hours, with a note."""

    id = UUID(primary_key=True)
    branch = ForeignKey(LibraryBranch, null=False, index=True)
    room = ForeignKey(ReadingRoom, null=True, default=None)
    day = Date()
    closed = Boolean(default=False)
    intervals = JSON(default=[], help_text='[["09:00", "12:00"]]')
    note = JSON(default={})
