"""The public board (居务公开) of a community: every meeting whose minutes are published, with what
was decided, by whom, what has been done since and what is overdue ("you said, we did"), and who
took part, counted by estate kind and age band with every cell under five people suppressed."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import date
from typing import Any

from babel.dates import format_date

from backend.accounts.api import organisation, people
from backend.core import clock
from backend.core.i18n import N_, _, as_city_time, babel_locale, pick
from backend.core.values import as_uuid
from backend.governance.meetings import errors, presenters, queries
from backend.governance.meetings.schemas import BoardMeeting, BoardRead, BoardTotals, OverdueAction, ParticipationCell
from backend.governance.meetings.tables import Attendance, Meeting, MeetingStatus, Submission
from backend.inclusion.api import age_band

SMALL_CELL = 5  # as in inclusion's participation statistics
MEETINGS_SHOWN = 50

ESTATE_KIND_NAMES: Mapping[str, str] = {
    "commercial": N_("Commercial housing"),
    "affordable": N_("Affordable housing"),
    "improved": N_("Improved housing"),
    "resettlement": N_("Resettlement housing"),
    "": N_("Estate not given"),
}
AGE_BAND_NAMES: Mapping[str, str] = {
    "child": N_("Under 14"),
    "youth": N_("14 to 35"),
    "adult": N_("36 to 59"),
    "senior": N_("60 and over"),
    "": N_("Age not given"),
}


def _cells(counts: Counter[str], names: Mapping[str, str]) -> list[ParticipationCell]:
    return [
        ParticipationCell(group=group, name=_(names[group]), people=n if n >= SMALL_CELL else None)
        for group, n in sorted(counts.items())
        if group in names
    ]


async def _participants(meeting_ids: list[Any]) -> dict[uuid.UUID, list[tuple[Any, str]]]:
    """Per meeting, each person who submitted or attended once: (user or None, estate kind)."""
    ids = meeting_ids or [uuid.uuid4()]
    found: dict[uuid.UUID, dict[Any, str]] = {}
    for table in (Submission, Attendance):
        rows = await table.select(table.meeting, table.user, table.estate_kind, table.id).where(
            table.meeting.is_in(ids)
        )
        for row in rows:
            # An erased person (user null) still counted once per row, by the estate kind kept.
            key = row["user"] if row["user"] is not None else f"gone:{row['id']}"
            found.setdefault(as_uuid(row["meeting"]), {}).setdefault(key, row["estate_kind"])
    return {meeting: list(by_person.items()) for meeting, by_person in found.items()}


async def _participation(
    pairs: list[tuple[Any, str]], today: date
) -> tuple[list[ParticipationCell], list[ParticipationCell]]:
    kinds = Counter(kind or "" for _user, kind in pairs)
    born = await people(u for u, _kind in pairs if isinstance(u, uuid.UUID))
    bands: Counter[str] = Counter(
        (age_band(born[u].birth_year, today) or "") if isinstance(u, uuid.UUID) and u in born else ""
        for u, _kind in pairs
    )
    return _cells(kinds, ESTATE_KIND_NAMES), _cells(bands, AGE_BAND_NAMES)


async def community_board(community_id: uuid.UUID) -> BoardRead:
    community = await organisation(community_id)
    if community is None or community.kind != "community":
        raise errors.community_not_found()
    rows = (
        await Meeting.select(*queries.MEETING_COLUMNS)
        .where((Meeting.community == community_id) & (Meeting.status == MeetingStatus.concluded.value))
        .order_by(Meeting.event.starts_at, ascending=False)
        .limit(MEETINGS_SHOWN)
        .output(load_json=True)
    )
    details = await queries.details(list(rows))
    who = await _participants([row["id"] for row in rows])
    today = clock.city_today()
    meetings, overdue = [], []
    for detail in details:
        row = detail.row
        decisions = presenters.decisions(detail, today)
        by_kind, by_age = await _participation(who.get(as_uuid(row["id"]), []), today)
        meetings.append(
            BoardMeeting(
                id=as_uuid(row["id"]),
                kind=row["kind"],
                kind_name=presenters.kind_name(row["kind"]),
                title=presenters.text(row["title"]),
                question=presenters.text(row["question"]),
                held_on=format_date(as_city_time(row["starts_at"]).date(), format="long", locale=babel_locale()),
                starts_at=clock.utc(row["starts_at"]),
                parties=[
                    presenters.organisation(detail.organisations[as_uuid(p)])
                    for p in row["parties"]
                    if as_uuid(p) in detail.organisations
                ],
                said=sum(len(found) for found in detail.accepted.values()),
                minutes=presenters.text(row["minutes"]),
                decisions=decisions,
                participation_by_estate_kind=by_kind,
                participation_by_age_band=by_age,
            )
        )
        overdue += [
            OverdueAction(meeting_id=as_uuid(row["id"]), action=a) for d in decisions for a in d.actions if a.overdue
        ]
    actions = [a for m in meetings for d in m.decisions for a in d.actions]
    return BoardRead(
        community_id=community.id,
        community=pick(community.name)[0],
        totals=BoardTotals(
            decisions=sum(len(m.decisions) for m in meetings),
            actions=len(actions),
            done=sum(a.status == "done" for a in actions),
            in_progress=sum(a.status == "in_progress" for a in actions),
            overdue=len(overdue),
        ),
        meetings=meetings,
        overdue=overdue,
    )
