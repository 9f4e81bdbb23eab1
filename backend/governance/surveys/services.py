"""Surveys, owners' polls and evaluations: made by community staff, answered by residents.

Answering never stores an answer: it adds one to the counters of what was chosen (``Tally``) and
writes that the person (and, for a household survey, the unit) took part, in one transaction. The
unique indexes on (survey, user) and (survey, unit) decide between two answers at once: one wins,
the other's transaction is undone and it hears why.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from backend.accounts.api import OrganisationKind, organisation
from backend.core import audit, clock, signals
from backend.core.db import lock_row, transaction
from backend.core.i18n import _, pick
from backend.governance.surveys import access, errors
from backend.governance.surveys.schemas import (
    AnswerItem,
    EvaluationCreate,
    OwnerPollCreate,
    QuestionIn,
    ResponseIn,
    SurveyCreate,
)
from backend.governance.surveys.signals import SurveyOpened
from backend.governance.surveys.tables import (
    Audience,
    EvaluationResponse,
    HouseholdVote,
    Participation,
    Survey,
    SurveyKind,
    Tally,
)
from backend.inclusion.api import award_survey_answer
from backend.places.api import (
    alliance_community,
    estate_ref,
    home_of,
    in_alliance,
    in_grid,
    unit_floor_area,
    unit_totals,
)

CRITERIA = ("service", "cleanliness", "safety", "openness", "responsiveness")
VOTE_CHOICES = 3  # for, against, abstain
RATINGS = 5


async def survey_row(survey_id: uuid.UUID) -> dict[str, Any]:
    row = await Survey.select().where(Survey.id == survey_id).output(load_json=True).first()
    if row is None:
        raise errors.survey_not_found()
    return row


def state_of(row: dict[str, Any], now: datetime | None = None) -> str:
    moment = now or clock.now()
    if moment < clock.utc(row["opens_at"]):
        return "upcoming"
    return "open" if moment < clock.utc(row["closes_at"]) else "closed"


def choices_of(question: dict[str, Any]) -> int:
    """How many counters a question has: its options, three for a vote, five scores for a rating."""
    if question["kind"] == "rating":
        return RATINGS
    if question.get("vote"):
        return VOTE_CHOICES
    return len(question["options"])


# --- making ------------------------------------------------------------------------------------------


def _check_questions(questions: Sequence[QuestionIn]) -> list[dict[str, Any]]:
    checked = []
    for index, question in enumerate(questions):
        if question.kind == "rating" and question.options:
            raise errors.question_invalid(index, _("a rating (1–5) has no options."))
        if question.kind != "rating" and not 2 <= len(question.options) <= 20:
            raise errors.question_invalid(index, _("a choice needs between 2 and 20 options."))
        checked.append(
            {"kind": question.kind, "text": dict(question.text), "options": [dict(o) for o in question.options]}
        )
    return checked


async def _check_audience(community_id: uuid.UUID, audience: str, audience_id: uuid.UUID) -> None:
    if audience == Audience.community.value:
        ok = audience_id == community_id
    elif audience == Audience.estate.value:
        estate = await estate_ref(audience_id)
        ok = estate is not None and estate.community_id == community_id
    elif audience == Audience.alliance.value:
        ok = await alliance_community(audience_id) == community_id
    else:
        grid = await organisation(audience_id)
        ok = grid is not None and grid.kind == OrganisationKind.grid.value and f"/{community_id}/" in grid.path
    if not ok:
        raise errors.audience_outside_community()


def _check_times(opens_at: datetime, closes_at: datetime) -> None:
    if closes_at <= opens_at:
        raise errors.closes_before_opening()


async def _insert(values: dict[str, Any], by: uuid.UUID | None) -> uuid.UUID:
    """The survey, a zero counter for each of its choices, and the audit entry, in one transaction."""
    survey = Survey(**values, created_by=by, created_at=clock.now())
    async with transaction(Survey._meta.db):
        await survey.save()
        tallies = [
            Tally(survey=survey.id, question=index, choice=choice, chosen=0, area=0.0)
            for index, question in enumerate(values["questions"])
            for choice in range(choices_of(question))
        ]
        await Tally.insert(*tallies)
        await audit.record(
            f"governance.{values['kind']}_created",
            object_type="survey",
            object_id=survey.id,
            organisation_id=values["community"],
            permission=access.MANAGE.value,
            after={
                "title": values["title"],
                "audience": values["audience"],
                "opens_at": values["opens_at"],
                "closes_at": values["closes_at"],
            },
        )
    survey_id = uuid.UUID(str(survey.id))
    await announce_opened(survey_id)
    return survey_id


async def announce_opened(survey_id: uuid.UUID | None = None) -> int:
    """Tell the audience of each survey that has opened and not been announced (the one given, or
    all: the ``announce_surveys`` chore). Marking it announced with a conditional update in the
    transaction that emits the signal means two runs at once announce it once."""
    now = clock.now()
    due = (Survey.opens_at <= now) & (Survey.closes_at > now) & Survey.announced_at.is_null()
    if survey_id is not None:
        due = due & (Survey.id == survey_id)
    rows = (
        await Survey.select(Survey.id, Survey.kind, Survey.title, Survey.year, Survey.closes_at)
        .where(due)
        .output(load_json=True)
    )
    told = 0
    for row in rows:
        async with signals.atomic():
            claimed = (
                await Survey.update({Survey.announced_at: now})
                .where((Survey.id == row["id"]) & Survey.announced_at.is_null())
                .returning(Survey.id)
            )
            if not claimed:
                continue
            await signals.emit(
                SurveyOpened(
                    survey_id=uuid.UUID(str(row["id"])),
                    kind=row["kind"],
                    title=row["title"],
                    year=row["year"],
                    closes_at=clock.iso(row["closes_at"]),
                )
            )
            told += 1
    return told


async def create_survey(*, user_id: uuid.UUID | None, data: SurveyCreate) -> uuid.UUID:
    """A survey of a community, for the audience its staff choose within it."""
    await access.community_of(data.community_id)
    await access.require_manage(user_id, data.community_id)
    _check_times(data.opens_at, data.closes_at)
    questions = _check_questions(data.questions)
    await _check_audience(data.community_id, data.audience, data.audience_id)
    values = {
        "community": data.community_id,
        "kind": SurveyKind.survey.value,
        "title": dict(data.title),
        "description": dict(data.description),
        "audience": data.audience,
        "audience_id": data.audience_id,
        "per_household": data.per_household,
        "questions": questions,
        "opens_at": data.opens_at,
        "closes_at": data.closes_at,
    }
    return await _insert(values, user_id)


async def _estate_for_staff(user_id: uuid.UUID | None, estate_id: uuid.UUID) -> Any:
    estate = await estate_ref(estate_id)
    if estate is None:
        raise errors.estate_not_found()
    await access.require_manage(user_id, estate.community_id)
    return estate


async def create_poll(*, user_id: uuid.UUID | None, data: OwnerPollCreate) -> uuid.UUID:
    """An advisory owners' poll of an estate whose units are imported (they are the denominator)."""
    estate = await _estate_for_staff(user_id, data.estate_id)
    _check_times(data.opens_at, data.closes_at)
    if (await unit_totals(estate.id)).units == 0:
        raise errors.no_units()
    values = {
        "community": estate.community_id,
        "kind": SurveyKind.poll.value,
        "title": dict(data.title),
        "description": dict(data.description),
        "audience": Audience.estate.value,
        "audience_id": estate.id,
        "per_household": True,
        "questions": [{"kind": "single", "vote": True, "text": dict(data.title), "options": []}],
        "opens_at": data.opens_at,
        "closes_at": data.closes_at,
        "major": data.major,
        "estate": estate.id,
    }
    return await _insert(values, user_id)


async def create_evaluation(*, user_id: uuid.UUID | None, data: EvaluationCreate) -> uuid.UUID:
    """The year's evaluation of an estate's property company or residents' committee: one a year each."""
    estate = await _estate_for_staff(user_id, data.estate_id)
    _check_times(data.opens_at, data.closes_at)
    subject = estate.property_company_id if data.subject == "property_company" else estate.community_id
    if subject is None:
        raise errors.no_property_company()
    same = (Survey.estate == estate.id) & (Survey.year == data.year) & (Survey.subject == subject)
    if await Survey.exists().where(same & (Survey.kind == SurveyKind.evaluation.value)):
        raise errors.evaluation_exists()
    body = await organisation(subject)
    title = dict(body.name) if body else {}  # the body's name: readers see "<year> evaluation of <name>"
    values = {
        "community": estate.community_id,
        "kind": SurveyKind.evaluation.value,
        "title": title,
        "description": {},
        "audience": Audience.estate.value,
        "audience_id": estate.id,
        "per_household": True,
        "questions": [{"kind": "rating", "criterion": key, "text": {}, "options": []} for key in CRITERIA],
        "opens_at": data.opens_at,
        "closes_at": data.closes_at,
        "estate": estate.id,
        "year": data.year,
        "subject": subject,
    }
    return await _insert(values, user_id)


# --- answering ---------------------------------------------------------------------------------------


async def _place_name(row: dict[str, Any]) -> str:
    audience, target = row["audience"], row["audience_id"]
    if audience == Audience.estate.value:
        estate = await estate_ref(target)
        return pick(estate.name if estate else {})[0]
    found = await organisation(target)
    if found is not None:
        return pick(found.name)[0]
    return _("this estate alliance")


async def check_eligible(user_id: uuid.UUID, row: dict[str, Any]) -> Any:
    """The person's home, if they may answer: they live in the audience (and in a unit, for a
    household survey); else a refusal saying why."""
    home = await home_of(user_id)
    if home is None:
        raise errors.residence_required()
    audience, target = row["audience"], uuid.UUID(str(row["audience_id"]))
    if audience == Audience.community.value:
        inside = home.community_id == target
    elif audience == Audience.estate.value:
        inside = home.estate_id == target
    elif audience == Audience.alliance.value:
        inside = await in_alliance(target, home.estate_id)
    else:
        inside = await in_grid(target, home.estate_id, home.building_id)
    if not inside:
        raise errors.not_in_audience(await _place_name(row))
    if row["per_household"] and home.unit_id is None:
        raise errors.unit_required()
    return home


def _chosen(questions: list[dict[str, Any]], answers: Sequence[AnswerItem]) -> list[tuple[int, int]]:
    """(question, choice) counters to add one to; every question answered exactly once."""
    given: dict[int, AnswerItem] = {}
    for item in answers:
        if item.question >= len(questions):
            raise errors.answer_invalid(item.question, _("there is no such question."))
        if item.question in given:
            raise errors.answer_invalid(item.question, _("answered twice."))
        given[item.question] = item
    chosen: list[tuple[int, int]] = []
    for index, question in enumerate(questions):
        if index not in given:
            raise errors.answer_invalid(index, _("not answered."))
        item = given[index]
        if question["kind"] == "rating":
            if item.rating is None or item.choices:
                raise errors.answer_invalid(index, _("give a score from 1 to 5."))
            chosen.append((index, item.rating - 1))
            continue
        picked = sorted(set(item.choices))
        if item.rating is not None or not picked or len(picked) != len(item.choices):
            raise errors.answer_invalid(index, _("choose from the options, each once."))
        if question["kind"] == "single" and len(picked) != 1:
            raise errors.answer_invalid(index, _("choose one option."))
        if picked[-1] >= choices_of(question):
            raise errors.answer_invalid(index, _("there is no such option."))
        chosen.extend((index, choice) for choice in picked)
    return chosen


async def _claim(survey_id: uuid.UUID, user_id: uuid.UUID, unit_id: uuid.UUID | None) -> None:
    """Write who took part; a second answer of the person, or of the household, is refused."""
    mine = (
        await Participation.insert(Participation(survey=survey_id, user=user_id, answered_at=clock.now()))
        .on_conflict(target=(Participation.survey, Participation.user), action="DO NOTHING")
        .returning(Participation.id)
    )
    if not mine:
        raise errors.already_answered()
    if unit_id is not None:
        household = (
            await HouseholdVote.insert(HouseholdVote(survey=survey_id, unit=unit_id))
            .on_conflict(target=(HouseholdVote.survey, HouseholdVote.unit), action="DO NOTHING")
            .returning(HouseholdVote.id)
        )
        if not household:
            raise errors.household_answered()


async def answer(*, user_id: uuid.UUID, survey_id: uuid.UUID, answers: Sequence[AnswerItem]) -> None:
    """Answer an open survey one lives in the audience of, once (once per household where it says so)."""
    row = await survey_row(survey_id)
    state = state_of(row)
    if state != "open":
        raise errors.survey_not_open(
            {"state": state, "opens_at": clock.iso(row["opens_at"]), "closes_at": clock.iso(row["closes_at"])}
        )
    home = await check_eligible(user_id, row)
    chosen = _chosen(row["questions"], answers)
    unit_id = home.unit_id if row["per_household"] else None
    area = (
        (await unit_floor_area(unit_id) or 0.0) if unit_id is not None and row["kind"] == SurveyKind.poll.value else 0.0
    )
    async with transaction(Survey._meta.db):
        await _claim(survey_id, user_id, unit_id)
        for question, choice in chosen:
            await Tally.raw(
                "UPDATE governance_tally SET chosen = chosen + 1, area = area + {}"
                " WHERE survey = {} AND question = {} AND choice = {}",
                area,
                survey_id,
                question,
                choice,
            )
        await Survey.update({Survey.answers: Survey.answers + 1}).where(Survey.id == survey_id)
        # Taking part earns the community's ``survey_answer`` points; the award names the survey,
        # never what was chosen.
        await award_survey_answer(
            user_id=user_id,
            survey_id=survey_id,
            community_id=uuid.UUID(str(row["community"])),
            survey_title=row["title"] or {},
        )


# --- an evaluation's response -------------------------------------------------------------------------


async def write_response(*, user_id: uuid.UUID | None, survey_id: uuid.UUID, data: ResponseIn) -> None:
    """The evaluated body's staff write (or rewrite) its response beside its scores."""
    row = await survey_row(survey_id)
    if row["kind"] != SurveyKind.evaluation.value:
        raise errors.not_an_evaluation()
    subject, community = uuid.UUID(str(row["subject"])), uuid.UUID(str(row["community"]))
    if not await access.may_respond(user_id, subject_id=subject, community_id=community):
        raise errors.forbidden_response()
    now = clock.now()
    async with transaction(Survey._meta.db):
        # One response per evaluation: holding the survey's row, a second writer waits, then rewrites it.
        await lock_row(Survey._meta.db, Survey._meta.tablename, survey_id)
        before = (
            await EvaluationResponse.select(EvaluationResponse.text)
            .where(EvaluationResponse.survey == survey_id)
            .output(load_json=True)
            .first()
        )
        changed: dict[Any, Any] = {
            EvaluationResponse.text: dict(data.text),
            EvaluationResponse.written_by: user_id,
            EvaluationResponse.written_at: now,
        }
        if before is None:
            await EvaluationResponse(survey=survey_id, text=dict(data.text), written_by=user_id, written_at=now).save()
        else:
            await EvaluationResponse.update(changed).where(EvaluationResponse.survey == survey_id)
        await audit.record(
            "governance.evaluation_response_written",
            object_type="survey",
            object_id=survey_id,
            organisation_id=subject,
            permission="",
            before={"text": before["text"]} if before else None,
            after={"text": dict(data.text)},
        )
