"""Awarding participation points from what happened: an attendance, verified volunteer hours.

Every award goes through ``ledger.append`` in a transaction that first holds the person
(``ledger.hold_person``): one person's awards happen one after another, so a cap is checked
against committed rows and a concurrent award cannot slip past it. A cap cuts an award down; cut
to nothing, nothing is written. Each award has a ``source_key`` derived from what caused it, so a
replayed signal or a duplicate delivery never awards twice.

``reason_params`` keep what the localised reason shows (the event's title per locale, the hours),
never another person's name. A redemption (rewards) writes ``{"reward": {locale: name}}``.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from piccolo.query.functions.aggregate import Sum

from backend.accounts.api import person
from backend.core import clock
from backend.core.db import transaction
from backend.core.i18n import CITY_TZ
from backend.core.values import as_uuid
from backend.events.api import Attendance, AttendanceRecorded, attendance, attended_earlier
from backend.inclusion.points import ledger
from backend.inclusion.points.rules import Rule, rules_for
from backend.inclusion.points.tables import PointEntry, PointReason, PointRuleKind
from backend.inclusion.profiles.queries import profile_of
from backend.inclusion.profiles.services import age_band
from backend.volunteers.api import HoursVerified, correction_family, hours_of

ARRIVAL_WINDOW_DAYS = 90

_REASONS: Mapping[PointRuleKind, PointReason] = {
    PointRuleKind.attendance: PointReason.attendance,
    PointRuleKind.first_event: PointReason.first_event,
    PointRuleKind.first_event_after_arrival: PointReason.first_event_after_arrival,
    PointRuleKind.volunteer_hour: PointReason.volunteer_hours,
    PointRuleKind.youth_bonus: PointReason.youth_bonus,
    PointRuleKind.brought_neighbour: PointReason.brought_neighbour,
    PointRuleKind.meeting_opinion: PointReason.meeting_opinion,
    PointRuleKind.survey_answer: PointReason.survey_answer,
}


@dataclass(frozen=True)
class Award:
    """One award before its caps: who, how many points, under which rule, and why."""

    user_id: uuid.UUID
    rule: Rule
    points: int
    source_key: str
    community_id: uuid.UUID | None
    earned_on: date
    activity_key: str = ""
    reason_params: Mapping[str, Any] = field(default_factory=dict)


def add_months(moment: datetime, months: int) -> datetime:
    """The same moment ``months`` later; the 31st becomes the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _expiry(expire_months: int) -> datetime | None:
    return add_months(clock.now(), expire_months) if expire_months > 0 else None


async def _sum(where: Any) -> int:
    row = await PointEntry.select(Sum(PointEntry.points).as_alias("total")).where(where).first()
    return int((row or {}).get("total") or 0)


async def _capped(award: Award, reason: PointReason) -> int:
    """The award cut down by the rule's daily and per-activity caps (never below zero)."""
    points, rule = award.points, award.rule
    mine = (PointEntry.user == award.user_id) & (PointEntry.reason == reason.value)
    if rule.daily_cap is not None:
        used = await _sum(mine & (PointEntry.earned_on == award.earned_on))
        points = min(points, rule.daily_cap - used)
    if rule.per_activity_cap is not None and award.activity_key:
        used = await _sum(mine & (PointEntry.activity_key == award.activity_key))
        points = min(points, rule.per_activity_cap - used)
    return max(0, points)


async def _grant(award: Award, expire_months: int) -> int:
    """Inside a transaction holding the person: the points written for this award (0: none)."""
    reason = _REASONS[award.rule.kind]
    if await PointEntry.exists().where(PointEntry.source_key == award.source_key):
        return 0  # already awarded: a replay changes nothing
    points = await _capped(award, reason)
    if points <= 0:
        return 0
    written = await ledger.append(
        user_id=award.user_id,
        points=points,
        reason=reason,
        source_key=award.source_key,
        community_id=award.community_id,
        reason_params=award.reason_params,
        activity_key=award.activity_key,
        earned_on=award.earned_on,
        expires_at=_expiry(expire_months),
    )
    return points if written else 0


async def _grant_all(user_id: uuid.UUID, awards: list[Award], expire_months: int) -> int:
    if not awards:
        return 0
    async with transaction(PointEntry._meta.db):
        await ledger.hold_person(user_id)
        return sum([await _grant(award, expire_months) for award in awards])


async def _earner(user_id: uuid.UUID, today: date) -> tuple[bool, str | None]:
    """(may earn, age band): deleted accounts earn nothing, nor does anyone under 14 (children
    take part as a guardian's dependants)."""
    found = await person(user_id)
    if found is None or found.deleted:
        return False, None
    band = age_band(found.birth_year, today)
    return band != "child", band


# --- attendance ------------------------------------------------------------------------------------


def _city_day(moment: datetime) -> date:
    """The city date of a moment: daily caps and the arrival window count city days."""
    return moment.astimezone(CITY_TZ).date()


def _arrived_lately(arrival_month: date | None, day: date) -> bool:
    return arrival_month is not None and 0 <= (day - arrival_month).days <= ARRIVAL_WINDOW_DAYS


async def _attendee_awards(
    found: Attendance, band: str | None, community_id: uuid.UUID | None, rules: Mapping[PointRuleKind, Rule]
) -> list[Award]:
    user_id, day = found.user_id, _city_day(found.checked_in_at)
    registration, event = found.registration_id, found.event_id
    base: dict[str, Any] = {
        "user_id": user_id,
        "community_id": community_id,
        "earned_on": day,
        "activity_key": f"event:{event}",
        "reason_params": {"event": found.event_title, "event_id": str(event)},
    }

    def award(kind: PointRuleKind, source_key: str) -> Award:
        return Award(rule=rules[kind], points=rules[kind].awards, source_key=source_key, **base)

    awards = [award(PointRuleKind.attendance, f"attend:{registration}")]
    profile = await profile_of(user_id)
    if not await attended_earlier(found):
        awards.append(award(PointRuleKind.first_event, f"first_event:{user_id}"))
        if profile is not None and _arrived_lately(profile.arrival_month, day):
            awards.append(award(PointRuleKind.first_event_after_arrival, f"first_arrival:{user_id}"))
    if band == "youth":
        awards.append(award(PointRuleKind.youth_bonus, f"youth:{registration}"))
    return awards


async def _event_community(found: Attendance) -> uuid.UUID | None:
    """Where the event happened (its venue's community); else the attendee's home community."""
    if found.community_id is not None:
        return found.community_id
    profile = await profile_of(found.user_id)
    return as_uuid(profile.community) if profile is not None and profile.community is not None else None


async def award_for_attendance(signal: AttendanceRecorded, *, expire_months: int = 0) -> int:
    """Points for a checked-in registration (``events.attendance_recorded``): attendance, a first
    event, a first event after arrival, the youth bonus, and the neighbour who brought them.
    Returns the points written now (0 on a replay)."""
    found = await attendance(signal.registration_id)
    if found is None:
        return 0
    day = _city_day(found.checked_in_at)
    community_id = await _event_community(found)
    rules = await rules_for(community_id)
    may_earn, band = await _earner(found.user_id, day)
    if not may_earn:
        return 0
    written = await _grant_all(found.user_id, await _attendee_awards(found, band, community_id, rules), expire_months)
    return written + await _award_referrer(found, community_id, rules, expire_months)


async def _award_referrer(
    found: Attendance, community_id: uuid.UUID | None, rules: Mapping[PointRuleKind, Rule], expire_months: int
) -> int:
    """Bring a neighbour: credited when the neighbour is checked in, never at their sign-up."""
    referrer = found.referred_by
    if referrer is None or referrer == found.user_id:
        return 0
    day, event = _city_day(found.checked_in_at), found.event_id
    if not (await _earner(referrer, day))[0]:
        return 0
    rule = rules[PointRuleKind.brought_neighbour]
    award = Award(
        user_id=referrer,
        rule=rule,
        points=rule.awards,
        source_key=f"neighbour:{found.registration_id}",
        community_id=community_id,
        earned_on=day,
        activity_key=f"event:{event}",
        reason_params={"event": found.event_title, "event_id": str(event)},
    )
    # Its own transaction: holding two people at once could deadlock with the mirror-image award.
    return await _grant_all(referrer, [award], expire_months)


# --- volunteer hours -------------------------------------------------------------------------------


async def award_for_hours(signal: HoursVerified, *, expire_months: int = 0) -> int:
    """Points for verified hours (``volunteers.hours_verified``): minutes × rate / 60, rounded down.
    A correction that takes minutes away takes points away the same way, never more than that
    entry (with its corrections) awarded. Returns the points written now (negative: taken)."""
    entry_id, user_id, community_id = signal.entry_id, signal.user_id, signal.community_id
    minutes, day = signal.minutes, signal.service_date
    rule = (await rules_for(community_id))[PointRuleKind.volunteer_hour]
    points = abs(minutes) * rule.awards // 60
    award = Award(
        user_id=user_id,
        rule=rule,
        points=points,
        source_key=f"hours:{entry_id}",
        community_id=community_id,
        earned_on=day,
        activity_key=f"team:{signal.team_id}",
        reason_params={"minutes": minutes, "hours": hours_of(minutes)},
    )
    if minutes >= 0:
        return await _grant_all(user_id, [award], expire_months) if (await _earner(user_id, day))[0] else 0
    return -await _take_back(entry_id, award)


async def _hours_family(entry_id: uuid.UUID) -> list[str]:
    """Source keys of the entry a correction corrects and of every correction of it."""
    return [f"hours:{member}" for member in await correction_family(entry_id)]


async def _take_back(entry_id: uuid.UUID, award: Award) -> int:
    family = await _hours_family(entry_id)
    async with transaction(PointEntry._meta.db):
        await ledger.hold_person(award.user_id)
        if await PointEntry.exists().where(PointEntry.source_key == award.source_key):
            return 0
        granted = await _sum(PointEntry.source_key.is_in(family))
        points = min(award.points, granted, await ledger.balance(award.user_id))
        if points <= 0:
            return 0
        written = await ledger.append(
            user_id=award.user_id,
            points=-points,
            reason=PointReason.volunteer_hours,
            source_key=award.source_key,
            community_id=award.community_id,
            reason_params=award.reason_params,
            activity_key=award.activity_key,
            earned_on=award.earned_on,
        )
        return points if written else 0


# --- taking part in self-governance (governance calls this through inclusion's api) --------------


async def award_for_a_say(
    *,
    user_id: uuid.UUID,
    kind: PointRuleKind,
    source_key: str,
    community_id: uuid.UUID | None,
    reason_params: Mapping[str, Any],
    expire_months: int = 0,
) -> int:
    """Points for an opinion accepted for a meeting (``meeting_opinion``) or a survey answered
    (``survey_answer``), under the community's rules, once per ``source_key``. Called inside the
    caller's own transaction (it joins it), so the points stand or fall with what earned them.
    Returns the points written (0 on a replay, a switched-off rule, a child, a cap reached)."""
    if kind not in (PointRuleKind.meeting_opinion, PointRuleKind.survey_answer):
        raise ValueError(f"not a governance rule: {kind}")
    day = clock.city_today()
    may_earn, _band = await _earner(user_id, day)
    if not may_earn:
        return 0
    rule = (await rules_for(community_id))[kind]
    if not rule.active:
        return 0
    award = Award(
        user_id=user_id,
        rule=rule,
        points=rule.awards,
        source_key=source_key,
        community_id=community_id,
        earned_on=day,
        reason_params=reason_params,
    )
    return await _grant_all(user_id, [award], expire_months)
