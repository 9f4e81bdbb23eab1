"""Convening a meeting on an event, announcing it, and what comes after it: the minutes, the
decisions and their follow-up actions, and each action's dated updates.

A meeting is created as a draft together with its draft event (events' own service: time, venue,
seats) in one transaction; announcing it publishes the event (sign-up, tickets, the door and
reminders are events') and opens the submissions until it begins. Both are recorded in the audit
trail as the event's own entries (``events.event_created``, ``events.event_published``), one per
request, as a grid's creation is accounts'; the meeting row names its event.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from backend.accounts.api import OrganisationKind, OrganisationRef, ancestor_ids, organisation, organisations
from backend.core import clock, signals
from backend.core.cache import VersionedCache
from backend.core.db import lock_row
from backend.core.values import as_uuid
from backend.events.api import EventCreate, create_events, publish_event
from backend.governance.incidents.tables import Incident
from backend.governance.meetings import access, errors, queries, trail
from backend.governance.meetings.schemas import AudienceIn, MeetingCreate, MinutesCreate
from backend.governance.meetings.signals import ActionChanged, MinutesPublished
from backend.governance.meetings.tables import (
    Action,
    ActionStatus,
    ActionUpdate,
    AgendaItem,
    AudienceKind,
    Decision,
    Meeting,
    MeetingStatus,
    ReportLink,
)
from backend.places.api import alliance_estates, estates, estates_of_community, grid_estates

# The kinds of organisation that may be a meeting's party (居·物·业·警·民 and the street).
PARTY_KINDS = frozenset(
    {
        OrganisationKind.street.value,
        OrganisationKind.community.value,
        OrganisationKind.police_station.value,
        OrganisationKind.owners_committee.value,
        OrganisationKind.property_company.value,
        OrganisationKind.city_management.value,
    }
)
FINAL = frozenset({ActionStatus.done.value, ActionStatus.dropped.value})


def written(content: Mapping[Any, str]) -> bool:
    return any(text.strip() for text in content.values())


async def _community(community_id: uuid.UUID) -> OrganisationRef:
    found = await organisation(community_id)
    if found is None or found.kind != OrganisationKind.community.value:
        raise errors.not_a_community()
    return found


def serves(party: OrganisationRef, above: set[uuid.UUID]) -> bool:
    """Whether an organisation may be a party of a meeting of the community whose ids from the root
    down (itself included) are ``above``: the community itself, an organisation above it (the
    street), or one attached to it or to an organisation above it (its police station, property
    company…), of a party's kind and in service."""
    if party.kind not in PARTY_KINDS or party.retired:
        return False
    chain = ancestor_ids(party.path)
    parent = chain[-2] if len(chain) > 1 else None
    return party.id in above or parent in above


async def _check_parties(community: OrganisationRef, party_ids: list[uuid.UUID]) -> list[str]:
    """Parties serve the community (``serves``)."""
    found = await organisations(party_ids)
    above = set(ancestor_ids(community.path))
    for party_id in party_ids:
        party = found.get(party_id)
        if party is None or not serves(party, above):
            raise errors.party_elsewhere()
    return [str(party_id) for party_id in dict.fromkeys(party_ids)]


async def _audience_estates(community_id: uuid.UUID, audience: AudienceIn) -> list[str]:
    """The estates the audience stands for, all of the community (422 otherwise, or for none)."""
    if audience.kind == AudienceKind.community.value:
        found = await estates_of_community(community_id)
    elif audience.kind == AudienceKind.estates.value:
        by_id = await estates(audience.ids)
        if len(by_id) != len(set(audience.ids)):
            raise errors.audience_elsewhere()
        found = list(by_id.values())
    elif len(audience.ids) != 1:
        raise errors.audience_elsewhere()
    elif audience.kind == AudienceKind.alliance.value:
        found = await alliance_estates(audience.ids[0])
    else:
        found = await grid_estates(audience.ids[0])
    if audience.kind != AudienceKind.community.value and not found:
        raise errors.audience_elsewhere()
    if any(estate.community_id != community_id for estate in found):
        raise errors.audience_elsewhere()
    return sorted(str(estate.id) for estate in found)


async def convene_meeting(*, user_id: uuid.UUID, data: MeetingCreate, cache: VersionedCache) -> uuid.UUID:
    """A draft meeting and its draft event, convened by the community's staff."""
    community = await _community(data.community_id)
    await access.require_convenor(user_id, community.id)
    if not written(data.question):
        raise errors.text_required("question")
    if not all(written(item.title) for item in data.agenda):
        raise errors.text_required("title")
    parties = await _check_parties(community, data.parties)
    reports = {i for item in data.agenda for i in item.incident_ids}
    if reports:
        found = await Incident.select(Incident.id).where(
            Incident.id.is_in(list(reports)) & (Incident.community == community.id)
        )
        if len(found) != len(reports):
            raise errors.report_elsewhere()
    estate_ids = await _audience_estates(community.id, data.audience)
    event = EventCreate(
        organisation_id=community.id,
        venue_id=data.venue_id,
        category="other",
        title=data.title,
        summary={locale: text[:300] for locale, text in data.question.items()},
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        capacity=data.capacity,
    )
    now = clock.now()
    async with signals.atomic():
        _, created = await create_events(user_id=user_id, data=event, cache=cache)
        meeting = Meeting(
            community=community.id,
            event=created[0].id,
            kind=data.kind,
            question=dict(data.question),
            parties=parties,
            audience_kind=data.audience.kind,
            audience_ids=[str(i) for i in data.audience.ids],
            estate_ids=estate_ids,
            convenor=user_id,
            created_at=now,
            updated_at=now,
        )
        await meeting.save()
        for position, item in enumerate(data.agenda, start=1):
            row = AgendaItem(
                meeting=meeting.id, position=position, title=dict(item.title), description=dict(item.description)
            )
            await row.save()
            for incident_id in dict.fromkeys(item.incident_ids):
                await ReportLink(item=row.id, incident=incident_id).save()
    return as_uuid(meeting.id)


async def announce_meeting(*, user_id: uuid.UUID, meeting_id: uuid.UUID, cache: VersionedCache) -> None:
    """Publish the meeting's event and open the submissions."""
    meeting = await queries.meeting_row(meeting_id, user_id=user_id)
    if meeting["status"] != MeetingStatus.draft.value:
        raise errors.meeting_not_draft()
    if meeting["event_status"] == "draft":
        await publish_event(user_id=user_id, event_id=meeting["event"], scope="this", cache=cache)
    async with signals.atomic():
        opened = await (
            Meeting.update({Meeting.status: MeetingStatus.open.value, Meeting.updated_at: clock.now()})
            .where((Meeting.id == meeting_id) & (Meeting.status == MeetingStatus.draft.value))
            .returning(Meeting.id)
        )
        if not opened:
            raise errors.meeting_not_draft()


async def _check_minutes(meeting: dict[str, Any], data: MinutesCreate) -> None:
    if meeting["status"] == MeetingStatus.concluded.value:
        raise errors.minutes_published()
    if meeting["status"] != MeetingStatus.open.value or meeting["starts_at"] > clock.now():
        raise errors.meeting_not_held()
    if not written(data.minutes):
        raise errors.text_required("minutes")
    items = {row["id"] for row in await AgendaItem.select(AgendaItem.id).where(AgendaItem.meeting == meeting["id"])}
    owners = {as_uuid(party) for party in meeting["parties"]} | {as_uuid(meeting["community"])}
    for decision in data.decisions:
        if not written(decision.text):
            raise errors.text_required("decision")
        if decision.item_id is not None and decision.item_id not in items:
            raise errors.item_not_in_meeting()
        for action in decision.actions:
            if action.owner_id not in owners:
                raise errors.owner_not_party()
            if not written(action.title):
                raise errors.text_required("title")


async def publish_minutes(*, user_id: uuid.UUID | None, meeting_id: uuid.UUID, data: MinutesCreate) -> None:
    """Once the meeting has begun: the minutes, its decisions and their actions, published together;
    everyone who submitted or attended is told."""
    meeting = await queries.meeting_row(meeting_id, user_id=user_id)
    await _check_minutes(meeting, data)
    now = clock.now()
    async with signals.atomic():
        concluded = await (
            Meeting.update(
                {
                    Meeting.status: MeetingStatus.concluded.value,
                    Meeting.minutes: dict(data.minutes),
                    Meeting.minutes_published_at: now,
                    Meeting.updated_at: now,
                }
            )
            .where((Meeting.id == meeting_id) & (Meeting.status == MeetingStatus.open.value))
            .returning(Meeting.id)
        )
        if not concluded:
            raise errors.minutes_published()
        for position, decision in enumerate(data.decisions, start=1):
            row = Decision(meeting=meeting_id, item=decision.item_id, position=position, text=dict(decision.text))
            await row.save()
            for action in decision.actions:
                await Action(
                    decision=row.id,
                    meeting=meeting_id,
                    owner=action.owner_id,
                    title=dict(action.title),
                    due_on=action.due_on,
                    status=ActionStatus.planned.value,
                    updated_at=now,
                ).save()
        await trail.record(
            "minutes_published",
            organisation_id=meeting["community"],
            object_type="meeting",
            object_id=meeting_id,
            after={"decisions": len(data.decisions), "actions": sum(len(d.actions) for d in data.decisions)},
        )
        recipients = await queries.people_to_tell(meeting_id, item_id=None)
        await signals.emit(MinutesPublished(meeting_id=meeting_id, title=meeting["title"], recipients=recipients))


async def update_action(
    *, user_id: uuid.UUID | None, action_id: uuid.UUID, status: str, note: Mapping[Any, str]
) -> uuid.UUID:
    """A dated step of an action by its owner's staff or a convenor; done and dropped are final.
    Residents who submitted on its item, or attended, are told."""
    action = await queries.action_row(action_id)
    permission = await access.acting_on_action(
        user_id, community_id=action["community"], owner_id=as_uuid(action["owner"])
    )
    if permission is None:
        raise errors.action_not_found()
    if action["status"] in FINAL:
        raise errors.action_closed()
    now = clock.now()
    async with signals.atomic():
        await lock_row(Action._meta.db, Action._meta.tablename, action_id)
        moved = await (
            Action.update({Action.status: status, Action.updated_at: now})
            .where((Action.id == action_id) & (Action.status == action["status"]))
            .returning(Action.id)
        )
        if not moved:
            raise errors.action_changed_meanwhile()
        update = ActionUpdate(action=action_id, status=status, note=dict(note), by=user_id, at=now)
        await update.save()
        await trail.record(
            "action_updated",
            organisation_id=as_uuid(action["owner"] if permission == access.RESPONSIBLE_PARTY else action["community"]),
            object_type="action",
            object_id=action_id,
            permission=permission,
            before={"status": action["status"]},
            after={"status": status},
        )
        recipients = await queries.people_to_tell(as_uuid(action["meeting"]), item_id=action["item"])
        await signals.emit(
            ActionChanged(
                action_id=action_id,
                meeting_id=as_uuid(action["meeting"]),
                update_id=as_uuid(update.id),
                title=action["title"] or {},
                meeting_title=action["meeting_title"] or {},
                status=status,
                recipients=recipients,
            )
        )
    return as_uuid(update.id)
