"""Volunteers: profiles, teams, patrol routes, shifts and attendance, the hours ledger, incidents."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class TeamKind(str, Enum):
    patrol = "patrol"  # 巡逻
    red_armband = "red_armband"  # 红袖标
    neighbourhood_watch = "neighbourhood_watch"  # 邻里守望
    library_helper = "library_helper"
    event_helper = "event_helper"
    other = "other"


class JoinMode(str, Enum):
    open = "open"
    approval = "approval"


class MemberRole(str, Enum):
    member = "member"
    coordinator = "coordinator"


class MemberStatus(str, Enum):
    pending = "pending"  # asked to join a team that approves its members
    active = "active"
    rejected = "rejected"
    left = "left"


class IdDocument(str, Enum):
    resident_id = "resident_id"  # 居民身份证
    passport = "passport"
    hk_macao_permit = "hk_macao_permit"  # 港澳居民来往内地通行证 / 居住证
    taiwan_permit = "taiwan_permit"  # 台湾居民来往大陆通行证 / 居住证
    foreign_permanent_resident = "foreign_permanent_resident"  # 外国人永久居留身份证


class SignupStatus(str, Enum):
    signed_up = "signed_up"
    cancelled = "cancelled"
    attended = "attended"  # checked out (by the volunteer, or closed at the shift's end)
    no_show = "no_show"


class ShiftStatus(str, Enum):
    scheduled = "scheduled"
    cancelled = "cancelled"


class HoursKind(str, Enum):
    shift = "shift"  # from an attended shift
    manual = "manual"  # claimed or entered with a reason
    correction = "correction"  # a signed change to an earlier entry


class HoursStatus(str, Enum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"


class IncidentKind(str, Enum):
    illegal_construction = "illegal_construction"  # 违章搭建
    occupied_green_space = "occupied_green_space"  # 毁绿占绿
    group_renting = "group_renting"  # 群租
    safety_hazard = "safety_hazard"  # 安全隐患
    noise = "noise"  # 噪音扰民
    other = "other"


class ResponsibleParty(str, Enum):
    """居·物·业·警·民: who acts on an incident."""

    police = "police"
    city_management = "city_management"
    property_company = "property_company"
    owners_committee = "owners_committee"
    residents_committee = "residents_committee"


class IncidentStatus(str, Enum):
    reported = "reported"
    acknowledged = "acknowledged"
    forwarded = "forwarded"
    resolved = "resolved"


class Moderation(str, Enum):
    clear = "clear"
    held = "held"  # WeChat's text check said "review", or could not be asked: coordinators only


class VolunteerProfile(Table, tablename="volunteer_profile"):
    """A resident's opt-in to volunteering; identity only for the formal service record."""

    id = UUID(primary_key=True)
    user = ForeignKey("backend.accounts.tables.User", null=False, unique=True)
    real_name_sealed = Text(null=True, default=None, secret=True, help_text="AES-GCM sealed (core.crypto)")
    real_name_masked = Varchar(length=64, null=True, default=None, help_text="张*明: what staff views show")
    id_document = Varchar(length=32, null=True, default=None, choices=IdDocument)
    id_number_sealed = Text(null=True, default=None, secret=True, help_text="AES-GCM sealed (core.crypto)")
    id_number_masked = Varchar(length=32, null=True, default=None, help_text="3205**********1234")
    skills = JSON(default=[], help_text="free-text skills, e.g. first aid, sign language")
    languages = JSON(default=[], help_text="spoken languages, codes as events use them")
    consented_at = Timestamptz(help_text="when the volunteer agreed to the terms and the use of their data")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Team(Table, tablename="volunteer_team"):
    id = UUID(primary_key=True)
    community = ForeignKey(
        "backend.accounts.tables.Organisation", null=False, help_text="the community (or street) the team serves"
    )
    kind = Varchar(length=32, choices=TeamKind)
    name = JSON(default={}, help_text="{locale: name}")
    description = JSON(default={}, help_text="{locale: text}")
    join_mode = Varchar(length=16, choices=JoinMode, default=JoinMode.open.value)
    created_by = ForeignKey("backend.accounts.tables.User", null=True, default=None)
    created_at = Timestamptz()


class TeamMember(Table, tablename="volunteer_team_member"):
    """One person's place in a team; (team, user) is unique through an index in the migrations."""

    id = UUID(primary_key=True)
    team = ForeignKey(Team, null=False)
    user = ForeignKey("backend.accounts.tables.User", null=False)
    role = Varchar(length=16, choices=MemberRole, default=MemberRole.member.value)
    status = Varchar(length=16, choices=MemberStatus, default=MemberStatus.active.value)
    created_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None, help_text="approved, rejected or left")
    decided_by = ForeignKey("backend.accounts.tables.User", null=True, default=None)


class Route(Table, tablename="volunteer_route"):
    """A patrol route: checkpoints (巡更点) walked in order."""

    id = UUID(primary_key=True)
    team = ForeignKey(Team, null=False)
    name = JSON(default={}, help_text="{locale: name}")
    description = JSON(default={}, help_text="{locale: text}")
    created_at = Timestamptz()


class Checkpoint(Table, tablename="volunteer_checkpoint"):
    id = UUID(primary_key=True)
    route = ForeignKey(Route, null=False)
    position = Integer(help_text="1 for the first stop; (route, position) is unique")
    name = JSON(default={}, help_text="{locale: name}")
    latitude = DoublePrecision()
    longitude = DoublePrecision()
    code = Varchar(length=16, unique=True, help_text="printed on the plate at the spot, as a QR code")


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
    created_by = ForeignKey("backend.accounts.tables.User", null=True, default=None)
    created_at = Timestamptz()


class ShiftSignup(Table, tablename="volunteer_signup"):
    """A volunteer's place on a shift and their attendance. Location is checked, never stored."""

    id = UUID(primary_key=True)
    shift = ForeignKey(Shift, null=False)
    user = ForeignKey("backend.accounts.tables.User", null=False)
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


class HoursEntry(Table, tablename="volunteer_hours_entry"):
    """The hours ledger: rows are only added. A verified total is the sum of verified rows."""

    id = UUID(primary_key=True)
    user = ForeignKey("backend.accounts.tables.User", null=False)
    team = ForeignKey(Team, null=False)
    kind = Varchar(length=16, choices=HoursKind)
    minutes = Integer(help_text="negative only for a correction that takes hours away")
    service_date = Date(help_text="the day served, in city time")
    content = Text(default="", help_text="what was done, for the service record")
    reason = Text(default="", help_text="why a manual entry or correction was made")
    shift = ForeignKey(Shift, null=True, default=None)
    signup = ForeignKey(ShiftSignup, null=True, default=None)
    corrects = ForeignKey("self", null=True, default=None)
    source_key = Varchar(length=160, unique=True, help_text="one entry per source: shift:<signup>, manual:<key>, …")
    flags = JSON(default=[], help_text="copied from the attendance for the verifier")
    status = Varchar(length=16, choices=HoursStatus, default=HoursStatus.pending.value)
    created_by = ForeignKey("backend.accounts.tables.User", null=True, default=None)
    created_at = Timestamptz()
    decided_by = ForeignKey("backend.accounts.tables.User", null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_note = Text(default="")


class ServiceRecord(Table, tablename="volunteer_service_record"):
    """An issued service record: what it said, so its verification code can prove it later."""

    id = UUID(primary_key=True)
    user = ForeignKey("backend.accounts.tables.User", null=False)
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


class IncidentRouting(Table, tablename="volunteer_incident_routing"):
    """Which party acts on which kind of incident in a community; (community, kind) is unique."""

    id = UUID(primary_key=True)
    community = ForeignKey("backend.accounts.tables.Organisation", null=False)
    kind = Varchar(length=32, choices=IncidentKind)
    party = Varchar(length=32, choices=ResponsibleParty)
    organisation = ForeignKey(
        "backend.accounts.tables.Organisation",
        null=True,
        default=None,
        help_text="the party's organisation, whose staff then see its incidents",
    )


class Incident(Table, tablename="volunteer_incident"):
    id = UUID(primary_key=True)
    reporter = ForeignKey(
        "backend.accounts.tables.User",
        null=True,
        default=None,
        help_text="null once the reporter deleted their account",
    )
    community = ForeignKey("backend.accounts.tables.Organisation", null=False)
    team = ForeignKey(Team, null=True, default=None)
    shift = ForeignKey(Shift, null=True, default=None)
    kind = Varchar(length=32, choices=IncidentKind)
    text = Text()
    moderation = Varchar(length=16, choices=Moderation, default=Moderation.clear.value)
    photo = JSON(default={}, help_text="{rendition: media path}")
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    party = Varchar(length=32, choices=ResponsibleParty)
    party_organisation = ForeignKey("backend.accounts.tables.Organisation", null=True, default=None)
    status = Varchar(length=16, choices=IncidentStatus, default=IncidentStatus.reported.value, index=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class IncidentChange(Table, tablename="volunteer_incident_change"):
    """Every status change of an incident: who, when, and a note."""

    id = UUID(primary_key=True)
    incident = ForeignKey(Incident, null=False)
    status = Varchar(length=16, choices=IncidentStatus)
    actor = ForeignKey("backend.accounts.tables.User", null=True, default=None)
    actor_role = Varchar(length=32, default="", help_text="reporter, coordinator or responsible_party")
    note = Text(default="")
    party = Varchar(length=32, null=True, default=None, choices=ResponsibleParty)
    created_at = Timestamptz()
