"""The other domains' signals, handed to the services that decide what they mean for whom.

Listeners run after the upstream change committed, in the process that made it. The services
write only what must not be lost, the inbox entries (with their outbound rows), in a transaction
of their own, and queue the slow part, the WeChat message, as a keyed job. A signal delivered
twice finds its notices already written (their key is the signal's subject) and adds nothing.
"""

from __future__ import annotations

from backend.core import runtime
from backend.core.signals import SignalMessage, batched
from backend.events.api import (
    EventCancelled,
    EventChanged,
    RegistrationConfirmed,
    RegistrationPromoted,
    RegistrationWaitlisted,
)
from backend.governance.api import ActionChanged, IncidentChanged, MinutesPublished, SurveyOpened
from backend.inclusion.api import RedemptionReserved
from backend.notifications import digests, services
from backend.notifications.services import RegistrationSignal
from backend.settings import Settings
from backend.volunteers.api import HoursVerified, ShiftCancelled


def _settings() -> Settings:
    # The running app's settings say which kinds have a WeChat template.
    return runtime.current().settings


async def _registrations_changed(messages: list[SignalMessage[RegistrationSignal]]) -> None:
    await services.notify_registrations(registrations=[m.payload for m in messages], settings=_settings())


async def _registration_changed(message: SignalMessage[RegistrationSignal]) -> None:
    await services.notify_registration(registration=message.payload, settings=_settings())


registration_changed = batched(_registration_changed, _registrations_changed)


async def event_cancelled(message: SignalMessage[EventCancelled]) -> None:
    await services.notify_event_cancelled(cancelled=message.payload, settings=_settings())


async def event_changed(message: SignalMessage[EventChanged]) -> None:
    payload = message.payload
    await digests.note_event_change(
        event_id=payload.event_id, changed=payload.changed, signal_id=message.id, at=message.created_at
    )


async def hours_verified(message: SignalMessage[HoursVerified]) -> None:
    await services.notify_hours_verified(hours=message.payload, settings=_settings())


async def redemption_reserved(message: SignalMessage[RedemptionReserved]) -> None:
    await services.notify_reward_ready(redemption=message.payload, settings=_settings())


async def shift_cancelled(message: SignalMessage[ShiftCancelled]) -> None:
    await services.notify_shift_cancelled(cancelled=message.payload, settings=_settings())


async def incident_changed(message: SignalMessage[IncidentChanged]) -> None:
    await services.notify_incident_changed(change=message.payload, signal_id=message.id, settings=_settings())


async def minutes_published(message: SignalMessage[MinutesPublished]) -> None:
    await services.notify_minutes_published(published=message.payload, settings=_settings())


async def action_changed(message: SignalMessage[ActionChanged]) -> None:
    await services.notify_action_changed(change=message.payload, settings=_settings())


async def survey_opened(message: SignalMessage[SurveyOpened]) -> None:
    await services.notify_survey_opened(opened=message.payload, settings=_settings())


LISTENERS = (
    (RegistrationConfirmed, registration_changed),
    (RegistrationWaitlisted, registration_changed),
    (RegistrationPromoted, registration_changed),
    (EventCancelled, event_cancelled),
    (EventChanged, event_changed),
    (HoursVerified, hours_verified),
    (RedemptionReserved, redemption_reserved),
    (ShiftCancelled, shift_cancelled),
    (IncidentChanged, incident_changed),
    (MinutesPublished, minutes_published),
    (ActionChanged, action_changed),
    (SurveyOpened, survey_opened),
)
