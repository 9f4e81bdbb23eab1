"""Governance meetings in a person's export and erasure.

The export holds every submission the person wrote (with its meeting, item, status and any
reason) and every meeting they attended. Erasure: an accepted submission stays as part of the
meeting's public record (what residents said, which its decisions answer), but anonymised — no
author, never named again; pending and declined ones are deleted. Attendances keep only the estate
kind (the board's counts), pointing at nobody; what staff recorded (a moderation, an action's
update, a convening) stops naming them.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.core import clock
from backend.core.db import transaction
from backend.governance.meetings.tables import ActionUpdate, Attendance, Meeting, Submission, SubmissionStatus


async def export_meetings(user_id: uuid.UUID) -> dict[str, Any]:
    submissions = (
        await Submission.select(
            Submission.id,
            Submission.meeting,
            Submission.meeting._.event._.title.as_alias("meeting_title"),
            Submission.item.title.as_alias("item_title"),
            Submission.text,
            Submission.named,
            Submission.status,
            Submission.reason,
            Submission.created_at,
            Submission.decided_at,
        )
        .where(Submission.user == user_id)
        .order_by(Submission.created_at)
        .output(load_json=True)
    )
    attended = (
        await Attendance.select(
            Attendance.meeting, Attendance.meeting._.event._.title.as_alias("meeting_title"), Attendance.at
        )
        .where(Attendance.user == user_id)
        .order_by(Attendance.at)
        .output(load_json=True)
    )
    return {
        "submissions": [
            {
                **row,
                "id": str(row["id"]),
                "meeting": str(row["meeting"]),
                "created_at": clock.iso(row["created_at"]),
                "decided_at": clock.iso(row["decided_at"]) if row["decided_at"] else None,
            }
            for row in submissions
        ],
        "attended": [
            {"meeting": str(row["meeting"]), "meeting_title": row["meeting_title"], "at": clock.iso(row["at"])}
            for row in attended
        ],
    }


async def erase_meetings(user_id: uuid.UUID) -> None:
    async with transaction(Submission._meta.db):
        await Submission.delete().where(
            (Submission.user == user_id) & (Submission.status != SubmissionStatus.accepted.value)
        )
        await Submission.update({Submission.user: None, Submission.named: False}).where(Submission.user == user_id)
        await Submission.update({Submission.decided_by: None}).where(Submission.decided_by == user_id)
        await Attendance.update({Attendance.user: None, Attendance.estate: None}).where(Attendance.user == user_id)
        await ActionUpdate.update({ActionUpdate.by: None}).where(ActionUpdate.by == user_id)
        await Meeting.update({Meeting.convenor: None}).where(Meeting.convenor == user_id)
