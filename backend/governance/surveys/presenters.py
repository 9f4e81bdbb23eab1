"""Surveys and their results in the reader's language."""

from __future__ import annotations

import uuid
from typing import Any

from backend.core import clock
from backend.core.i18n import N_, _, pick
from backend.governance.surveys.results import CompanyYear, PollCounts, Published, QuestionCounts, Record
from backend.governance.surveys.schemas import (
    AudienceRead,
    CompanyEstateScore,
    CompanyScoresRead,
    EvaluationResult,
    HandlingRecord,
    OptionResult,
    PollResult,
    QuestionRead,
    QuestionResult,
    ResponseRead,
    ResultsRead,
    SurveyRead,
    Threshold,
)
from backend.places.api import suppressed

CRITERION_NAMES = {
    "service": N_("Quality of service"),
    "cleanliness": N_("Cleanliness"),
    "safety": N_("Safety"),
    "openness": N_("Openness of accounts and fees"),
    "responsiveness": N_("Responsiveness to reports"),
}
VOTE_NAMES = (N_("For"), N_("Against"), N_("Abstain"))
ADVISORY = N_("This poll is advisory; it is not a vote of the owners' assembly.")
BASIS = N_("Civil Code of the People's Republic of China, article 278")


def title(row: dict[str, Any]) -> str:
    if row["kind"] == "evaluation":
        return _("{year} evaluation of {body}").format(year=row["year"], body=pick(row["title"])[0])
    return pick(row["title"])[0]


def question_text(question: dict[str, Any]) -> str:
    if question.get("criterion"):
        return _(CRITERION_NAMES[question["criterion"]])
    return pick(question["text"])[0]


def option_texts(question: dict[str, Any]) -> list[str]:
    if question.get("vote"):
        return [_(name) for name in VOTE_NAMES]
    if question["kind"] == "rating":
        return [str(score) for score in range(1, 6)]
    return [pick(option)[0] for option in question["options"]]


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def survey(row: dict[str, Any], state: str, *, show_answers: bool) -> SurveyRead:
    return SurveyRead(
        id=uuid.UUID(str(row["id"])),
        kind=row["kind"],
        community_id=uuid.UUID(str(row["community"])),
        title=title(row),
        description=pick(row["description"])[0],
        audience=AudienceRead(kind=row["audience"], id=uuid.UUID(str(row["audience_id"]))),
        per_household=bool(row["per_household"]),
        opens_at=clock.utc(row["opens_at"]),
        closes_at=clock.utc(row["closes_at"]),
        state=state,  # type: ignore[arg-type]
        questions=[
            QuestionRead(
                index=index,
                kind=question["kind"],
                text=question_text(question),
                options=[] if question["kind"] == "rating" else option_texts(question),
                criterion=question.get("criterion"),
            )
            for index, question in enumerate(row["questions"])
        ],
        results_published=state == "closed",
        answers=int(row["answers"]) if show_answers else None,
        estate_id=_uuid(row["estate"]),
        year=row["year"],
        subject_id=_uuid(row["subject"]),
        major=bool(row["major"]) if row["kind"] == "poll" else None,
        advisory=_(ADVISORY) if row["kind"] == "poll" else None,
    )


def _question(question: dict[str, Any], counts: QuestionCounts) -> QuestionResult:
    texts = option_texts(question)
    return QuestionResult(
        index=counts.index,
        kind=question["kind"],
        text=question_text(question),
        options=[
            OptionResult(index=i, text=texts[i], count=cell.count, share=cell.share)
            for i, cell in enumerate(counts.cells)
        ],
        average=counts.average,
        criterion=question.get("criterion"),
    )


def _verdict(counts: PollCounts) -> str:
    if counts.participation is None:
        return _("Floor areas are not known for every unit, so the thresholds can be judged by head only.")
    if not counts.participation:
        return _("Too few owners took part: the thresholds for taking part would not be reached (advisory).")
    if counts.approval:
        return _("Both taking part and approval would reach the legal thresholds (advisory).")
    return _("Enough owners took part, but approval would not reach the legal threshold (advisory).")


def poll(counts: PollCounts) -> PollResult:
    return PollResult(
        advisory=_(ADVISORY),
        basis=_(BASIS),
        major=counts.major,
        units=counts.units,
        area=counts.area,
        # Heads under five are not shown, nor the area they would give away; nor those for when
        # the rest who took part (against, abstaining) are one to four, which taking part less for
        # would give away, down to a unit by its floor area. The verdicts are judged on the exact
        # counts (they name nobody).
        participating_units=suppressed(counts.participating_units),
        participating_area=counts.participating_area if suppressed(counts.participating_units) is not None else None,
        for_units=counts.for_units if _for_shown(counts) else None,
        for_area=counts.for_area if _for_shown(counts) else None,
        participation=Threshold(
            by_head=counts.participation_by_head, by_area=counts.participation_by_area, reached=counts.participation
        ),
        approval=Threshold(by_head=counts.approval_by_head, by_area=counts.approval_by_area, reached=counts.approval),
        verdict=_verdict(counts),
    )


def _for_shown(counts: PollCounts) -> bool:
    others = counts.participating_units - counts.for_units
    return suppressed(counts.for_units) is not None and suppressed(others) is not None


def record(found: Record) -> HandlingRecord:
    return HandlingRecord(
        reports=found.reports,
        resolved=found.resolved,
        open=found.reports - found.resolved,
        median_hours=found.median_hours,
        longest_hours=found.longest_hours,
    )


def change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 2)


def evaluation(
    row: dict[str, Any],
    *,
    estate_name: dict[str, str],
    overall: float | None,
    last_year: float | None,
    response: dict[str, Any] | None,
    found: Record | None,
) -> EvaluationResult:
    return EvaluationResult(
        estate_id=uuid.UUID(str(row["estate"])),
        estate=pick(estate_name)[0],
        subject_id=uuid.UUID(str(row["subject"])),
        subject=pick(row["title"])[0],
        year=int(row["year"]),
        overall=overall,
        last_year=last_year,
        change=change(overall, last_year),
        response=ResponseRead(text=pick(response["text"])[0], written_at=clock.utc(response["written_at"]))
        if response
        else None,
        record=record(found) if found else None,
    )


def results(
    row: dict[str, Any],
    counts: list[QuestionCounts],
    *,
    poll_counts: PollCounts | None = None,
    evaluation_result: EvaluationResult | None = None,
) -> ResultsRead:
    total = int(row["answers"])
    hidden = [name for found in counts for name in found.hidden]
    if total < 5:
        hidden.insert(0, "answers")
    return ResultsRead(
        survey_id=uuid.UUID(str(row["id"])),
        kind=row["kind"],
        title=title(row),
        closed_at=clock.utc(row["closes_at"]),
        answers=total if total >= 5 else None,
        suppressed=hidden,
        questions=[_question(question, found) for question, found in zip(row["questions"], counts, strict=True)],
        poll=poll(poll_counts) if poll_counts else None,
        evaluation=evaluation_result,
    )


def company_scores(
    company_id: uuid.UUID,
    name: dict[str, str],
    year: int,
    overall: float | None,
    estates: list[CompanyEstateScore],
    found: Record,
) -> CompanyScoresRead:
    return CompanyScoresRead(
        company_id=company_id,
        company=pick(name)[0],
        year=year,
        overall=overall,
        estates=estates,
        record=record(found),
    )


def published(found: Published) -> ResultsRead:
    result = None
    if found.evaluation is not None:
        parts = found.evaluation
        result = evaluation(
            found.row,
            estate_name=parts.estate_name,
            overall=parts.overall,
            last_year=parts.last_year,
            response=parts.response,
            found=parts.record,
        )
    return results(found.row, found.counts, poll_counts=found.poll, evaluation_result=result)


def company_year(company_id: uuid.UUID, year: int, found: CompanyYear) -> CompanyScoresRead:
    estates = [
        CompanyEstateScore(
            estate_id=uuid.UUID(str(row["estate"])),
            estate=pick(name)[0],
            evaluation_id=uuid.UUID(str(row["id"])),
            overall=score,
            change=change(score, before),
        )
        for row, name, score, before in found.estates
    ]
    return company_scores(company_id, found.name, year, found.overall, estates, found.record)
