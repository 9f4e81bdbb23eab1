"""Request and response bodies of governance meetings, the public board included."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from backend.core.i18n import LocaleCode

MeetingKindCode = Annotated[
    Literal["consultation", "hearing", "mediation", "evaluation", "joint"],
    msgspec.Meta(
        description="consultation 民情恳谈会, hearing 民意听证会, mediation 民事协调会, evaluation 民主评议会, "
        "joint 物业管理联席会议",
        examples=["consultation"],
    ),
]
MeetingStatusCode = Literal["draft", "open", "concluded"]
AudienceKindCode = Literal["community", "estates", "alliance", "grid"]
SubmissionStatusCode = Literal["pending", "accepted", "declined"]
ActionStatusCode = Annotated[
    Literal["planned", "in_progress", "done", "dropped"], msgspec.Meta(examples=["in_progress"])
]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True, examples=["2026-12-19T19:00:00+08:00"])]
UtcDatetime = Annotated[datetime, msgspec.Meta(tz=True, description="UTC, ending in Z")]

_PER_LOCALE = "text per locale; readers get their locale, else zh-Hans, else en"
Title = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=120)]],
    msgspec.Meta(
        description=_PER_LOCALE, examples=[{"zh-Hans": "群租整治民情恳谈会", "en": "Group renting: a consultation"}]
    ),
]
Text = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=2000)]],
    msgspec.Meta(
        description=_PER_LOCALE,
        examples=[
            {"zh-Hans": "南园部分小区出现群租，如何整治？", "en": "Group renting in Nanyuan: what should be done?"}
        ],
    ),
]
Minutes = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=20000)]],
    msgspec.Meta(description=_PER_LOCALE, examples=[{"zh-Hans": "会议纪要：……", "en": "Minutes: …"}]),
]
Note = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=500)]],
    msgspec.Meta(description=_PER_LOCALE, examples=[{"zh-Hans": "已上门排查12户", "en": "12 flats visited"}]),
]


# --- convening ------------------------------------------------------------------------------------


class AgendaItemIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    description: Text = {}
    incident_ids: Annotated[
        list[uuid.UUID],
        msgspec.Meta(max_length=20, description="reports of this community the item takes up"),
    ] = []


class AudienceIn(msgspec.Struct, forbid_unknown_fields=True):
    """Who the meeting is for: the whole community, some of its estates, its alliance or a grid."""

    kind: AudienceKindCode = "community"
    ids: Annotated[
        list[uuid.UUID], msgspec.Meta(max_length=50, description="estate ids, or one alliance or grid id")
    ] = []


class MeetingCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A meeting and its event, convened by community staff (manage_events on the community)."""

    community_id: uuid.UUID
    kind: MeetingKindCode
    title: Title
    question: Text
    venue_id: uuid.UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: Annotated[int, msgspec.Meta(ge=1, le=10_000, examples=[60])]
    agenda: Annotated[list[AgendaItemIn], msgspec.Meta(min_length=1, max_length=20)]
    parties: Annotated[
        list[uuid.UUID],
        msgspec.Meta(max_length=10, description="organisations that must attend: street, police, property company…"),
    ] = []
    audience: AudienceIn = msgspec.field(default_factory=AudienceIn)


class OrganisationBrief(msgspec.Struct):
    id: uuid.UUID
    kind: str
    name: str


class PublicSubmission(msgspec.Struct):
    """An accepted submission as everyone sees it: named only if its author chose so."""

    id: uuid.UUID
    text: str
    author: str | None
    estate: str | None
    created_at: UtcDatetime


class AgendaItemRead(msgspec.Struct):
    id: uuid.UUID
    position: int
    title: str
    description: str
    submissions: list[PublicSubmission]


class ActionUpdateRead(msgspec.Struct):
    status: ActionStatusCode
    status_name: str
    note: str
    at: UtcDatetime


class ActionRead(msgspec.Struct):
    id: uuid.UUID
    owner: OrganisationBrief
    title: str
    due_on: date
    status: ActionStatusCode
    status_name: str
    overdue: bool
    updates: list[ActionUpdateRead]


class ActionToActOn(msgspec.Struct):
    """An open action of the caller's organisation, with the meeting that decided it."""

    meeting_id: uuid.UUID
    meeting: str
    action: ActionRead


class DecisionRead(msgspec.Struct):
    id: uuid.UUID
    item_id: uuid.UUID | None
    text: str
    actions: list[ActionRead]


class MeetingRead(msgspec.Struct):
    id: uuid.UUID
    community_id: uuid.UUID
    event_id: uuid.UUID
    kind: str
    kind_name: str
    status: MeetingStatusCode
    title: str
    question: str
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    when: str
    venue: str
    parties: list[OrganisationBrief]
    audience: AudienceKindCode
    estates: list[str]
    agenda: list[AgendaItemRead]
    minutes: str | None
    minutes_published_at: UtcDatetime | None
    decisions: list[DecisionRead]


class MeetingListItem(msgspec.Struct):
    id: uuid.UUID
    event_id: uuid.UUID
    kind: str
    kind_name: str
    status: MeetingStatusCode
    title: str
    starts_at: UtcDatetime


# --- submissions ----------------------------------------------------------------------------------


class SubmissionCreate(msgspec.Struct, forbid_unknown_fields=True):
    item_id: uuid.UUID
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=1000, examples=["建议联合派出所定期排查群租房"])]
    named: Annotated[bool, msgspec.Meta(description="show my display name on the board (default: not)")] = False


class SubmissionRead(msgspec.Struct):
    """A submission as its author and the convenors see it (authors masked for the convenors)."""

    id: uuid.UUID
    meeting_id: uuid.UUID
    item_id: uuid.UUID
    text: str
    named: bool
    author: str | None
    status: SubmissionStatusCode
    reason: str
    created_at: UtcDatetime
    decided_at: UtcDatetime | None


class SubmissionDecide(msgspec.Struct, forbid_unknown_fields=True):
    status: Literal["accepted", "declined"]
    reason: Annotated[str, msgspec.Meta(max_length=300, examples=["与本次议题无关"])] = ""


# --- after the meeting ----------------------------------------------------------------------------


class ActionIn(msgspec.Struct, forbid_unknown_fields=True):
    owner_id: Annotated[uuid.UUID, msgspec.Meta(description="one of the meeting's parties, or the community")]
    title: Title
    due_on: Annotated[date, msgspec.Meta(examples=["2027-01-31"])]


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Text
    item_id: uuid.UUID | None = None
    actions: Annotated[list[ActionIn], msgspec.Meta(max_length=20)] = []


class MinutesCreate(msgspec.Struct, forbid_unknown_fields=True):
    """The minutes, published once, with the decisions taken and their follow-up actions."""

    minutes: Minutes
    decisions: Annotated[list[DecisionIn], msgspec.Meta(max_length=30)] = []


class ActionUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    status: ActionStatusCode
    note: Note = {}


# --- the board ----------------------------------------------------------------------------------


class ParticipationCell(msgspec.Struct):
    group: str
    name: str
    people: int | None  # None: fewer than five, suppressed


class BoardMeeting(msgspec.Struct):
    id: uuid.UUID
    kind: str
    kind_name: str
    title: str
    question: str
    held_on: str
    starts_at: UtcDatetime
    parties: list[OrganisationBrief]
    said: int  # accepted submissions
    minutes: str
    decisions: list[DecisionRead]
    participation_by_estate_kind: list[ParticipationCell]
    participation_by_age_band: list[ParticipationCell]


class BoardTotals(msgspec.Struct):
    decisions: int
    actions: int
    done: int
    in_progress: int
    overdue: int


class OverdueAction(msgspec.Struct):
    meeting_id: uuid.UUID
    action: ActionRead


class BoardRead(msgspec.Struct):
    """居务公开: what was decided, by whom, what has been done since and what is overdue."""

    community_id: uuid.UUID
    community: str
    totals: BoardTotals
    meetings: list[BoardMeeting]
    overdue: list[OverdueAction]
