"""Reading meetings, scoped to who is asking: drafts only for their convenors, submissions in full
only for the convenors and their authors, accepted ones for everyone."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from backend.accounts.api import member_organisation_ids, organisations, people
from backend.core.errors import Forbidden
from backend.core.values import as_uuid
from backend.governance.meetings import access, errors
from backend.governance.meetings.tables import (
    Action,
    ActionUpdate,
    AgendaItem,
    Attendance,
    Decision,
    Meeting,
    MeetingStatus,
    ReportLink,
    Submission,
    SubmissionStatus,
)
from backend.places.api import estates

MEETING_COLUMNS = (
    *Meeting.all_columns(),
    Meeting.event.status.as_alias("event_status"),
    Meeting.event.title.as_alias("title"),
    Meeting.event.starts_at.as_alias("starts_at"),
    Meeting.event.ends_at.as_alias("ends_at"),
    Meeting.event._.venue._.name.as_alias("venue"),
)


async def _meeting(meeting_id: uuid.UUID) -> dict[str, Any]:
    row = await Meeting.select(*MEETING_COLUMNS).where(Meeting.id == meeting_id).output(load_json=True).first()
    if row is None:
        raise errors.meeting_not_found()
    return dict(row)


async def meeting_row(meeting_id: uuid.UUID, *, user_id: uuid.UUID | None) -> dict[str, Any]:
    """A meeting its convenors act on: 404 for a draft, 403 for an announced one, to anyone else."""
    row = await _meeting(meeting_id)
    if not await access.is_convenor(user_id, row["community"]):
        if row["status"] == MeetingStatus.draft.value:
            raise errors.meeting_not_found()
        raise Forbidden()
    return row


async def public_meeting(meeting_id: uuid.UUID, *, user_id: uuid.UUID | None) -> dict[str, Any]:
    """An announced meeting, or a draft for its convenors (404 for anyone else)."""
    row = await _meeting(meeting_id)
    if row["status"] == MeetingStatus.draft.value and not await access.is_convenor(user_id, row["community"]):
        raise errors.meeting_not_found()
    return row


async def meetings_of(community_id: uuid.UUID, *, user_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """A community's meetings, the latest first; drafts only for its convenors."""
    query = Meeting.select(*MEETING_COLUMNS).where(Meeting.community == community_id).output(load_json=True)
    if not await access.is_convenor(user_id, community_id):
        query = query.where(Meeting.status != MeetingStatus.draft.value)
    return list(await query.order_by(Meeting.event.starts_at, ascending=False).limit(200))


async def submission_row(submission_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await Submission.select(*Submission.all_columns(), Submission.meeting.community.as_alias("community"))
        .where(Submission.id == submission_id)
        .first()
    )
    if row is None:
        raise errors.submission_not_found()
    return dict(row)


async def meeting_title(meeting_id: uuid.UUID) -> dict[str, str]:
    """The meeting's title (its event's), {locale: text}."""
    row = (
        await Meeting.select(Meeting.event._.title.as_alias("title"))
        .where(Meeting.id == meeting_id)
        .output(load_json=True)
        .first()
    )
    return dict(row["title"] or {}) if row else {}


async def action_row(action_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await Action.select(
            *Action.all_columns(),
            Action.meeting.community.as_alias("community"),
            Action.meeting._.event._.title.as_alias("meeting_title"),
            Action.decision.item.as_alias("item"),
        )
        .where(Action.id == action_id)
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise errors.action_not_found()
    return dict(row)


async def people_to_tell(meeting_id: uuid.UUID, *, item_id: Any) -> list[uuid.UUID]:
    """Who submitted (on this item, or on any when None) or attended: the residents to tell."""
    wrote = Submission.select(Submission.user).where((Submission.meeting == meeting_id) & Submission.user.is_not_null())
    if item_id is not None:
        wrote = wrote.where(Submission.item == item_id)
    came = Attendance.select(Attendance.user).where((Attendance.meeting == meeting_id) & Attendance.user.is_not_null())
    found = {as_uuid(row["user"]) for row in [*await wrote, *await came]}
    return sorted(found)


# --- a meeting in full ---------------------------------------------------------------------------


@dataclass
class MeetingDetail:
    """A meeting with what is public about it, user content kept per locale."""

    row: dict[str, Any]
    items: list[dict[str, Any]]
    accepted: dict[uuid.UUID, list[dict[str, Any]]]  # by agenda item
    decisions: list[dict[str, Any]]
    actions: dict[uuid.UUID, list[dict[str, Any]]]  # by decision
    updates: dict[uuid.UUID, list[dict[str, Any]]]  # by action
    organisations: dict[uuid.UUID, Any]
    estates: dict[uuid.UUID, Any]
    authors: dict[uuid.UUID, str] = field(default_factory=dict)  # only those who chose to be named


def _grouped(rows: Iterable[dict[str, Any]], key: str) -> dict[uuid.UUID, list[dict[str, Any]]]:
    grouped: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(as_uuid(row[key]), []).append(row)
    return grouped


async def action_updates(action_ids: list[Any]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The dated updates of these actions, oldest first, by action."""
    if not action_ids:
        return {}
    rows = (
        await ActionUpdate.select()
        .where(ActionUpdate.action.is_in(action_ids))
        .order_by(ActionUpdate.at)
        .output(load_json=True)
    )
    return _grouped(rows, "action")


async def details(rows: list[dict[str, Any]]) -> list[MeetingDetail]:
    """Agendas, accepted submissions, decisions, actions and their updates of these meetings."""
    ids = [row["id"] for row in rows] or [uuid.uuid4()]
    items = (
        await AgendaItem.select()
        .where(AgendaItem.meeting.is_in(ids))
        .order_by(AgendaItem.position)
        .output(load_json=True)
    )
    accepted = (
        await Submission.select()
        .where(Submission.meeting.is_in(ids) & (Submission.status == SubmissionStatus.accepted.value))
        .order_by(Submission.created_at)
    )
    decisions = (
        await Decision.select().where(Decision.meeting.is_in(ids)).order_by(Decision.position).output(load_json=True)
    )
    actions = await Action.select().where(Action.meeting.is_in(ids)).order_by(Action.due_on).output(load_json=True)
    updates = await action_updates([a["id"] for a in actions])
    org_ids = {as_uuid(p) for row in rows for p in row["parties"]} | {as_uuid(a["owner"]) for a in actions}
    orgs = await organisations(org_ids)
    audiences = [as_uuid(estate) for row in rows for estate in row["estate_ids"]]
    places = await estates([*audiences, *(as_uuid(s["estate"]) for s in accepted if s["estate"])])
    named = await people(as_uuid(s["user"]) for s in accepted if s["named"] and s["user"])
    authors = {person_id: person.display_name for person_id, person in named.items() if person.display_name}
    by_meeting = {
        name: _grouped(found, "meeting")
        for name, found in (("items", items), ("accepted", accepted), ("decisions", decisions), ("actions", actions))
    }
    return [
        MeetingDetail(
            row=row,
            items=by_meeting["items"].get(as_uuid(row["id"]), []),
            accepted=_grouped(by_meeting["accepted"].get(as_uuid(row["id"]), []), "item"),
            decisions=by_meeting["decisions"].get(as_uuid(row["id"]), []),
            actions=_grouped(by_meeting["actions"].get(as_uuid(row["id"]), []), "decision"),
            updates=updates,
            organisations=orgs,
            estates=places,
            authors=authors,
        )
        for row in rows
    ]


async def submissions_for_convenor(
    *, user_id: uuid.UUID, meeting_id: uuid.UUID, status: str | None
) -> list[dict[str, Any]]:
    """Every submission to moderate (authors' names are masked by the presenter)."""
    await meeting_row(meeting_id, user_id=user_id)
    query = Submission.select().where(Submission.meeting == meeting_id)
    if status is not None:
        query = query.where(Submission.status == status)
    return list(await query.order_by(Submission.created_at).limit(1000))


async def own_submissions(*, user_id: uuid.UUID, meeting_id: uuid.UUID) -> list[dict[str, Any]]:
    await public_meeting(meeting_id, user_id=user_id)
    return list(
        await Submission.select()
        .where((Submission.meeting == meeting_id) & (Submission.user == user_id))
        .order_by(Submission.created_at)
    )


async def display_names(user_ids: Iterable[Any]) -> dict[uuid.UUID, str]:
    found = await people(as_uuid(u) for u in user_ids if u)
    return {person_id: person.display_name for person_id, person in found.items() if person.display_name}


def overdue(action: dict[str, Any], today: date) -> bool:
    return action["status"] in ("planned", "in_progress") and action["due_on"] < today


async def actions_to_act_on(user_id: uuid.UUID) -> list[dict[str, Any]]:
    """Open actions (planned or in progress) owned by an organisation where the person holds a
    role: what their organisation must act on, soonest due first."""
    owners = await member_organisation_ids(user_id)
    if not owners:
        return []
    return list(
        await Action.select(*Action.all_columns(), Action.meeting._.event._.title.as_alias("meeting_title"))
        .where(Action.owner.is_in(owners) & Action.status.is_in(["planned", "in_progress"]))
        .order_by(Action.due_on)
        .limit(200)
        .output(load_json=True)
    )


async def organisations_of(actions: list[dict[str, Any]]) -> dict[uuid.UUID, Any]:
    return await organisations(as_uuid(a["owner"]) for a in actions)


# --- what became of a report (the incidents' answer names it) ----------------------------------------


async def dealt_with(incident_id: uuid.UUID) -> list[dict[str, Any]]:
    """The announced meetings whose agenda took the report up, soonest first, each with the item
    and the actions the decisions on that item set (nothing of a draft meeting: it is its
    convenors' alone)."""
    links = (
        await ReportLink.select(
            ReportLink.item,
            ReportLink.item.title.as_alias("item_title"),
            ReportLink.item.meeting.as_alias("meeting"),
            ReportLink.item._.meeting._.kind.as_alias("kind"),
            ReportLink.item._.meeting._.status.as_alias("status"),
            ReportLink.item._.meeting._.event._.title.as_alias("title"),
            ReportLink.item._.meeting._.event._.starts_at.as_alias("starts_at"),
        )
        .where(ReportLink.incident == incident_id)
        .output(load_json=True)
    )
    found = []
    for link in sorted(links, key=lambda row: row["starts_at"]):
        if link["status"] == MeetingStatus.draft.value:
            continue
        actions = (
            await Action.select(Action.id, Action.title, Action.status, Action.due_on)
            .where(Action.decision.is_in(Decision.select(Decision.id).where(Decision.item == link["item"])))
            .order_by(Action.due_on)
            .output(load_json=True)
        )
        found.append({**link, "actions": actions})
    return found
