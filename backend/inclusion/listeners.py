"""How inclusion reacts to other domains: points for attendances and for verified volunteer hours.

Listeners run after the upstream change committed, each award in a transaction of its own. A
signal may be delivered more than once (a retry, the sweeper); the awards' source keys make a
second delivery award nothing.
"""

from __future__ import annotations

from backend.core import signals
from backend.events.signals import ATTENDANCE_RECORDED
from backend.inclusion import points
from backend.settings import Settings
from backend.volunteers.signals import HOURS_VERIFIED

# Months until awarded points expire (0: never); set from the settings by ``register``.
_policy: dict[str, int] = {"expire_months": 0}


@signals.listen(ATTENDANCE_RECORDED)
async def award_attendance(message: signals.SignalMessage) -> None:
    await points.award_for_attendance(message.payload, expire_months=_policy["expire_months"])


@signals.listen(HOURS_VERIFIED)
async def award_hours(message: signals.SignalMessage) -> None:
    await points.award_for_hours(message.payload, expire_months=_policy["expire_months"])


def register(settings: Settings | None = None) -> None:
    """(Re)register the listeners; with the app's settings, also how long points last
    (``points_expire_months``)."""
    if settings is not None:
        _policy["expire_months"] = max(0, settings.points_expire_months)
    signals.listen(ATTENDANCE_RECORDED)(award_attendance)
    signals.listen(HOURS_VERIFIED)(award_hours)


register()
