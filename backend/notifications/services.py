"""What happens in the other domains, as notices: who is told what.

The listeners call these with their signal's payload, after the upstream change committed. Each
reads what its notice says through the upstream APIs (``sources``) and posts the notices
(``inbox``), whose key is the happening's subject: a signal delivered twice adds nothing.
"""

from __future__ import annotations

import uuid

from backend.events.api import EventCancelled, RegistrationConfirmed, RegistrationPromoted, RegistrationWaitlisted
from backend.governance.api import ActionChanged, IncidentChanged, MinutesPublished, SurveyOpened, survey_audience
from backend.inclusion.api import RedemptionReserved
from backend.notifications import digests, inbox, sources
from backend.notifications.inbox import Posting
from backend.notifications.tables import NoticeKind
from backend.settings import Settings
from backend.volunteers.api import HoursVerified, ShiftCancelled

RegistrationSignal = RegistrationConfirmed | RegistrationWaitlisted | RegistrationPromoted

_REGISTRATION_KINDS: dict[type[RegistrationSignal], NoticeKind] = {
    RegistrationConfirmed: NoticeKind.registration_confirmed,
    RegistrationWaitlisted: NoticeKind.registration_waitlisted,
    RegistrationPromoted: NoticeKind.registration_promoted,
}


async def notify_registration(*, registration: RegistrationSignal, settings: Settings) -> None:
    """A place confirmed, waitlisted (with the place in line) or promoted: its holder is told."""
    await notify_registrations(registrations=[registration], settings=settings)


async def notify_registrations(*, registrations: list[RegistrationSignal], settings: Settings) -> None:
    """Many of them (a batch of sign-ups after their answers): one transaction for their notices."""
    postings = []
    for registration in registrations:
        kind = _REGISTRATION_KINDS[type(registration)]
        params = await sources.event_params(registration.event_id)
        if params is None:
            continue
        params["registration_id"] = str(registration.registration_id)
        if isinstance(registration, RegistrationWaitlisted):
            params["position"] = registration.position
        postings.append(Posting(registration.user_id, kind, params, f"{kind.value}:{registration.registration_id}"))
    await inbox.post_notices(postings, settings=settings)


async def notify_event_cancelled(*, cancelled: EventCancelled, settings: Settings) -> None:
    """Everyone who held a place or a place in line is told once; pending change notices are dropped."""
    await digests.drop_open_digest(cancelled.event_id)
    params = await sources.event_params(cancelled.event_id)
    if params is None:
        return
    people = sorted({place.user_id for place in cancelled.registrations})
    key = f"event_cancelled:{cancelled.event_id}"
    await inbox.post_notices(
        [Posting(person, NoticeKind.event_cancelled, params, key) for person in people], settings=settings
    )


async def notify_hours_verified(*, hours: HoursVerified, settings: Settings) -> None:
    """A verified entry of the volunteer's hours, or a correction of them."""
    params = {
        "entry_id": str(hours.entry_id),
        "team_id": str(hours.team_id),
        "team": await sources.team_name(hours.team_id),
        "minutes": hours.minutes,
        "service_date": hours.service_date.isoformat(),
        "entry_kind": hours.kind,
    }
    key = f"hours_verified:{hours.entry_id}"
    await inbox.post_notices([Posting(hours.user_id, NoticeKind.hours_verified, params, key)], settings=settings)


async def notify_reward_ready(*, redemption: RedemptionReserved, settings: Settings) -> None:
    """A reward set aside: where to pick it up, with which code."""
    params = await sources.redemption_params(redemption.redemption_id)
    if params is None:
        return
    key = f"reward_ready:{redemption.redemption_id}"
    await inbox.post_notices([Posting(redemption.user_id, NoticeKind.reward_ready, params, key)], settings=settings)


async def notify_shift_cancelled(*, cancelled: ShiftCancelled, settings: Settings) -> None:
    """Everyone signed up for the shift is told once."""
    params = await sources.shift_params(cancelled.shift_id)
    if params is None:
        return
    people = sorted({place.user_id for place in cancelled.signups})
    key = f"shift_cancelled:{cancelled.shift_id}"
    await inbox.post_notices(
        [Posting(person, NoticeKind.shift_cancelled, params, key) for person in people], settings=settings
    )


async def notify_incident_changed(*, change: IncidentChanged, signal_id: uuid.UUID, settings: Settings) -> None:
    """Each step of a report reaches its reporter (the signal is the step, so the key)."""
    if change.reporter_id is None:
        return  # reported anonymously, or the reporter's account is gone
    params = {"incident_id": str(change.incident_id), "status": change.status, "party": change.party or ""}
    key = f"incident_changed:{signal_id}"
    await inbox.post_notices([Posting(change.reporter_id, NoticeKind.incident_changed, params, key)], settings=settings)


async def notify_minutes_published(*, published: MinutesPublished, settings: Settings) -> None:
    """Everyone who sent an opinion to the meeting or attended it is told once."""
    params = {"meeting_id": str(published.meeting_id), "meeting": published.title}
    key = f"minutes_published:{published.meeting_id}"
    await inbox.post_notices(
        [Posting(person, NoticeKind.minutes_published, params, key) for person in published.recipients],
        settings=settings,
    )


async def notify_action_changed(*, change: ActionChanged, settings: Settings) -> None:
    """Each update of an action reaches those who wrote on its item or attended (the update is the key)."""
    params = {
        "meeting_id": str(change.meeting_id),
        "action_id": str(change.action_id),
        "title": change.title,
        "meeting": change.meeting_title,
        "status": change.status,
    }
    key = f"action_changed:{change.update_id}"
    await inbox.post_notices(
        [Posting(person, NoticeKind.action_changed, params, key) for person in change.recipients], settings=settings
    )


async def notify_survey_opened(*, opened: SurveyOpened, settings: Settings) -> None:
    """Everyone who may answer a survey that opened is told once (the survey is the key)."""
    params = {
        "survey_id": str(opened.survey_id),
        "kind": opened.kind,
        "title": opened.title,
        "closes_at": opened.closes_at,
        "year": opened.year,
    }
    key = f"survey_opened:{opened.survey_id}"
    people = await survey_audience(opened.survey_id)
    await inbox.post_notices(
        [Posting(person, NoticeKind.survey_opened, params, key) for person in people], settings=settings
    )
