"""One person's write, done once however often it is asked for: the flow behind sign-up, shift
sign-up and redemption (the shape of pretix's ``perform_checkin``).

A request may carry an ``Idempotency-Key``; the row it creates stores the key, unique per person.
The flow: answer a retry from the stored row at once; else hold the person's row (so their
concurrent requests queue and see each other), look again (a concurrent retry may have committed
meanwhile), and do the work, signals included, in one ``signals.atomic()`` transaction. A unique
index that still refuses a row (a race the hold should prevent) is answered like the winner.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from backend.core import signals
from backend.core.db import UNIQUE_VIOLATIONS
from backend.core.errors import DomainError
from backend.core.i18n import N_

T = TypeVar("T")


def key_reused() -> DomainError:
    """The key came back with a request for something else: a client bug, never a second answer."""
    return DomainError(
        "idempotency_key_reused", N_("This Idempotency-Key was already used for another request."), status=422
    )


async def perform_once(
    *,
    key: str | None,
    earlier: Callable[[str], Awaitable[T | None]],
    hold: Callable[[], Awaitable[None]],
    perform: Callable[[], Awaitable[T]],
    refused: Callable[[], Exception],
    before: Callable[[], Awaitable[None]] | None = None,
    attempts: int = 1,
) -> tuple[T, bool]:
    """(result, created). ``earlier(key)`` finds the row a key made (raising ``key_reused()`` when
    it was made for something else); ``before`` checks what needs no transaction; ``hold`` locks
    the person inside it; ``perform`` does the work. A unique violation with no earlier row is
    tried again up to ``attempts`` times (a random code that collided), then ``refused()``."""
    if key and (found := await earlier(key)) is not None:
        return found, False
    if before is not None:
        await before()
    for _attempt in range(attempts):
        try:
            async with signals.atomic():
                await hold()
                if key and (found := await earlier(key)) is not None:
                    return found, False  # a concurrent retry of this request committed first
                return await perform(), True
        except UNIQUE_VIOLATIONS:
            if key and (found := await earlier(key)) is not None:
                return found, False
    raise refused()
