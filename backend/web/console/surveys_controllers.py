"""The surveys room (``/console/surveys``): a community's surveys and votes, advisory owners' polls
(业主表决) and yearly evaluations (民主评议), from starting them to their published results, and the
evaluated body's written response. The same services as the API's ``/api/v1/surveys``,
``/owner-polls`` and ``/evaluations`` (through ``governance.api``), with the API's request structs,
so the same permission checks and refusals: staff of another community are refused as the API
refuses them.

A survey's questions are repeated rows of the form (``q_<6 hex>``: its text in each language,
``_kind``, ``_options`` one per line in each language); the order they come in is the order sent,
and a refusal names the row's input."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.handlers import BaseRouteHandler
from litestar.response import Template

from backend.core import clock
from backend.core.context import Principal
from backend.core.errors import DomainError, Forbidden
from backend.core.i18n import N_, _
from backend.governance import api as governance
from backend.web.console.account_controllers import Form
from backend.web.console.edge import (
    city_time,
    fields_marked,
    form_values,
    go,
    page,
    parse_form,
    provide_me,
    row_token,
    signed_in,
    staff,
)
from backend.web.console.listing import Listing

ROOM = "/console/surveys"
ROW = re.compile(r"^q_(?P<row>r[0-9a-f]{6})(?:_(?P<part>kind|options))?$")
STATE_NAMES: Mapping[str, str] = {
    "upcoming": N_("Not yet open"),
    "open": N_("Taking answers"),
    "closed": N_("Closed, results published"),
}
KIND_NAMES: Mapping[str, str] = {
    "survey": N_("Survey"),
    "poll": N_("Owners' poll"),
    "evaluation": N_("Evaluation"),
}
QUESTION_KINDS: Mapping[str, str] = {
    "single": N_("One choice"),
    "multiple": N_("Several choices"),
    "rating": N_("A score from 1 to 5"),
}
# A service's refusal that is about one field of a form marks that field.
FIELD_OF_CODE: Mapping[str, str] = {
    "not_a_community": "audience",
    "audience_outside_community": "audience",
    "closes_before_opening": "closes_at",
    "estate_not_found": "estate_id",
    "no_units": "estate_id",
    "no_property_company": "subject",
    "evaluation_exists": "year",
}


async def sees_surveys(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    """The room opens to whoever runs surveys in a community, or whose organisation is evaluated."""
    if not await governance.may_see_surveys(staff(connection).id):
        raise Forbidden()


def state_name(state: str) -> str:
    return _(STATE_NAMES[state])


def kind_name(kind: str) -> str:
    return _(KIND_NAMES[kind])


def field_of(names: Mapping[str, str]) -> Callable[[DomainError], str | None]:
    """The form's input a service's refusal is about: by its code, a question's by its number."""

    def of(error: DomainError) -> str | None:
        if error.code == "question_invalid":
            return names.get(f"questions[{int(error.params.get('number', 1)) - 1}]")
        return FIELD_OF_CODE.get(error.code)

    return of


def rows_of(data: Mapping[str, Any]) -> list[str]:
    """The question rows' tokens in the order the form sent them."""
    seen: dict[str, None] = {}
    for key in data:
        found = ROW.match(key.partition(".")[0])
        if found:
            seen.setdefault(found["row"], None)
    return list(seen)


def times(values: dict[str, Any]) -> None:
    """Opening left empty is now; both typed in Suzhou time."""
    values["opens_at"] = city_time(values.get("opens_at")) if values.get("opens_at") else clock.iso(clock.now())
    if "closes_at" in values:
        values["closes_at"] = city_time(values["closes_at"])


def options_of(lines: Mapping[str, str]) -> list[dict[str, str]]:
    """Options written one per line in each language: line i of each is option i."""
    split = {locale: [line.strip() for line in text.splitlines()] for locale, text in lines.items()}
    count = max((len(found) for found in split.values()), default=0)
    return [{locale: found[i] for locale, found in split.items() if i < len(found) and found[i]} for i in range(count)]


def survey_values(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The survey form as the API's ``SurveyCreate`` JSON (the audience chosen as
    ``<community>:<kind>:<id>``, question rows left empty dropped), and which input each of its
    paths came from."""
    values = form_values(data)
    names: dict[str, str] = {"audience_id": "audience", "community_id": "audience"}
    questions: list[dict[str, Any]] = []
    for token in rows_of(data):
        text = values.pop(f"q_{token}", {})
        kind = values.pop(f"q_{token}_kind", None)
        options = options_of(values.pop(f"q_{token}_options", {}))
        if not (text or options):
            continue
        at = f"questions[{len(questions)}]"
        names |= {at: f"q_{token}", f"{at}.options": f"q_{token}_options", f"{at}.kind": f"q_{token}_kind"}
        questions.append({"kind": kind, "text": text, "options": options})
    values["questions"] = questions
    audience = str(values.pop("audience", ""))
    parts = audience.split(":")
    if len(parts) == 3:
        values["community_id"], values["audience"], values["audience_id"] = parts
    elif audience:
        values["audience"] = audience
    times(values)
    return values, names


async def communities_or_refuse(me: Principal) -> list[Any]:
    communities = await governance.survey_communities(me.id)
    if not communities:
        raise Forbidden()
    return communities


class SurveysController(Controller):
    path = "/surveys"  # under the console router's /console
    include_in_schema = False
    guards = [signed_in, sees_surveys]
    dependencies = {"me": Provide(provide_me, sync_to_thread=False)}

    @get("/")
    async def list_surveys(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        listing = Listing.read(
            ROOM, request.query_params, sorts=("opens_at",), default_sort="-opens_at", filters=("state", "kind")
        )
        found = await governance.surveys_run(
            user_id=me.id,
            community_id=None,
            state=listing.filters.get("state"),
            kind=listing.filters.get("kind"),
            limit=listing.size,
            offset=listing.offset,
        )
        listing.total = found.total
        return await page(
            request,
            "console/surveys/list.html",
            listing=listing,
            rows=found.items,
            runs=bool(await governance.survey_communities(me.id)),
            states=[(code, state_name(code)) for code in governance.SURVEY_STATES],
            kinds=[(code, kind_name(code)) for code in governance.SURVEY_KINDS],
            state_name=state_name,
            kind_name=kind_name,
        )

    # --- a survey or vote ------------------------------------------------------------------------

    @get("/new")
    async def new(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        communities = await communities_or_refuse(me)
        return await page(
            request,
            "console/surveys/new.html",
            audiences=await governance.survey_audiences(communities),
            rows=[row_token()],
            question_kinds=self._question_kinds(),
        )

    @get("/question-row")
    async def question_row(self) -> Template:
        return Template(
            template_name="console/surveys/_question_row.html",
            context={"token": row_token(), "question_kinds": self._question_kinds()},
        )

    @get("/removed")
    async def removed(self) -> Response[Any]:
        """What a row's "remove" button asks for: nothing (htmx deletes the row itself)."""
        return Response(b"", status_code=200)

    @post("/")
    async def start(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Response[Any]:
        values, names = survey_values(data)
        with fields_marked(names, field_of(names)):
            body: governance.SurveyCreate = parse_form(values, governance.SurveyCreate)
            survey_id = await governance.create_survey(user_id=me.id, data=body)
        return go(request, f"{ROOM}/{survey_id}?said=survey_started")

    # --- an owners' poll and an evaluation ---------------------------------------------------------

    @get("/new-poll")
    async def new_poll(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        communities = await communities_or_refuse(me)
        return await page(request, "console/surveys/poll.html", estates=await governance.survey_estates(communities))

    @post("/polls")
    async def start_poll(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Response[Any]:
        values = form_values(data)
        times(values)
        with fields_marked({}, field_of({})):
            body: governance.OwnerPollCreate = parse_form(values, governance.OwnerPollCreate)
            survey_id = await governance.create_owner_poll(user_id=me.id, data=body)
        return go(request, f"{ROOM}/{survey_id}?said=poll_started")

    @get("/new-evaluation")
    async def new_evaluation(self, request: Request[Any, Any, Any], me: Principal) -> Template:
        communities = await communities_or_refuse(me)
        return await page(
            request,
            "console/surveys/evaluation.html",
            estates=await governance.survey_estates(communities),
            year=clock.city_today().year,
        )

    @post("/evaluations")
    async def start_evaluation(self, request: Request[Any, Any, Any], me: Principal, data: Form) -> Response[Any]:
        values = form_values(data)
        times(values)
        with fields_marked({}, field_of({})):
            body: governance.EvaluationCreate = parse_form(values, governance.EvaluationCreate)
            survey_id = await governance.create_evaluation(user_id=me.id, data=body)
        return go(request, f"{ROOM}/{survey_id}?said=evaluation_started")

    # --- one survey: its questions, answers so far, results; an evaluation's response ------------------

    @get("/{survey_id:uuid}")
    async def show(self, request: Request[Any, Any, Any], me: Principal, survey_id: uuid.UUID) -> Template:
        view = await governance.survey_staff_view(user_id=me.id, survey_id=survey_id)
        return await page(
            request,
            "console/surveys/show.html",
            view=view,
            survey=view.read,
            results=view.results,
            state_name=state_name,
            kind_name=kind_name,
            question_kinds={code: _(name) for code, name in QUESTION_KINDS.items()},
        )

    @post("/{survey_id:uuid}/response")
    async def respond(
        self, request: Request[Any, Any, Any], me: Principal, survey_id: uuid.UUID, data: Form
    ) -> Response[Any]:
        """The evaluated body's response (the API's ``write_evaluation_response``)."""
        body: governance.ResponseIn = parse_form(form_values(data), governance.ResponseIn)
        await governance.write_response(user_id=me.id, survey_id=survey_id, data=body)
        return go(request, f"{ROOM}/{survey_id}?said=response_written#response")

    @staticmethod
    def _question_kinds() -> list[tuple[str, str]]:
        return [(code, _(name)) for code, name in QUESTION_KINDS.items()]
