"""How inclusion reacts to other domains: points for attendances and for verified volunteer hours.

Listeners run after the upstream change committed, each award in a transaction of its own. A
signal may be delivered more than once (a retry, the sweeper); the awards' source keys make a
second delivery award nothing. How long points last comes from the running app's settings
(``pointsexpire_months_setting``; 0: never).
"""

from __future__ import annotations

from backend.core import runtime
from backend.core.signals import SignalMessage
from backend.events.api import AttendanceRecorded
from backend.inclusion.points import awards
from backend.volunteers.api import HoursVerified


def expire_months_setting() -> int:
    return max(0, runtime.current().settings.points_expire_months)


async def award_attendance(message: SignalMessage[AttendanceRecorded]) -> None:
    await awards.award_for_attendance(message.payload, expire_months=expire_months_setting())


async def award_hours(message: SignalMessage[HoursVerified]) -> None:
    await awards.award_for_hours(message.payload, expire_months=expire_months_setting())


LISTENERS = ((AttendanceRecorded, award_attendance), (HoursVerified, award_hours))
