"""What the console's convenors' room reads beyond the API's operations, by the API's own rules:
the communities a person convenes for (``access.CONVENE`` there or above), their meetings across
those communities with the submissions still waiting, the organisations a meeting may name as
parties (``services._check_parties`` accepts exactly these), and the open actions of the
person's organisations with their updates. Every change still goes through the API's services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.query.functions.aggregate import Count

from backend.accounts.api import (
    OrganisationKind,
    OrganisationRef,
    ancestor_ids,
    communities_in_scope,
    member_organisation_ids,
    organisation,
    organisations,
    organisations_under,
)
from backend.core import clock
from backend.core.values import as_uuid
from backend.governance.meetings import access, presenters, queries, services
from backend.governance.meetings.schemas import ActionToActOn, MeetingListItem, MeetingRead, SubmissionRead
from backend.governance.meetings.tables import Action, Meeting, MeetingStatus, Submission, SubmissionStatus
from backend.governance.surveys.room import community_parts

# A meeting's state as convenors name it: the API's status, with an announced meeting that has
# begun called "held" (its minutes may then be published).
STATES = ("draft", "announced", "held", "published")


async def convening_communities(user_id: uuid.UUID) -> list[OrganisationRef]:
    """The communities (in service) where this person may convene, in tree order."""
    return await communities_in_scope(user_id, access.CONVENE)


async def owns_actions(user_id: uuid.UUID) -> bool:
    """Whether an organisation where the person holds a role owns any meeting's action."""
    owners = await member_organisation_ids(user_id)
    return bool(owners) and await Action.exists().where(Action.owner.is_in(owners))


def state_of(status: str, starts_at: datetime, now: datetime) -> str:
    if status == MeetingStatus.draft.value:
        return "draft"
    if status == MeetingStatus.concluded.value:
        return "published"
    return "held" if starts_at <= now else "announced"


@dataclass(frozen=True)
class ConvenedMeeting:
    item: MeetingListItem
    community: str
    state: str
    waiting: int  # submissions still to accept or decline


@dataclass(frozen=True)
class ConvenedPage:
    items: list[ConvenedMeeting]
    total: int


def _state_filter(state: str | None, now: datetime) -> Any:
    if state == "draft":
        return Meeting.status == MeetingStatus.draft.value
    if state == "published":
        return Meeting.status == MeetingStatus.concluded.value
    if state == "announced":
        return (Meeting.status == MeetingStatus.open.value) & (Meeting.event.starts_at > now)
    if state == "held":
        return (Meeting.status == MeetingStatus.open.value) & (Meeting.event.starts_at <= now)
    return None


async def convened_meetings(
    *, user_id: uuid.UUID, community_id: uuid.UUID | None, state: str | None, limit: int, offset: int
) -> ConvenedPage:
    """The meetings of the communities the person convenes for (drafts included: they are theirs),
    the latest first; one community's, or of one state, when asked."""
    communities = {ref.id: ref for ref in await convening_communities(user_id)}
    chosen = [community_id] if community_id is not None else list(communities)
    chosen = [c for c in chosen if c in communities]
    if not chosen:
        return ConvenedPage([], 0)
    now = clock.now()
    where = Meeting.community.is_in(chosen)
    extra = _state_filter(state if state in STATES else None, now)
    if extra is not None:
        where = where & extra
    total = await Meeting.count().where(where)
    rows = (
        await Meeting.select(*queries.MEETING_COLUMNS)
        .where(where)
        .order_by(Meeting.event.starts_at, ascending=False)
        .limit(limit)
        .offset(offset)
        .output(load_json=True)
    )
    waiting = await waiting_counts([row["id"] for row in rows])
    return ConvenedPage(
        [
            ConvenedMeeting(
                item=presenters.list_item(row),
                community=presenters.text(communities[as_uuid(row["community"])].name),
                state=state_of(row["status"], row["starts_at"], now),
                waiting=waiting.get(as_uuid(row["id"]), 0),
            )
            for row in rows
        ],
        total,
    )


async def waiting_counts(meeting_ids: list[Any]) -> dict[uuid.UUID, int]:
    if not meeting_ids:
        return {}
    rows = (
        await Submission.select(Submission.meeting, Count(Submission.id).as_alias("waiting"))
        .where(Submission.meeting.is_in(meeting_ids) & (Submission.status == SubmissionStatus.pending.value))
        .group_by(Submission.meeting)
    )
    return {as_uuid(row["meeting"]): row["waiting"] for row in rows}


@dataclass(frozen=True)
class ConvenorView:
    """A meeting as its convenors work on it: the API's answer, its community and state."""

    meeting: MeetingRead
    community: str
    state: str
    owners: list[tuple[uuid.UUID, str]]  # who may own an action: the community, then its parties


async def convenor_view(*, user_id: uuid.UUID, meeting_id: uuid.UUID) -> ConvenorView:
    """For its convenors only (the API's ``meeting_row``: a draft 404, an announced one 403 to
    anyone else)."""
    row = await queries.meeting_row(meeting_id, user_id=user_id)
    meeting = presenters.meeting((await queries.details([row]))[0])
    community = await organisation(meeting.community_id)
    name = presenters.text(community.name) if community else ""
    owners = [(meeting.community_id, name), *((p.id, p.name) for p in meeting.parties if p.id != meeting.community_id)]
    return ConvenorView(
        meeting=meeting, community=name, state=state_of(row["status"], row["starts_at"], clock.now()), owners=owners
    )


async def submissions_to_moderate(*, user_id: uuid.UUID, meeting_id: uuid.UUID) -> list[SubmissionRead]:
    """The API's ``list_submissions``: every submission, authors masked (convenors only)."""
    rows = await queries.submissions_for_convenor(user_id=user_id, meeting_id=meeting_id, status=None)
    return presenters.submissions_masked(rows, await queries.display_names(r["user"] for r in rows))


async def submission_read(submission_id: uuid.UUID) -> SubmissionRead:
    row = await queries.submission_row(submission_id)
    names = await queries.display_names([row["user"]])
    return presenters.submissions_masked([row], names)[0]


# A part of the community as the convening form names it, and the audience it stands for.
_AUDIENCE_KINDS = {"community": "community", "estate": "estates", "alliance": "alliance", "grid": "grid"}


async def audience_choices(community_id: uuid.UUID) -> list[tuple[str, str]]:
    """Who a meeting of this community may be for, as the convening form offers it: the whole
    community, one of its estates, its alliance or one of its grids (``<kind>:<id>``, the kinds of
    the API's ``AudienceIn``; several estates at once are the API's alone)."""
    community = await organisation(community_id)
    if community is None:
        return []
    return [
        ("community" if kind == "community" else f"{_AUDIENCE_KINDS[kind]}:{key}", name)
        for kind, key, name in await community_parts(community)
    ]


def audience_of(choice: str) -> dict[str, Any]:
    """The convening form's choice as the API's ``AudienceIn`` JSON (what cannot be read is left
    for the request struct to refuse)."""
    kind, _, key = choice.partition(":")
    return {"kind": kind, "ids": [key] if key else []}


async def party_choices(community_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The organisations a meeting of this community may name as parties: the community, the
    organisations above it, and those attached to either (of the kinds ``PARTY_KINDS`` names)."""
    community = await organisation(community_id)
    if community is None:
        return []
    above = await organisations(ancestor_ids(community.path))
    root = min(above.values(), key=lambda ref: len(ref.path))
    candidates = list(above.values())
    for kind in sorted(services.PARTY_KINDS):
        candidates += await organisations_under(root.path, kind=OrganisationKind(kind))
    above_ids = set(above)
    found = {ref.id: ref for ref in candidates if services.serves(ref, above_ids)}
    ordered = sorted(found.values(), key=lambda ref: (ref.id != community_id, len(ref.path), ref.path))
    return [(ref.id, presenters.text(ref.name)) for ref in ordered]


@dataclass(frozen=True)
class ActionToDo:
    """An open action of the person's organisations (the API's ``list_my_meeting_actions``),
    with its updates so far and the community whose board shows it."""

    item: ActionToActOn
    community_id: uuid.UUID


async def actions_to_do(user_id: uuid.UUID) -> list[ActionToDo]:
    rows = await queries.actions_to_act_on(user_id)
    orgs = await queries.organisations_of(rows)
    today = clock.city_today()
    by_action = await queries.action_updates([row["id"] for row in rows])
    meetings = {as_uuid(row["meeting"]) for row in rows}
    communities = {
        as_uuid(found["id"]): as_uuid(found["community"])
        for found in (
            await Meeting.select(Meeting.id, Meeting.community).where(Meeting.id.is_in(list(meetings)))
            if meetings
            else []
        )
    }
    return [
        ActionToDo(
            item=ActionToActOn(
                meeting_id=as_uuid(row["meeting"]),
                meeting=presenters.text(row["meeting_title"]),
                action=presenters.action(row, by_action.get(as_uuid(row["id"]), []), orgs, today),
            ),
            community_id=communities[as_uuid(row["meeting"])],
        )
        for row in rows
    ]


async def action_view(action_id: uuid.UUID) -> ActionToDo:
    """One action with its updates, as its row on the actions page (after an update: done or
    dropped ones leave the list, but the row that replaces the form says so)."""
    row = await queries.action_row(action_id)
    updates = await queries.action_updates([action_id])
    orgs = await queries.organisations_of([row])
    return ActionToDo(
        item=ActionToActOn(
            meeting_id=as_uuid(row["meeting"]),
            meeting=presenters.text(row["meeting_title"]),
            action=presenters.action(row, updates.get(action_id, []), orgs, clock.city_today()),
        ),
        community_id=as_uuid(row["community"]),
    )
