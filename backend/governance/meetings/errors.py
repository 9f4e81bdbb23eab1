"""The meetings' refusals, each once: services raise them, the OpenAPI document shows them."""

from __future__ import annotations

from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_


def meeting_not_found() -> NotFound:
    return NotFound("meeting_not_found", N_("This meeting does not exist."))


def submission_not_found() -> NotFound:
    return NotFound("submission_not_found", N_("This submission does not exist."))


def action_not_found() -> NotFound:
    return NotFound("action_not_found", N_("This action does not exist."))


def community_not_found() -> NotFound:
    return NotFound("community_not_found", N_("This community does not exist."))


def not_a_community() -> DomainError:
    return DomainError("not_a_community", N_("Meetings are convened by a community."), status=422)


def party_elsewhere() -> DomainError:
    return DomainError(
        "party_elsewhere",
        N_(
            "A party must be a street, residents' committee, police station, owners' committee, property "
            "company or city management serving this community."
        ),
        status=422,
    )


def audience_elsewhere() -> DomainError:
    return DomainError(
        "audience_elsewhere", N_("The audience must be estates, the alliance or a grid of this community."), status=422
    )


def text_required(field: str) -> DomainError:
    return DomainError(
        "text_required", N_("Write {field} in at least one language."), params={"field": field}, status=422
    )


def report_elsewhere() -> DomainError:
    return DomainError(
        "report_elsewhere", N_("An agenda item can take up only reports made in this community."), status=422
    )


def item_not_in_meeting() -> DomainError:
    return DomainError("agenda_item_not_found", N_("This agenda item is not on this meeting's agenda."), status=422)


def not_in_audience() -> DomainError:
    return DomainError(
        "not_in_audience",
        N_("This meeting is for residents of other estates. Say where you live to take part."),
        status=403,
    )


def submissions_closed() -> DomainError:
    return DomainError("submissions_closed", N_("Opinions are taken only until the meeting begins."), status=409)


def submission_limit(limit: int) -> DomainError:
    return DomainError(
        "submission_limit",
        N_("You have already sent {limit} opinions on this item."),
        params={"limit": limit},
        status=409,
    )


def submission_text_invalid() -> DomainError:
    return DomainError(
        "submission_text_invalid", N_("Write your opinion as text, without control characters."), status=422
    )


def text_refused() -> DomainError:
    return DomainError(
        "text_refused", N_("This text cannot be sent. Please put your opinion in other words."), status=422
    )


def already_decided() -> DomainError:
    return DomainError("submission_decided", N_("This submission has already been accepted or declined."), status=409)


def reason_required() -> DomainError:
    return DomainError("reason_required", N_("Say why the submission is declined."), status=422)


def meeting_not_draft() -> DomainError:
    return DomainError("meeting_not_draft", N_("This meeting has already been announced."), status=409)


def meeting_not_held() -> DomainError:
    return DomainError("meeting_not_held", N_("Minutes can be published once the meeting has begun."), status=409)


def minutes_published() -> DomainError:
    return DomainError(
        "minutes_already_published", N_("The minutes of this meeting are already published."), status=409
    )


def owner_not_party() -> DomainError:
    return DomainError(
        "owner_not_party", N_("An action's owner must be one of the meeting's parties or the community."), status=422
    )


def action_closed() -> DomainError:
    return DomainError("action_closed", N_("This action is done or dropped and cannot change."), status=409)


def action_changed_meanwhile() -> DomainError:
    return DomainError(
        "action_changed_meanwhile", N_("Someone else updated this action just now: look again."), status=409
    )
