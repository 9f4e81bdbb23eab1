"""Shaping notifications for the API: inbox entries worded at read time, in the reader's language
(the request's locale), and the caller's subscribe-message budgets."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from babel.dates import format_date

from backend.core.i18n import N_, _, babel_locale, format_datetime
from backend.core.values import as_uuid
from backend.governance.api import IncidentStatus, party_name
from backend.notifications import texts
from backend.notifications.schemas import NoticePage, NoticeRead, SubscriptionKindRead, SubscriptionsRead
from backend.notifications.subscriptions import Subscriptions
from backend.notifications.tables import NoticeKind

Wording = Callable[[texts.Params], tuple[str, str]]
_REFERENCES = (
    "event_id",
    "registration_id",
    "shift_id",
    "incident_id",
    "redemption_id",
    "meeting_id",
    "action_id",
    "survey_id",
)


def _event(params: texts.Params) -> dict[str, str]:
    return {
        "title": texts.event_title(params),
        "time": format_datetime(texts.moment(params)),
        "venue": texts.text(params, "venue") or "-",
    }


def _shift(params: texts.Params) -> dict[str, str]:
    return {
        "title": texts.shift_title(params),
        "time": format_datetime(texts.moment(params)),
        "team": texts.text(params, "team") or "-",
    }


def _party(params: texts.Params) -> str:
    try:
        return party_name(str(params.get("party")))
    except ValueError:
        return _("the responsible party")


def _survey(params: texts.Params) -> tuple[str, str]:
    title = texts.text(params, "title")
    if params.get("year"):
        title = _("{year} evaluation of {body}").format(year=params["year"], body=title)
    closes = format_datetime(texts.moment(params, "closes_at"))
    if params.get("kind") == "evaluation":
        return _("Evaluation open"), _("{title} is open until {time}: one answer per household.").format(
            title=title, time=closes
        )
    return _("Survey open"), _("{title} is open for you until {time}.").format(title=title, time=closes)


def _incident(params: texts.Params) -> tuple[str, str]:
    status = params.get("status")
    if status == IncidentStatus.resolved.value:
        body = _("Your report has been resolved. Thank you for looking out for your neighbourhood.")
    elif status == IncidentStatus.forwarded.value:
        body = _("Your report has been forwarded to {party}.").format(party=_party(params))
    elif status == IncidentStatus.acknowledged.value:
        body = _("Your report has been acknowledged. It is being handled by {party}.").format(party=_party(params))
    else:
        body = _("Your report has been received and passed to {party}.").format(party=_party(params))
    return _("Update on your report"), body


def _hours(params: texts.Params) -> tuple[str, str]:
    team = texts.text(params, "team") or "-"
    hours = texts.hours(int(params.get("minutes", 0)))
    if texts.is_correction(params):
        sign = "-" if int(params.get("minutes", 0)) < 0 else "+"
        return _("Hours corrected"), _("Your verified hours with {team} were corrected by {hours} hours.").format(
            team=team, hours=f"{sign}{hours}"
        )
    day = format_date(texts.day(params, "service_date"), "medium", locale=babel_locale())
    return _("Hours verified"), _("{hours} hours of your service with {team} on {date} have been verified.").format(
        hours=hours, team=team, date=day
    )


def _reward(params: texts.Params) -> tuple[str, str]:
    body = _("{reward} is set aside for you. Show the pickup code {code} at {place}.").format(
        reward=texts.text(params, "reward") or "-",
        code=params.get("pickup_code", ""),
        place=texts.text(params, "community") or "-",
    )
    return _("Reward ready for pickup"), body


def _action(params: texts.Params) -> tuple[str, str]:
    status = params.get("status")
    words = {
        "planned": _("planned"),
        "in_progress": _("in progress"),
        "done": _("done"),
        "dropped": _("dropped"),
    }
    return _("Update on what the meeting decided"), _("{action} ({meeting}) is now {status}.").format(
        action=texts.text(params, "title", N_("An action")),
        meeting=texts.text(params, "meeting", N_("Meeting")),
        status=words.get(str(status), str(status)),
    )


WORDINGS: Mapping[NoticeKind, Wording] = {
    NoticeKind.registration_confirmed: lambda p: (
        _("Registration confirmed"),
        _("You have a place at {title} on {time} at {venue}.").format(**_event(p)),
    ),
    NoticeKind.registration_waitlisted: lambda p: (
        _("You are on the waitlist"),
        _("You are number {position} on the waitlist for {title}. We will let you know if a place frees up.").format(
            position=p.get("position") or 1, title=texts.event_title(p)
        ),
    ),
    NoticeKind.registration_promoted: lambda p: (
        _("You got a place"),
        _("A place freed up: you are now confirmed for {title} on {time} at {venue}.").format(**_event(p)),
    ),
    NoticeKind.event_changed: lambda p: (
        _("Event changed"),
        _("{title} has changed ({changes}). It now takes place on {time} at {venue}.").format(
            changes=texts.changes(p), **_event(p)
        ),
    ),
    NoticeKind.event_cancelled: lambda p: (
        _("Event cancelled"),
        _("{title} on {time} has been cancelled by the organiser.").format(**_event(p)),
    ),
    NoticeKind.event_reminder: lambda p: (
        _("Event reminder"),
        _("{title} starts in {hours} hours: {time} at {venue}.").format(hours=p.get("hours", 2), **_event(p)),
    ),
    NoticeKind.shift_reminder: lambda p: (
        _("Shift reminder"),
        _("Your shift {title} with {team} begins on {time}.").format(**_shift(p)),
    ),
    NoticeKind.shift_cancelled: lambda p: (
        _("Shift cancelled"),
        _("The coordinator has called off the shift {title} on {time}.").format(**_shift(p)),
    ),
    NoticeKind.hours_verified: _hours,
    NoticeKind.reward_ready: _reward,
    NoticeKind.incident_changed: _incident,
    NoticeKind.minutes_published: lambda p: (
        _("Minutes published"),
        _("The minutes of {meeting} are out, with what was decided and who will act on it.").format(
            meeting=texts.text(p, "meeting", N_("Meeting"))
        ),
    ),
    NoticeKind.action_changed: _action,
    NoticeKind.survey_opened: _survey,
}


def notice_read(row: Mapping[str, Any]) -> NoticeRead:
    params = row["params"] or {}
    title, body = WORDINGS[NoticeKind(row["kind"])](params)
    references = {name: as_uuid(params[name]) for name in _REFERENCES if params.get(name)}
    return NoticeRead(
        id=row["id"],
        kind=row["kind"],
        title=title,
        body=body,
        created_at=row["created_at"],
        read_at=row["read_at"],
        **references,
    )


def notice_page(rows: Sequence[Mapping[str, Any]], *, unread_count: int, limit: int, offset: int) -> NoticePage:
    return NoticePage(items=[notice_read(row) for row in rows], unread_count=unread_count, limit=limit, offset=offset)


def subscriptions_read(found: Subscriptions) -> SubscriptionsRead:
    return SubscriptionsRead(
        template_ids=found.template_ids,
        kinds=[
            SubscriptionKindRead(
                kind=budget.kind.value,
                template_id=budget.template_id,
                remaining=budget.remaining,
                priority=budget.priority,
            )
            for budget in found.kinds
        ],
    )
