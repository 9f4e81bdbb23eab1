"""Teams, their members and coordinators, and the patrol routes they walk."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, UUID, DoublePrecision, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
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


class Team(Table, tablename="volunteer_team"):
    id = UUID(primary_key=True)
    community = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"),
        null=False,
        help_text="the community (or street) the team serves",
    )
    kind = Varchar(length=32, choices=TeamKind)
    name = JSON(default={}, help_text="{locale: name}")
    description = JSON(default={}, help_text="{locale: text}")
    join_mode = Varchar(length=16, choices=JoinMode, default=JoinMode.open.value)
    # Aimed at places (issue 19): everyone, or residents of given estates, of an alliance's
    # estates or of what a grid covers (``places.api.aim_of``); joining checks where one lives.
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


class TeamMember(Table, tablename="volunteer_team_member"):
    """One person's place in a team; (team, user) is unique through an index in the migrations."""

    id = UUID(primary_key=True)
    team = ForeignKey(Team, null=False)
    user = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False)
    role = Varchar(length=16, choices=MemberRole, default=MemberRole.member.value)
    status = Varchar(length=16, choices=MemberStatus, default=MemberStatus.active.value)
    created_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None, help_text="approved, rejected or left")
    decided_by = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=True, default=None)


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
