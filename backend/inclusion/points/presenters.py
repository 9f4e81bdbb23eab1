"""Points as the API shows them: each entry's reason as a sentence in the reader's language, each
rule with its name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.core.i18n import N_, _, format_hours, pick
from backend.core.values import as_uuid
from backend.inclusion.points.queries import PointsPage
from backend.inclusion.points.rules import Rule
from backend.inclusion.points.schemas import PointEntryRead, PointRuleRead, PointsRead
from backend.inclusion.points.tables import PointReason, PointRuleKind

# Each reason's sentence; {event} and {reward} are picked in the reader's locale.
REASON_TEXTS: Mapping[str, str] = {
    PointReason.attendance.value: N_("Attended: {event}"),
    PointReason.first_event.value: N_("Your first event: {event}"),
    PointReason.first_event_after_arrival.value: N_("Welcome to the neighbourhood: {event}"),
    PointReason.youth_bonus.value: N_("Youth bonus: {event}"),
    PointReason.brought_neighbour.value: N_("Brought a neighbour to: {event}"),
    PointReason.meeting_opinion.value: N_("Your opinion was heard: {meeting}"),
    PointReason.survey_answer.value: N_("Answered: {survey}"),
    PointReason.volunteer_hours.value: N_("Volunteer service: {hours} h"),
    PointReason.redemption.value: N_("Redeemed: {reward}"),
    PointReason.redemption_refund.value: N_("Refunded: {reward}"),
    PointReason.expiry.value: N_("Points expired"),
    PointReason.adjustment.value: N_("Adjusted by staff"),
}
HOURS_CORRECTED = N_("Volunteer hours corrected: {hours} h")

RULE_NAMES: Mapping[PointRuleKind, str] = {
    PointRuleKind.attendance: N_("Attending an event"),
    PointRuleKind.first_event: N_("Your first event ever"),
    PointRuleKind.first_event_after_arrival: N_("Your first event within 90 days of moving here"),
    PointRuleKind.volunteer_hour: N_("Each verified volunteer hour"),
    PointRuleKind.youth_bonus: N_("Youth bonus (ages 14 to 35), per event"),
    PointRuleKind.brought_neighbour: N_("Each neighbour who came through your share card"),
    PointRuleKind.meeting_opinion: N_("Each opinion accepted for a community meeting"),
    PointRuleKind.survey_answer: N_("Each community survey or evaluation answered"),
}


def _named(value: Any) -> str:
    """A title or name kept per locale ({locale: text}), or a plain string from older rows."""
    if isinstance(value, Mapping):
        return pick(value)[0]
    return str(value or "")


def _minutes(params: Mapping[str, Any]) -> int:
    """The minutes an hours entry names: ``minutes`` as awards write it, else ``hours`` (rows
    written with hours only, as the demo once did, would otherwise read "0 h")."""
    if params.get("minutes") is not None:
        return int(params["minutes"])
    return round(float(params.get("hours") or 0) * 60)


def reason_text(reason: str, params: Mapping[str, Any] | None) -> str:
    """The entry's reason as a sentence in the current locale."""
    params = params or {}
    template = REASON_TEXTS.get(reason)
    if template is None:
        return reason
    if reason == PointReason.volunteer_hours.value:
        minutes = _minutes(params)
        return _(HOURS_CORRECTED if minutes < 0 else template).format(hours=format_hours(abs(minutes)))
    return _(template).format(
        event=_named(params.get("event")),
        reward=_named(params.get("reward")),
        meeting=_named(params.get("meeting")),
        survey=_named(params.get("survey")),
    )


def entry_read(row: Mapping[str, Any]) -> PointEntryRead:
    return PointEntryRead(
        id=as_uuid(row["id"]),
        points=row["points"],
        reason=row["reason"],
        reason_text=reason_text(row["reason"], row["reason_params"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


def points_read(page: PointsPage) -> PointsRead:
    return PointsRead(
        balance=page.balance,
        expiring_soon=page.expiring_soon,
        entries=[entry_read(row) for row in page.entries],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


def rules_read(rules: Mapping[PointRuleKind, Rule]) -> list[PointRuleRead]:
    """Every kind, in the order of PointRuleKind, as it applies."""
    return [
        PointRuleRead(
            kind=kind.value,
            name=_(RULE_NAMES[kind]),
            points=rule.points,
            daily_cap=rule.daily_cap,
            per_activity_cap=rule.per_activity_cap,
            active=rule.active,
            source=rule.source,
        )
        for kind, rule in ((kind, rules[kind]) for kind in PointRuleKind)
    ]
