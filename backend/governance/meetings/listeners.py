"""How meetings hear events: a ticket scanned at a meeting's door is an attendance of the meeting
(the door is events'), kept here with the person's estate kind for the board's participation
counts and so that attendees are told what became of the meeting. Idempotent: one row per
registration, a signal heard twice adds nothing."""

from __future__ import annotations

from backend.core import clock
from backend.core.signals import SignalMessage
from backend.events.api import AttendanceRecorded
from backend.governance.meetings.tables import Attendance, Meeting
from backend.places.api import residence_of


async def attendance_recorded(message: SignalMessage[AttendanceRecorded]) -> None:
    payload = message.payload
    meeting = await Meeting.select(Meeting.id).where(Meeting.event == payload.event_id).first()
    if meeting is None:
        return
    home = await residence_of(payload.user_id)
    await Attendance.insert(
        Attendance(
            meeting=meeting["id"],
            user=payload.user_id,
            registration=payload.registration_id,
            estate=home.estate_id if home else None,
            estate_kind=home.estate_kind if home else "",
            at=payload.checked_in_at or clock.now(),
        )
    ).on_conflict(target=Attendance.registration, action="DO NOTHING")


LISTENERS = ((AttendanceRecorded, attendance_recorded),)
