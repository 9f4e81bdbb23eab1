"""Published results: counts of what was chosen, suppressed as in the participation statistics
(a cell of fewer than five people is not shown, nor is the one that would give it away), the
owners' poll measured against article 278 of the Civil Code, and evaluations' scores with last
year's and the evaluated company's report-handling record."""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from backend.accounts.api import OrganisationKind, organisation
from backend.core.i18n import CITY_TZ
from backend.governance.incidents.record import handling_record
from backend.governance.surveys import errors
from backend.governance.surveys.services import choices_of, state_of, survey_row
from backend.governance.surveys.tables import EvaluationResponse, Survey, SurveyKind, Tally
from backend.places.api import estate_ref, suppressed, unit_totals


@dataclass
class Cell:
    count: int | None
    share: float | None


@dataclass
class QuestionCounts:
    index: int
    cells: list[Cell]
    average: float | None
    hidden: list[str] = field(default_factory=list)


async def tallies(survey_ids: list[uuid.UUID]) -> dict[tuple[int, int], tuple[int, float]]:
    """(question, choice) → (count, area), summed over the surveys given."""
    rows = await Tally.select(Tally.question, Tally.choice, Tally.chosen, Tally.area).where(
        Tally.survey.is_in(survey_ids)
    )
    summed: dict[tuple[int, int], tuple[int, float]] = {}
    for row in rows:
        key = (int(row["question"]), int(row["choice"]))
        count, area = summed.get(key, (0, 0.0))
        summed[key] = (count + int(row["chosen"]), area + float(row["area"]))
    return summed


def _hide_complement(counts: list[int], shown: list[int | None]) -> None:
    """Where exactly one cell is hidden, the total would give it away: hide the next smallest too."""
    hidden = [i for i, value in enumerate(shown) if value is None]
    if len(hidden) != 1:
        return
    others = sorted((counts[i], i) for i, value in enumerate(shown) if value not in (None, 0))
    if others:
        shown[others[0][1]] = None


def question_counts(
    index: int, question: dict[str, Any], total: int, summed: dict[tuple[int, int], tuple[int, float]]
) -> QuestionCounts:
    counts = [summed.get((index, choice), (0, 0.0))[0] for choice in range(choices_of(question))]
    if total < 5:
        shown: list[int | None] = [None] * len(counts)
    else:
        shown = [suppressed(count) for count in counts]
        if question["kind"] != "multiple":
            _hide_complement(counts, shown)
    cells = [Cell(count=c, share=round(c / total, 4) if c is not None and total else None) for c in shown]
    average = None
    if question["kind"] == "rating" and total >= 5 and sum(counts):
        average = round(sum((choice + 1) * count for choice, count in enumerate(counts)) / sum(counts), 2)
    hidden = [f"q{index}.option{choice}" for choice, value in enumerate(shown) if value is None]
    return QuestionCounts(index=index, cells=cells, average=average, hidden=hidden)


def overall_score(
    questions: list[dict[str, Any]], total: int, summed: dict[tuple[int, int], tuple[int, float]]
) -> float | None:
    """The mean of every score given, when at least five took part."""
    if total < 5:
        return None
    weighted = answered = 0
    for index, question in enumerate(questions):
        if question["kind"] != "rating":
            continue
        for choice in range(choices_of(question)):
            count = summed.get((index, choice), (0, 0.0))[0]
            weighted += (choice + 1) * count
            answered += count
    return round(weighted / answered, 2) if answered else None


# --- the owners' poll and article 278 -----------------------------------------------------------------


@dataclass(frozen=True)
class PollCounts:
    major: bool
    units: int
    area: float | None
    participating_units: int
    participating_area: float
    for_units: int
    for_area: float
    participation_by_head: bool
    participation_by_area: bool | None
    approval_by_head: bool
    approval_by_area: bool | None

    @property
    def participation(self) -> bool | None:
        return None if self.participation_by_area is None else self.participation_by_head and self.participation_by_area

    @property
    def approval(self) -> bool | None:
        return None if self.approval_by_area is None else self.approval_by_head and self.approval_by_area


def _approved(part: float, total: float, *, major: bool) -> bool:
    # 《中华人民共和国民法典》第二百七十八条第二款 (in force since 2021-01-01): items 6–8 (筹集维修资金,
    # 改建、重建, 改变共有部分的用途或者利用共有部分从事经营活动) need 四分之三以上 of the participating
    # area and owners; the other items (using the maintenance funds, item 5, among them) 过半数.
    if total <= 0:
        return False
    return part * 4 >= total * 3 if major else part * 2 > total


def measure_poll(
    row: dict[str, Any], units: int, with_area: int, area: float, summed: dict[tuple[int, int], tuple[int, float]]
) -> PollCounts:
    """Article 278 §2: 专有部分面积占比三分之二以上的业主且人数占比三分之二以上的业主参与表决, then the
    approvals above. A household (unit) stands for its owner: one head, its unit's floor area."""
    by_choice = [summed.get((0, choice), (0, 0.0)) for choice in range(3)]
    heads = sum(count for count, _ in by_choice)
    part_area = sum(a for _, a in by_choice)
    for_heads, for_area = by_choice[0]
    known = units > 0 and with_area == units
    return PollCounts(
        major=bool(row["major"]),
        units=units,
        area=round(area, 2) if known else None,
        participating_units=heads,
        participating_area=round(part_area, 2),
        for_units=for_heads,
        for_area=round(for_area, 2),
        participation_by_head=heads * 3 >= units * 2 and units > 0,
        participation_by_area=(part_area * 3 >= area * 2) if known else None,
        approval_by_head=_approved(for_heads, heads, major=bool(row["major"])),
        approval_by_area=_approved(for_area, part_area, major=bool(row["major"])) if known else None,
    )


async def poll_counts(row: dict[str, Any], summed: dict[tuple[int, int], tuple[int, float]]) -> PollCounts:
    totals = await unit_totals(uuid.UUID(str(row["estate"])))
    return measure_poll(row, totals.units, totals.with_area, totals.area, summed)


# --- evaluations ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    reports: int
    resolved: int
    median_hours: float | None
    longest_hours: float | None


async def company_record(company_id: uuid.UUID, year: int) -> Record:
    """Reports routed to the company that were made in the year (Beijing's calendar year, as UTC)."""
    since = datetime(year, 1, 1, tzinfo=CITY_TZ).astimezone(UTC)
    until = datetime(year + 1, 1, 1, tzinfo=CITY_TZ).astimezone(UTC)
    found = await handling_record(organisation_id=company_id, since=since, until=until)
    hours = [seconds / 3600 for seconds in found.resolved_seconds]
    return Record(
        reports=found.reports,
        resolved=len(hours),
        median_hours=round(statistics.median(hours), 1) if hours else None,
        longest_hours=round(max(hours), 1) if hours else None,
    )


async def score_of(row: dict[str, Any]) -> float | None:
    summed = await tallies([row["id"]])
    return overall_score(row["questions"], int(row["answers"]), summed)


async def last_year(row: dict[str, Any]) -> float | None:
    """Last year's published overall score of the same estate and body, if there was one."""
    previous = (
        await Survey.select()
        .where(
            (Survey.kind == SurveyKind.evaluation.value)
            & (Survey.estate == row["estate"])
            & (Survey.subject == row["subject"])
            & (Survey.year == int(row["year"]) - 1)
        )
        .output(load_json=True)
        .first()
    )
    if previous is None or state_of(previous) != "closed":
        return None
    return await score_of(previous)


async def published(survey_id: uuid.UUID) -> dict[str, Any]:
    """A closed survey's row; before the close, no one reads results."""
    row = await survey_row(survey_id)
    if state_of(row) != "closed":
        raise errors.results_not_published()
    return row


async def company_evaluations(company_id: uuid.UUID, year: int) -> list[dict[str, Any]]:
    """The company's published evaluations of the year, estate by estate."""
    rows = (
        await Survey.select()
        .where((Survey.kind == SurveyKind.evaluation.value) & (Survey.subject == company_id) & (Survey.year == year))
        .order_by(Survey.created_at)
        .output(load_json=True)
    )
    return [row for row in rows if state_of(row) == "closed"]


@dataclass(frozen=True)
class EvaluationParts:
    estate_name: dict[str, str]
    overall: float | None
    last_year: float | None
    response: dict[str, Any] | None
    record: Record | None


@dataclass(frozen=True)
class Published:
    row: dict[str, Any]
    counts: list[QuestionCounts]
    poll: PollCounts | None = None
    evaluation: EvaluationParts | None = None


async def _evaluation_parts(row: dict[str, Any], summed: dict[tuple[int, int], tuple[int, float]]) -> EvaluationParts:
    estate = await estate_ref(uuid.UUID(str(row["estate"])))
    response = (
        await EvaluationResponse.select(EvaluationResponse.text, EvaluationResponse.written_at)
        .where(EvaluationResponse.survey == row["id"])
        .output(load_json=True)
        .first()
    )
    is_company = str(row["subject"]) != str(row["community"])
    return EvaluationParts(
        estate_name=estate.name if estate else {},
        overall=overall_score(row["questions"], int(row["answers"]), summed),
        last_year=await last_year(row),
        response=response,
        record=await company_record(uuid.UUID(str(row["subject"])), int(row["year"])) if is_company else None,
    )


async def read_results(survey_id: uuid.UUID) -> Published:
    """A closed survey's published results (409 ``results_not_published`` before the close)."""
    row = await published(survey_id)
    summed = await tallies([row["id"]])
    total = int(row["answers"])
    counts = [question_counts(i, q, total, summed) for i, q in enumerate(row["questions"])]
    if row["kind"] == SurveyKind.poll.value:
        return Published(row, counts, poll=await poll_counts(row, summed))
    if row["kind"] == SurveyKind.evaluation.value:
        return Published(row, counts, evaluation=await _evaluation_parts(row, summed))
    return Published(row, counts)


@dataclass(frozen=True)
class CompanyYear:
    name: dict[str, str]
    overall: float | None
    estates: list[tuple[dict[str, Any], dict[str, str], float | None, float | None]]
    record: Record


async def company_year(company_id: uuid.UUID, year: int) -> CompanyYear:
    """A property company's published evaluations of a year, each estate's score and change, the
    score over all of them (suppressed under five households) and its report record."""
    company = await organisation(company_id)
    if company is None or company.kind != OrganisationKind.property_company.value:
        raise errors.not_a_company()
    rows = await company_evaluations(company_id, year)
    estates = []
    for row in rows:
        estate = await estate_ref(uuid.UUID(str(row["estate"])))
        estates.append((row, estate.name if estate else {}, await score_of(row), await last_year(row)))
    overall = None
    if rows:
        summed = await tallies([row["id"] for row in rows])
        overall = overall_score(rows[0]["questions"], sum(int(row["answers"]) for row in rows), summed)
    return CompanyYear(company.name, overall, estates, await company_record(company_id, year))
