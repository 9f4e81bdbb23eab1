"""The refusals of governance surveys, each once: services raise them, the OpenAPI document shows them."""

from __future__ import annotations

from typing import Any

from backend.core.errors import DomainError, NotFound
from backend.core.i18n import N_


def survey_not_found() -> NotFound:
    return NotFound("survey_not_found", N_("This survey does not exist."))


def estate_not_found() -> NotFound:
    return NotFound("estate_not_found", N_("This estate does not exist."))


def not_a_community() -> DomainError:
    return DomainError("not_a_community", N_("Surveys belong to a community."), status=422)


def audience_outside_community() -> DomainError:
    return DomainError(
        "audience_outside_community",
        N_("A survey is for the community itself or one of its estates, its alliance or one of its grids."),
        status=422,
    )


def closes_before_opening() -> DomainError:
    return DomainError("closes_before_opening", N_("A survey must close after it opens."), status=422)


def question_invalid(index: int, problem: str) -> DomainError:
    return DomainError(
        "question_invalid",
        N_("Question {number}: {problem}"),
        params={"number": index + 1, "problem": problem},
        status=422,
    )


def evaluation_exists() -> DomainError:
    return DomainError(
        "evaluation_exists", N_("This estate already has an evaluation of this body for this year."), status=409
    )


def no_property_company() -> DomainError:
    return DomainError("no_property_company", N_("This estate has no property company to evaluate."), status=422)


def no_units() -> DomainError:
    return DomainError(
        "no_units",
        N_("An owners' poll counts the estate's units: import its units (with floor areas) first."),
        status=422,
    )


def survey_not_open(params: dict[str, Any]) -> DomainError:
    return DomainError("survey_not_open", N_("This survey is not open for answers."), params=params, status=409)


def residence_required() -> DomainError:
    return DomainError(
        "residence_required", N_("Say where you live first: this survey is for the residents of a place."), status=403
    )


def unit_required() -> DomainError:
    return DomainError(
        "unit_required",
        N_("This survey is answered once per household: say which unit (门牌) you live in first."),
        status=403,
    )


def not_in_audience(place: str) -> DomainError:
    return DomainError(
        "not_in_audience",
        N_("This survey is for residents of {place}; you said you live elsewhere."),
        params={"place": place},
        status=403,
    )


def already_answered() -> DomainError:
    return DomainError("already_answered", N_("You have already answered this survey."), status=409)


def household_answered() -> DomainError:
    return DomainError(
        "household_answered",
        N_("Someone of your household has already answered: this survey takes one answer per household."),
        status=409,
    )


def answer_invalid(index: int, problem: str) -> DomainError:
    return DomainError(
        "answer_invalid",
        N_("Question {number}: {problem}"),
        params={"number": index + 1, "problem": problem},
        status=422,
    )


def results_not_published() -> DomainError:
    return DomainError("results_not_published", N_("The results are published when the survey closes."), status=409)


def not_an_evaluation() -> NotFound:
    return NotFound("evaluation_not_found", N_("This evaluation does not exist."))


def not_a_company() -> NotFound:
    return NotFound("company_not_found", N_("This property company does not exist."))


def forbidden_response() -> DomainError:
    return DomainError("response_not_yours", N_("Only the evaluated body's own staff write its response."), status=403)
