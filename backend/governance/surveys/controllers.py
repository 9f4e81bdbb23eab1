"""HTTP for governance surveys: surveys and votes, advisory owners' polls and yearly evaluations
(民主评议). What is asked is public; answering needs a resident who lives in the audience; results
are published when a survey closes, suppressed where few answered."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post, put
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from backend.core.auth import requires_login
from backend.core.context import Principal
from backend.core.openapi import problems
from backend.governance.surveys import presenters, queries, results, services
from backend.governance.surveys.schemas import (
    AnswersIn,
    CompanyScoresRead,
    EvaluationCreate,
    OwnerPollCreate,
    ResponseIn,
    ResultsRead,
    SurveyCreate,
    SurveyRead,
)

LOGIN: dict[str, Any] = {"guards": [requires_login], "security": [{"bearer": []}]}


async def _survey(survey_id: uuid.UUID, viewer: uuid.UUID | None) -> SurveyRead:
    shown = await queries.survey(survey_id, viewer=viewer)
    return presenters.survey(shown.row, shown.state, show_answers=shown.show_answers)


class SurveyController(Controller):
    path = "/api/v1/surveys"
    tags = ["surveys"]

    @get(operation_id="list_surveys", summary="A community's surveys, owners' polls and evaluations")
    async def list_surveys(
        self,
        visitor: Principal | None,
        community_id: uuid.UUID,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> list[SurveyRead]:
        found = await queries.list_surveys(
            community_id=community_id, viewer=visitor.id if visitor else None, limit=limit
        )
        return [presenters.survey(s.row, s.state, show_answers=s.show_answers) for s in found]

    @post(
        operation_id="create_survey",
        summary="Start a survey or vote for the community, one of its estates, its alliance or a grid",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 422),
        **LOGIN,
    )
    async def create(self, caller: Principal, data: JSONBody[SurveyCreate]) -> SurveyRead:
        return await _survey(await services.create_survey(user_id=caller.id, data=data), caller.id)

    @get("/{survey_id:uuid}", operation_id="get_survey", summary="A survey and its questions", responses=problems(404))
    async def get_survey(self, visitor: Principal | None, survey_id: uuid.UUID) -> SurveyRead:
        return await _survey(survey_id, visitor.id if visitor else None)

    @post(
        "/{survey_id:uuid}/answers",
        operation_id="answer_survey",
        summary="Answer a survey once (once per household where it says so); the answer is not kept with your name",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 403, 404, 409, 422),
        **LOGIN,
    )
    async def answer(self, caller: Principal, survey_id: uuid.UUID, data: JSONBody[AnswersIn]) -> None:
        await services.answer(user_id=caller.id, survey_id=survey_id, answers=data.answers)

    @get(
        "/{survey_id:uuid}/results",
        operation_id="survey_results",
        summary="A closed survey's results, small counts suppressed",
        responses=problems(404, 409),
    )
    async def results(self, survey_id: uuid.UUID) -> ResultsRead:
        return presenters.published(await results.read_results(survey_id))


class OwnerPollController(Controller):
    path = "/api/v1/owner-polls"
    tags = ["surveys"]

    @post(
        operation_id="create_owner_poll",
        summary="Start an advisory owners' poll (业主表决) of an estate whose units are imported",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 422),
        **LOGIN,
    )
    async def create(self, caller: Principal, data: JSONBody[OwnerPollCreate]) -> SurveyRead:
        return await _survey(await services.create_poll(user_id=caller.id, data=data), caller.id)


class EvaluationController(Controller):
    path = "/api/v1/evaluations"
    tags = ["surveys"]

    @post(
        operation_id="create_evaluation",
        summary="Start the year's evaluation (民主评议) of an estate's property company or residents' committee",
        status_code=HTTP_201_CREATED,
        responses=problems(401, 403, 404, 409, 422),
        **LOGIN,
    )
    async def create(self, caller: Principal, data: JSONBody[EvaluationCreate]) -> SurveyRead:
        return await _survey(await services.create_evaluation(user_id=caller.id, data=data), caller.id)

    @put(
        "/{survey_id:uuid}/response",
        operation_id="write_evaluation_response",
        summary="The evaluated body's written response beside its scores (its own staff)",
        status_code=HTTP_204_NO_CONTENT,
        responses=problems(401, 403, 404, 422),
        **LOGIN,
    )
    async def respond(self, caller: Principal, survey_id: uuid.UUID, data: JSONBody[ResponseIn]) -> None:
        await services.write_response(user_id=caller.id, survey_id=survey_id, data=data)


class CompanyScoresController(Controller):
    path = "/api/v1/property-companies"
    tags = ["surveys"]

    @get(
        "/{company_id:uuid}/evaluations",
        operation_id="property_company_evaluations",
        summary="A property company's published evaluation scores of a year, estate by estate, and its report record",
        responses=problems(404),
    )
    async def scores(
        self,
        company_id: uuid.UUID,
        year: Annotated[int, Parameter(ge=2000, le=2100, description="the calendar year evaluated")],
    ) -> CompanyScoresRead:
        return presenters.company_year(company_id, year, await results.company_year(company_id, year))


CONTROLLERS: tuple[Any, ...] = (SurveyController, OwnerPollController, EvaluationController, CompanyScoresController)
