"""Shifts, the places volunteers take on them, and the checkpoint scans of their patrols."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, UUID, Boolean, DoublePrecision, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from backend.volunteers.teams.tables import Checkpoint, Route, Team


class SignupStatus(str, Enum):
    signed_up = "signed_up"
    cancelled = "cancelled"
    attended = "attended"  # checked out (by the volunteer, or closed at the shift's end)
    no_show = "no_show"


class ShiftStatus(str, Enum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class Shift(Table, tablename="volunteer_shift"):
    id = UUID(primary_key=True)
    team = ForeignKey(Team, null=False)
    route = ForeignKey(Route, null=True, default=None)
    title = JSON(default={}, help_text="{locale: title}")
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    capacity = Integer()
    seats_taken = Integer(default=0)
    min_attendance_percent = Integer(default=60, help_text="share of the shift a volunteer must be there for hours")
    latitude = DoublePrecision(null=True, default=None, help_text="where to meet, if not the route")
    longitude = DoublePrecision(null=True, default=None)
    check_in_radius_m = Integer(
        null=True, default=None, help_text="check-in must be this close to the route or meeting point"
    )
    status = Varchar(length=16, choices=ShiftStatus, default=ShiftStatus.scheduled.value)
    # Optionally narrower than its team (issue 19): residents of given estates, an alliance's
    # estates or a grid's; sign-up checks where one lives (``places.api.aim_of``).
    aim = Varchar(length=16, default="everyone")
    aim_estates = JSON(default=[], help_text="estate ids, with aim = estates")
    aim_alliance = ForeignKey(
        LazyTableReference("Alliance", module_path="backend.places.tables"), null=True, default=None
    )
    aim_grid = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"), null=True, default=None
    )
    created_by = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=True, default=None)
    created_at = Timestamptz()


class ShiftSignup(Table, tablename="volunteer_signup"):
    """A volunteer's place on a shift and their attendance. Location is checked, never stored."""

    id = UUID(primary_key=True)
    shift = ForeignKey(Shift, null=False)
    user = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False)
    status = Varchar(length=16, choices=SignupStatus, default=SignupStatus.signed_up.value)
    idempotency_key = Varchar(length=128, null=True, default=None)
    created_at = Timestamptz()
    cancelled_at = Timestamptz(null=True, default=None)
    checked_in_at = Timestamptz(null=True, default=None)
    checked_out_at = Timestamptz(null=True, default=None)
    closed_automatically = Boolean(default=False, help_text="no check-out: closed at the shift's end")
    flags = JSON(default=[], help_text="what the coordinator should look at: auto_checkout, missed_checkpoints, …")


class CheckpointScan(Table, tablename="volunteer_checkpoint_scan"):
    """(signup, checkpoint) is unique: a plate scanned twice is one scan."""

    id = UUID(primary_key=True)
    signup = ForeignKey(ShiftSignup, null=False)
    checkpoint = ForeignKey(Checkpoint, null=False)
    scanned_at = Timestamptz()
