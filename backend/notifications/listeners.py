"""What each signal of the other domains means for whom.

Listeners run after the upstream change committed, in the process that made it. They write only
what must not be lost, the inbox entries (with their outbound rows), in a transaction of their
own, and queue the slow part, the WeChat message, as a keyed job. A signal delivered twice
finds its notices already written (their key is the signal's subject) and adds nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.core import signals
from backend.events.signals import (
    EVENT_CANCELLED,
    EVENT_CHANGED,
    REGISTRATION_CONFIRMED,
    REGISTRATION_PROMOTED,
    REGISTRATION_WAITLISTED,
)
from backend.inclusion.signals import REDEMPTION_RESERVED
from backend.notifications import digests, inbox, sources
from backend.notifications import jobs as _jobs  # noqa: F401  (registers, on import, the jobs listeners queue)
from backend.notifications import privacy as notification_privacy
from backend.notifications.inbox import Posting
from backend.notifications.tables import NoticeKind
from backend.settings import Settings
from backend.volunteers.signals import HOURS_VERIFIED, INCIDENT_CHANGED, SHIFT_CANCELLED

# The app's settings (which kinds have a template), set by ``register``.
_config: dict[str, Settings] = {}


def _settings() -> Settings:
    return _config.get("settings") or Settings()


async def _post(postings: list[Posting]) -> None:
    await inbox.post_notices(postings, settings=_settings())


async def _about_registration(message: signals.SignalMessage, kind: NoticeKind, **extra: Any) -> None:
    payload = message.payload
    params = await sources.event_params(payload["event_id"])
    if params is None:
        return
    params.update(registration_id=payload["registration_id"], **extra)
    await _post([Posting(uuid.UUID(payload["user_id"]), kind, params, f"{kind.value}:{payload['registration_id']}")])


async def registration_confirmed(message: signals.SignalMessage) -> None:
    await _about_registration(message, NoticeKind.registration_confirmed)


async def registration_waitlisted(message: signals.SignalMessage) -> None:
    await _about_registration(message, NoticeKind.registration_waitlisted, position=message.payload.get("position"))


async def registration_promoted(message: signals.SignalMessage) -> None:
    await _about_registration(message, NoticeKind.registration_promoted)


async def event_cancelled(message: signals.SignalMessage) -> None:
    event_id = uuid.UUID(message.payload["event_id"])
    await digests.drop_open_digest(event_id)
    params = await sources.event_params(event_id)
    if params is None:
        return
    people = {uuid.UUID(item["user_id"]) for item in message.payload.get("registrations", [])}
    await _post([Posting(person, NoticeKind.event_cancelled, params, f"event_cancelled:{event_id}") for person in sorted(people)])


async def event_changed(message: signals.SignalMessage) -> None:
    await digests.note_event_change(message)


async def hours_verified(message: signals.SignalMessage) -> None:
    payload = message.payload
    params = {
        "entry_id": payload["entry_id"], "team_id": payload["team_id"], "team": await sources.team_name(payload["team_id"]),
        "minutes": int(payload["minutes"]), "service_date": payload["service_date"], "entry_kind": payload.get("kind", ""),
    }
    await _post([Posting(uuid.UUID(payload["user_id"]), NoticeKind.hours_verified, params, f"hours_verified:{payload['entry_id']}")])


async def redemption_reserved(message: signals.SignalMessage) -> None:
    payload = message.payload
    params = await sources.redemption_params(payload["redemption_id"])
    if params is not None:
        key = f"reward_ready:{payload['redemption_id']}"
        await _post([Posting(uuid.UUID(payload["user_id"]), NoticeKind.reward_ready, params, key)])


async def shift_cancelled(message: signals.SignalMessage) -> None:
    params = await sources.shift_params(message.payload["shift_id"])
    if params is None:
        return
    people = {uuid.UUID(item["user_id"]) for item in message.payload.get("signups", [])}
    key = f"shift_cancelled:{message.payload['shift_id']}"
    await _post([Posting(person, NoticeKind.shift_cancelled, params, key) for person in sorted(people)])


async def incident_changed(message: signals.SignalMessage) -> None:
    payload = message.payload
    if not payload.get("reporter_id"):
        return  # reported anonymously, or the reporter's account is gone
    params = {"incident_id": payload["incident_id"], "status": payload["status"], "party": payload.get("party") or ""}
    await _post([Posting(uuid.UUID(payload["reporter_id"]), NoticeKind.incident_changed, params, f"incident_changed:{message.id}")])


LISTENERS = {
    REGISTRATION_CONFIRMED: registration_confirmed,
    REGISTRATION_WAITLISTED: registration_waitlisted,
    REGISTRATION_PROMOTED: registration_promoted,
    EVENT_CANCELLED: event_cancelled,
    EVENT_CHANGED: event_changed,
    HOURS_VERIFIED: hours_verified,
    REDEMPTION_RESERVED: redemption_reserved,
    SHIFT_CANCELLED: shift_cancelled,
    INCIDENT_CHANGED: incident_changed,
}


def register(settings: Settings | None = None) -> None:
    """(Re)register the listeners and the person's export/erasure part; with the app's settings,
    which kinds have a template."""
    if settings is not None:
        _config["settings"] = settings
    for name, listener in LISTENERS.items():
        signals.listen(name)(listener)
    notification_privacy.register()


register()
