"""Tables of governance meetings: the four meetings (四会) and the property management joint
meeting, each built on an event; its agenda, residents' submissions before it, who attended,
the minutes, decisions and follow-up actions after it, and each action's dated updates."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, UUID, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


def _organisation() -> LazyTableReference:
    return LazyTableReference("Organisation", module_path="backend.accounts.tables")


def _user() -> LazyTableReference:
    return LazyTableReference("User", module_path="backend.accounts.tables")


class MeetingKind(str, Enum):
    consultation = "consultation"  # 民情恳谈会
    hearing = "hearing"  # 民意听证会
    mediation = "mediation"  # 民事协调会
    evaluation = "evaluation"  # 民主评议会
    joint = "joint"  # 物业管理联席会议


class MeetingStatus(str, Enum):
    draft = "draft"  # its event is a draft: only the convenors see it
    open = "open"  # published: residents submit until it starts
    concluded = "concluded"  # minutes published, decisions and actions on the board


class AudienceKind(str, Enum):
    community = "community"
    estates = "estates"
    alliance = "alliance"
    grid = "grid"


class SubmissionStatus(str, Enum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"


class ActionStatus(str, Enum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    dropped = "dropped"


class Meeting(Table, tablename="governance_meeting"):
    """A meeting of residents and parties, held as an event (seats, tickets, the door, reminders)."""

    id = UUID(primary_key=True)
    community = ForeignKey(_organisation(), null=False, index=True, help_text="the convening community")
    event = ForeignKey(
        LazyTableReference("Event", module_path="backend.events.catalogue.tables"), null=False, unique=True
    )
    kind = Varchar(length=16, choices=MeetingKind)
    status = Varchar(length=16, choices=MeetingStatus, default=MeetingStatus.draft.value)
    question = JSON(default={}, help_text="{locale: text}: what the meeting is to settle")
    parties = JSON(default=[], help_text="ids of the organisations that must attend")
    audience_kind = Varchar(length=16, choices=AudienceKind)
    audience_ids = JSON(default=[], help_text="the estates, alliance or grid named (empty: the community)")
    estate_ids = JSON(default=[], help_text="the audience's estates, resolved when convened")
    convenor = ForeignKey(_user(), null=True, default=None)
    minutes = JSON(default={}, help_text="{locale: text}")
    minutes_published_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class AgendaItem(Table, tablename="governance_agenda_item"):
    id = UUID(primary_key=True)
    meeting = ForeignKey(Meeting, null=False, index=True)
    position = Integer()
    title = JSON(default={}, help_text="{locale: text}")
    description = JSON(default={}, help_text="{locale: text}")


class Submission(Table, tablename="governance_submission"):
    """A resident's opinion or question on an agenda item, moderated by the convenors; shown on
    the board once accepted, with the resident's name only if they chose to be named."""

    id = UUID(primary_key=True)
    meeting = ForeignKey(Meeting, null=False, index=True)
    item = ForeignKey(AgendaItem, null=False, index=True)
    user = ForeignKey(_user(), null=True, default=None, index=True, help_text="null once erased")
    text = Text(default="")
    named = Boolean(default=False, help_text="the resident chose to be named on the board")
    estate = UUID(null=True, default=None, help_text="the resident's estate when they wrote it (participation)")
    estate_kind = Varchar(length=16, default="")
    status = Varchar(length=16, choices=SubmissionStatus, default=SubmissionStatus.pending.value)
    reason = Text(default="", help_text="why the convenor declined it")
    decided_by = ForeignKey(_user(), null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class Attendance(Table, tablename="governance_attendance"):
    """Someone checked in at a meeting's door (heard from events' attendance signal)."""

    id = UUID(primary_key=True)
    meeting = ForeignKey(Meeting, null=False, index=True)
    user = ForeignKey(_user(), null=True, default=None, index=True)
    registration = UUID(unique=True)
    estate = UUID(null=True, default=None)
    estate_kind = Varchar(length=16, default="")
    at = Timestamptz()


class Decision(Table, tablename="governance_decision"):
    id = UUID(primary_key=True)
    meeting = ForeignKey(Meeting, null=False, index=True)
    item = ForeignKey(AgendaItem, null=True, default=None, help_text="the agenda item it settles, if one")
    position = Integer()
    text = JSON(default={}, help_text="{locale: text}")


class Action(Table, tablename="governance_action"):
    """A follow-up action of a decision, owned by one of the meeting's parties."""

    id = UUID(primary_key=True)
    decision = ForeignKey(Decision, null=False, index=True)
    meeting = ForeignKey(Meeting, null=False, index=True)
    owner = ForeignKey(_organisation(), null=False, index=True)
    title = JSON(default={}, help_text="{locale: text}")
    due_on = Date()
    status = Varchar(length=16, choices=ActionStatus, default=ActionStatus.planned.value)
    updated_at = Timestamptz()


class ActionUpdate(Table, tablename="governance_action_update"):
    """A dated step of an action: its status then, and a note (what was done)."""

    id = UUID(primary_key=True)
    action = ForeignKey(Action, null=False, index=True)
    status = Varchar(length=16, choices=ActionStatus)
    note = JSON(default={}, help_text="{locale: text}")
    by = ForeignKey(_user(), null=True, default=None)
    at = Timestamptz()


class ReportLink(Table, tablename="governance_report_link"):
    """A report (incident) an agenda item takes up: the report's answer then names the meeting and
    the actions its decisions set, so a resident sees what became of what they reported."""

    id = UUID(primary_key=True)
    item = ForeignKey(AgendaItem, null=False, index=True)
    incident = ForeignKey(
        LazyTableReference("Incident", module_path="backend.governance.incidents.tables"), null=False, index=True
    )
