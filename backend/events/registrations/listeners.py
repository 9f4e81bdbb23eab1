"""What a sign-up leaves for after its answer: the events' cached lists show seats left, so they
are told the seats changed (the sign-up's answer does not wait for that)."""

from __future__ import annotations

from typing import Any

from backend.core import runtime
from backend.core.signals import SignalMessage, batched
from backend.events.signals import CACHE_NAMESPACE, RegistrationConfirmed, RegistrationWaitlisted


async def _seats_changed(message: SignalMessage[Any]) -> None:
    cache = runtime.current().cache
    if cache is not None:
        await cache.bump(CACHE_NAMESPACE)


async def _many_seats_changed(messages: list[SignalMessage[Any]]) -> None:
    await _seats_changed(messages[0])  # one new version for the whole batch


seats_changed = batched(_seats_changed, _many_seats_changed)


LISTENERS = ((RegistrationConfirmed, seats_changed), (RegistrationWaitlisted, seats_changed))
