"""What each signal of the other domains means for whom.

Listeners run after the upstream change committed, in the process that made it. They write only
what must not be lost, the inbox entries (with their outbound rows), in a transaction of their
own, and queue the slow part, the WeChat message, as a keyed job. A signal delivered twice
finds its notices already written (their key is the signal's subject) and adds nothing.
"""

from __future__ import annotations

from typing import Any

from backend.core import runtime
from backend.core.signals import SignalMessage
from backend.events.api import (
    EventCancelled,
    EventChanged,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from backend.inclusion.api import RedemptionReserved
from backend.notifications import digests, inbox, sources
from backend.notifications.inbox import Posting
from backend.notifications.tables import NoticeKind
from backend.volunteers.api import HoursVerified, IncidentChanged, ShiftCancelled

RegistrationSignal = RegistrationConfirmed | RegistrationWaitlisted | RegistrationPromoted


async def _post(postings: list[Posting]) -> None:
    # The running app's settings say which kinds have a WeChat template.
    await inbox.post_notices(postings, settings=runtime.current().settings)


async def _about_registration(message: SignalMessage[RegistrationSignal], kind: NoticeKind, **extra: Any) -> None:
    payload = message.payload
    params = await sources.event_params(payload.event_id)
    if params is None:
        return
    params.update(registration_id=str(payload.registration_id), **extra)
    await _post([Posting(payload.user_id, kind, params, f"{kind.value}:{payload.registration_id}")])


async def registration_confirmed(message: SignalMessage[RegistrationConfirmed]) -> None:
    await _about_registration(message, NoticeKind.registration_confirmed)


async def registration_waitlisted(message: SignalMessage[RegistrationWaitlisted]) -> None:
    await _about_registration(message, NoticeKind.registration_waitlisted, position=message.payload.position)


async def registration_promoted(message: SignalMessage[RegistrationPromoted]) -> None:
    await _about_registration(message, NoticeKind.registration_promoted)


async def event_cancelled(message: SignalMessage[EventCancelled]) -> None:
    event_id = message.payload.event_id
    await digests.drop_open_digest(event_id)
    params = await sources.event_params(event_id)
    if params is None:
        return
    people = {place.user_id for place in message.payload.registrations}
    await _post(
        [
            Posting(person, NoticeKind.event_cancelled, params, f"event_cancelled:{event_id}")
            for person in sorted(people)
        ]
    )


async def event_changed(message: SignalMessage[EventChanged]) -> None:
    await digests.note_event_change(message)


async def hours_verified(message: SignalMessage[HoursVerified]) -> None:
    payload = message.payload
    params = {
        "entry_id": str(payload.entry_id),
        "team_id": str(payload.team_id),
        "team": await sources.team_name(payload.team_id),
        "minutes": payload.minutes,
        "service_date": payload.service_date.isoformat(),
        "entry_kind": payload.kind,
    }
    await _post([Posting(payload.user_id, NoticeKind.hours_verified, params, f"hours_verified:{payload.entry_id}")])


async def redemption_reserved(message: SignalMessage[RedemptionReserved]) -> None:
    payload = message.payload
    params = await sources.redemption_params(payload.redemption_id)
    if params is not None:
        key = f"reward_ready:{payload.redemption_id}"
        await _post([Posting(payload.user_id, NoticeKind.reward_ready, params, key)])


async def shift_cancelled(message: SignalMessage[ShiftCancelled]) -> None:
    params = await sources.shift_params(message.payload.shift_id)
    if params is None:
        return
    people = {place.user_id for place in message.payload.signups}
    key = f"shift_cancelled:{message.payload.shift_id}"
    await _post([Posting(person, NoticeKind.shift_cancelled, params, key) for person in sorted(people)])


async def incident_changed(message: SignalMessage[IncidentChanged]) -> None:
    payload = message.payload
    if payload.reporter_id is None:
        return  # reported anonymously, or the reporter's account is gone
    params = {"incident_id": str(payload.incident_id), "status": payload.status, "party": payload.party or ""}
    await _post([Posting(payload.reporter_id, NoticeKind.incident_changed, params, f"incident_changed:{message.id}")])


LISTENERS = (
    (RegistrationConfirmed, registration_confirmed),
    (RegistrationWaitlisted, registration_waitlisted),
    (RegistrationPromoted, registration_promoted),
    (EventCancelled, event_cancelled),
    (EventChanged, event_changed),
    (HoursVerified, hours_verified),
    (RedemptionReserved, redemption_reserved),
    (ShiftCancelled, shift_cancelled),
    (IncidentChanged, incident_changed),
)
