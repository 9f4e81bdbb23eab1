"""The hours ledger and the service records issued from it."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, UUID, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from backend.volunteers.shifts.tables import Shift, ShiftSignup
from backend.volunteers.teams.tables import Team


class HoursKind(str, Enum):
    shift = "shift"  # from an attended shift
    manual = "manual"  # claimed or entered with a reason
    correction = "correction"  # a signed change to an earlier entry


class HoursStatus(str, Enum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"
    withdrawn = "withdrawn"  # still pending when the volunteer deleted their account: never to be decided


class HoursEntry(Table, tablename="volunteer_hours_entry"):
    """The hours ledger: rows are only added. A verified total is the sum of verified rows."""

    id = UUID(primary_key=True)
    user = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False)
    team = ForeignKey(Team, null=False)
    kind = Varchar(length=16, choices=HoursKind)
    minutes = Integer(help_text="negative only for a correction that takes hours away")
    service_date = Date(help_text="the day served, in city time")
    content = Text(default="", help_text="what was done, for the service record")
    title = JSON(
        default={}, help_text="{locale: text}: the shift's title as it was written, shown in the reader's language"
    )
    reason = Text(default="", help_text="why a manual entry or correction was made")
    shift = ForeignKey(Shift, null=True, default=None)
    signup = ForeignKey(ShiftSignup, null=True, default=None)
    corrects = ForeignKey("self", null=True, default=None)
    source_key = Varchar(length=160, unique=True, help_text="one entry per source: shift:<signup>, manual:<key>, …")
    flags = JSON(default=[], help_text="copied from the attendance for the verifier")
    status = Varchar(length=16, choices=HoursStatus, default=HoursStatus.pending.value)
    created_by = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=True, default=None)
    created_at = Timestamptz()
    decided_by = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_note = Text(default="")


class ServiceRecord(Table, tablename="volunteer_service_record"):
    """An issued service record: what it said, so its verification code can prove it later."""

    id = UUID(primary_key=True)
    user = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False)
    record_number = Varchar(length=32, unique=True)
    code = Varchar(length=32, unique=True, help_text="verification code printed on the record")
    issued_at = Timestamptz()
    period_start = Date(null=True, default=None)
    period_end = Date(null=True, default=None)
    total_minutes = Integer()
    entry_count = Integer()
    holder_masked = Varchar(length=64, default="")
    summary = JSON(default={}, help_text="teams, organisations and content as printed")
    fingerprint = Varchar(length=64, index=True, help_text="hash of the entries it covers: same entries, same record")
