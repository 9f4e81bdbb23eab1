"""What a sign-up leaves for after its answer: the events' cached lists show seats left, so they
are told the seats changed (the sign-up's answer does not wait for that)."""

from __future__ import annotations

from typing import Any

from backend.core import runtime
from backend.core.signals import SignalMessage
from backend.events.signals import CACHE_NAMESPACE, RegistrationConfirmed, RegistrationWaitlisted


async def seats_changed(message: SignalMessage[Any]) -> None:
    cache = runtime.current().cache
    if cache is not None:
        await cache.bump(CACHE_NAMESPACE)


LISTENERS = ((RegistrationConfirmed, seats_changed), (RegistrationWaitlisted, seats_changed))
