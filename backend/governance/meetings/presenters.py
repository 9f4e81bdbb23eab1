"""Shaping meetings for the API in the reader's language: user content by ``pick``, names of
kinds and statuses through gettext, times in UTC (``clock``) and worded in Suzhou time."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from backend.core import clock
from backend.core.i18n import N_, _, format_interval, pick
from backend.core.values import as_uuid, mask_name
from backend.governance.incidents.schemas import ActionBrief, DealtWith
from backend.governance.meetings.queries import MeetingDetail, overdue
from backend.governance.meetings.schemas import (
    ActionRead,
    ActionToActOn,
    ActionUpdateRead,
    AgendaItemRead,
    DecisionRead,
    MeetingListItem,
    MeetingRead,
    OrganisationBrief,
    PublicSubmission,
    SubmissionRead,
)

KIND_NAMES: Mapping[str, str] = {
    "consultation": N_("Consultation meeting"),
    "hearing": N_("Public hearing"),
    "mediation": N_("Mediation meeting"),
    "evaluation": N_("Democratic evaluation meeting"),
    "joint": N_("Property management joint meeting"),
}
ACTION_STATUS_NAMES: Mapping[str, str] = {
    "planned": N_("Planned"),
    "in_progress": N_("In progress"),
    "done": N_("Done"),
    "dropped": N_("Dropped"),
}


def text(content: Mapping[str, str] | None) -> str:
    return pick(content or {})[0]


def kind_name(kind: str) -> str:
    return _(KIND_NAMES[kind])


def organisation(ref: Any) -> OrganisationBrief:
    return OrganisationBrief(id=ref.id, kind=ref.kind, name=text(ref.name))


def _organisation_or_gone(orgs: Mapping[uuid.UUID, Any], org_id: Any) -> OrganisationBrief:
    ref = orgs.get(as_uuid(org_id))
    return organisation(ref) if ref else OrganisationBrief(id=as_uuid(org_id), kind="", name="")


def action(
    row: Mapping[str, Any], updates: list[dict[str, Any]], orgs: Mapping[uuid.UUID, Any], today: date
) -> ActionRead:
    return ActionRead(
        id=as_uuid(row["id"]),
        owner=_organisation_or_gone(orgs, row["owner"]),
        title=text(row["title"]),
        due_on=row["due_on"],
        status=row["status"],
        status_name=_(ACTION_STATUS_NAMES[row["status"]]),
        overdue=overdue(dict(row), today),
        updates=[
            ActionUpdateRead(
                status=u["status"],
                status_name=_(ACTION_STATUS_NAMES[u["status"]]),
                note=text(u["note"]),
                at=clock.utc(u["at"]),
            )
            for u in updates
        ],
    )


def decisions(detail: MeetingDetail, today: date) -> list[DecisionRead]:
    return [
        DecisionRead(
            id=as_uuid(d["id"]),
            item_id=as_uuid(d["item"]) if d["item"] else None,
            text=text(d["text"]),
            actions=[
                action(a, detail.updates.get(as_uuid(a["id"]), []), detail.organisations, today)
                for a in detail.actions.get(as_uuid(d["id"]), [])
            ],
        )
        for d in detail.decisions
    ]


def public_submission(row: Mapping[str, Any], detail: MeetingDetail) -> PublicSubmission:
    estate = detail.estates.get(as_uuid(row["estate"])) if row["estate"] else None
    author = detail.authors.get(as_uuid(row["user"])) if row["named"] and row["user"] else None
    return PublicSubmission(
        id=as_uuid(row["id"]),
        text=row["text"],
        author=author,
        estate=text(estate.name) if estate else None,
        created_at=clock.utc(row["created_at"]),
    )


def meeting(detail: MeetingDetail) -> MeetingRead:
    row = detail.row
    today = clock.city_today()
    published = row["minutes_published_at"] is not None
    return MeetingRead(
        id=as_uuid(row["id"]),
        community_id=as_uuid(row["community"]),
        event_id=as_uuid(row["event"]),
        kind=row["kind"],
        kind_name=kind_name(row["kind"]),
        status=row["status"],
        title=text(row["title"]),
        question=text(row["question"]),
        starts_at=clock.utc(row["starts_at"]),
        ends_at=clock.utc(row["ends_at"]),
        when=format_interval(row["starts_at"], row["ends_at"]),
        venue=text(row["venue"]),
        parties=[_organisation_or_gone(detail.organisations, p) for p in row["parties"]],
        audience=row["audience_kind"],
        estates=[text(detail.estates[as_uuid(e)].name) for e in row["estate_ids"] if as_uuid(e) in detail.estates],
        agenda=[
            AgendaItemRead(
                id=as_uuid(item["id"]),
                position=item["position"],
                title=text(item["title"]),
                description=text(item["description"]),
                submissions=[public_submission(s, detail) for s in detail.accepted.get(as_uuid(item["id"]), [])],
            )
            for item in detail.items
        ],
        minutes=text(row["minutes"]) if published else None,
        minutes_published_at=clock.utc(row["minutes_published_at"]) if published else None,
        decisions=decisions(detail, today),
    )


def list_item(row: Mapping[str, Any]) -> MeetingListItem:
    return MeetingListItem(
        id=as_uuid(row["id"]),
        event_id=as_uuid(row["event"]),
        kind=row["kind"],
        kind_name=kind_name(row["kind"]),
        status=row["status"],
        title=text(row["title"]),
        starts_at=clock.utc(row["starts_at"]),
    )


def submission(row: Mapping[str, Any], *, author: str | None) -> SubmissionRead:
    return SubmissionRead(
        id=as_uuid(row["id"]),
        meeting_id=as_uuid(row["meeting"]),
        item_id=as_uuid(row["item"]),
        text=row["text"],
        named=row["named"],
        author=author,
        status=row["status"],
        reason=row["reason"],
        created_at=clock.utc(row["created_at"]),
        decided_at=clock.utc(row["decided_at"]) if row["decided_at"] else None,
    )


def submissions_masked(rows: list[dict[str, Any]], names: Mapping[uuid.UUID, str]) -> list[SubmissionRead]:
    """For the convenors: each author's display name masked (李*梅), to moderate, not to contact."""
    return [
        submission(row, author=mask_name(names.get(as_uuid(row["user"]), "")) if row["user"] else None) for row in rows
    ]


def actions_to_act_on(rows: list[dict[str, Any]], orgs: Mapping[uuid.UUID, Any], today: date) -> list[ActionToActOn]:
    return [
        ActionToActOn(
            meeting_id=as_uuid(row["meeting"]), meeting=text(row["meeting_title"]), action=action(row, [], orgs, today)
        )
        for row in rows
    ]


def dealt_with_read(rows: list[dict[str, Any]]) -> list[DealtWith]:
    """What became of a report: the meetings that took it up, in the reader's language."""
    return [
        DealtWith(
            meeting_id=as_uuid(row["meeting"]),
            kind=row["kind"],
            title=pick(row["title"] or {})[0],
            starts_at=clock.utc(row["starts_at"]),
            item=pick(row["item_title"] or {})[0],
            actions=[
                ActionBrief(
                    id=as_uuid(action["id"]),
                    title=pick(action["title"] or {})[0],
                    status=action["status"],
                    status_name=_(ACTION_STATUS_NAMES[action["status"]]),
                    due_on=str(action["due_on"]),
                )
                for action in row["actions"]
            ],
        )
        for row in rows
    ]
