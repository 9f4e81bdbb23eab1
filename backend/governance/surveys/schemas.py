"""Request and response bodies of governance surveys: surveys and votes, advisory owners' polls,
yearly evaluations (民主评议) and their published, suppressed results."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.core.i18n import LocaleCode

Title = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(min_length=1, max_length=200)]],
    msgspec.Meta(
        min_length=1, examples=[{"zh-Hans": "南园新村加装电梯意愿调查", "en": "Lifts for Nanyuan: who wants one?"}]
    ),
]
Description = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=4000)]],
    msgspec.Meta(examples=[{"zh-Hans": "每户填写一次，结果在截止后公布。", "en": "One answer per household."}]),
]
OptionText = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(min_length=1, max_length=200)]],
    msgspec.Meta(min_length=1, examples=[{"zh-Hans": "同意加装", "en": "Yes, add a lift"}]),
]
QuestionKind = Annotated[
    Literal["single", "multiple", "rating"],
    msgspec.Meta(description="one choice, several choices, or a score from 1 to 5", examples=["single"]),
]
AudienceKind = Annotated[
    Literal["community", "estate", "alliance", "grid"],
    msgspec.Meta(description="who may answer: residents who live there (their residence)", examples=["estate"]),
]
SurveyState = Annotated[Literal["upcoming", "open", "closed"], msgspec.Meta(examples=["open"])]
SurveyKindCode = Annotated[
    Literal["survey", "poll", "evaluation"],
    msgspec.Meta(description="a survey or vote, an advisory owners' poll, a yearly evaluation", examples=["survey"]),
]
Criterion = Annotated[
    Literal["service", "cleanliness", "safety", "openness", "responsiveness"],
    msgspec.Meta(
        description="service, cleanliness, safety, openness of accounts and fees, responsiveness to reports",
        examples=["openness"],
    ),
]
Year = Annotated[int, msgspec.Meta(ge=2000, le=2100, examples=[2026])]
Moment = Annotated[datetime, msgspec.Meta(tz=True, examples=["2026-12-01T00:00:00+08:00"])]


class QuestionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A question; single and multiple choice have 2–20 options, a rating (1–5) none."""

    kind: QuestionKind
    text: Title
    options: Annotated[list[OptionText], msgspec.Meta(max_length=20)] = []


class SurveyCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A survey or vote of a community, for its residents or those of one estate, its alliance or
    one of its grids; once per resident, or once per household (unit) with ``per_household``."""

    community_id: uuid.UUID
    title: Title
    audience: AudienceKind
    audience_id: Annotated[uuid.UUID, msgspec.Meta(description="the community, estate, alliance or grid")]
    opens_at: Moment
    closes_at: Moment
    questions: Annotated[list[QuestionIn], msgspec.Meta(min_length=1, max_length=30)]
    description: Description = {}
    per_household: bool = False


class OwnerPollCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An advisory owners' poll (业主表决) of an estate whose units are imported: one answer per
    household (for, against, abstain), counted by head and by floor area."""

    estate_id: uuid.UUID
    title: Title
    opens_at: Moment
    closes_at: Moment
    major: Annotated[
        bool,
        msgspec.Meta(
            description="a matter of article 278's items 6–8 (raising maintenance funds, rebuilding, "
            "changing the use of common parts): three quarters to approve, else more than half"
        ),
    ] = False
    description: Description = {}


class EvaluationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """The year's evaluation (民主评议) of an estate's property company or of the residents'
    committee, on the five standard criteria, one answer per household."""

    estate_id: uuid.UUID
    subject: Annotated[Literal["property_company", "residents_committee"], msgspec.Meta(examples=["property_company"])]
    year: Year
    opens_at: Moment
    closes_at: Moment


class AnswerItem(msgspec.Struct, forbid_unknown_fields=True):
    question: Annotated[int, msgspec.Meta(ge=0, le=29, description="the question's index", examples=[0])]
    choices: Annotated[
        list[Annotated[int, msgspec.Meta(ge=0, le=19)]], msgspec.Meta(max_length=20, examples=[[1]])
    ] = []
    rating: Annotated[int, msgspec.Meta(ge=1, le=5, examples=[4])] | None = None


class AnswersIn(msgspec.Struct, forbid_unknown_fields=True):
    """Every question answered once: choices by index, a rating from 1 to 5."""

    answers: Annotated[
        list[AnswerItem],
        msgspec.Meta(
            min_length=1,
            max_length=30,
            examples=[
                [{"question": 0, "choices": [0]}, {"question": 1, "choices": [0, 3]}, {"question": 2, "rating": 4}]
            ],
        ),
    ]


class QuestionRead(msgspec.Struct):
    index: int
    kind: QuestionKind
    text: Annotated[str, msgspec.Meta(examples=["您是否同意加装电梯？"])]
    options: list[str]
    criterion: Criterion | None = None


class AudienceRead(msgspec.Struct):
    kind: AudienceKind
    id: uuid.UUID


class SurveyRead(msgspec.Struct):
    id: uuid.UUID
    kind: SurveyKindCode
    community_id: uuid.UUID
    title: str
    description: str
    audience: AudienceRead
    per_household: bool
    opens_at: Moment
    closes_at: Moment
    state: SurveyState
    questions: list[QuestionRead]
    results_published: bool
    answers: Annotated[
        int | None,
        msgspec.Meta(description="how many took part: for the community's staff while open; null for others"),
    ]
    estate_id: uuid.UUID | None = None
    year: int | None = None
    subject_id: uuid.UUID | None = None
    major: bool | None = None
    advisory: str | None = None


class OptionResult(msgspec.Struct):
    index: int
    text: str
    count: Annotated[int | None, msgspec.Meta(description="null when suppressed (fewer than five)")]
    share: float | None


class QuestionResult(msgspec.Struct):
    index: int
    kind: QuestionKind
    text: str
    options: list[OptionResult]
    average: Annotated[float | None, msgspec.Meta(description="a rating's mean, 1–5; null when suppressed")] = None
    criterion: Criterion | None = None


class Threshold(msgspec.Struct):
    by_head: bool
    by_area: Annotated[bool | None, msgspec.Meta(description="null when floor areas are not known")]
    reached: bool | None


class PollResult(msgspec.Struct):
    advisory: Annotated[str, msgspec.Meta(examples=["本次表决仅供参考，并非业主大会的表决。"])]
    basis: Annotated[str, msgspec.Meta(examples=["《中华人民共和国民法典》第二百七十八条"])]
    major: bool
    units: int
    area: Annotated[float | None, msgspec.Meta(description="every unit's floor area; null if some lack one")]
    participating_units: int | None
    participating_area: float | None
    for_units: int | None
    for_area: float | None
    participation: Threshold
    approval: Threshold
    verdict: Annotated[str, msgspec.Meta(examples=["参与和同意都达到了法定比例（仅供参考）。"])]


class ResponseRead(msgspec.Struct):
    text: str
    written_at: datetime


class HandlingRecord(msgspec.Struct):
    """Reports routed to the body in the year, and how long resolving them took."""

    reports: int
    resolved: int
    open: int
    median_hours: float | None
    longest_hours: float | None


class EvaluationResult(msgspec.Struct):
    estate_id: uuid.UUID
    estate: str
    subject_id: uuid.UUID
    subject: str
    year: int
    overall: Annotated[float | None, msgspec.Meta(description="mean of every score; null when suppressed")]
    last_year: float | None
    change: Annotated[float | None, msgspec.Meta(description="against last year's evaluation, when both are shown")]
    response: ResponseRead | None
    record: HandlingRecord | None


class ResultsRead(msgspec.Struct):
    survey_id: uuid.UUID
    kind: SurveyKindCode
    title: str
    closed_at: datetime
    answers: Annotated[int | None, msgspec.Meta(description="null when fewer than five took part")]
    suppressed: Annotated[list[str], msgspec.Meta(examples=[["q0.option1"]])]
    questions: list[QuestionResult]
    poll: PollResult | None = None
    evaluation: EvaluationResult | None = None


class ResponseIn(msgspec.Struct, forbid_unknown_fields=True):
    """The evaluated body's response beside its scores, written by its staff."""

    text: Annotated[
        dict[LocaleCode, Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]],
        msgspec.Meta(min_length=1, examples=[{"zh-Hans": "感谢业主监督，我们将增加夜间巡逻。"}]),
    ]


class CompanyEstateScore(msgspec.Struct):
    estate_id: uuid.UUID
    estate: str
    evaluation_id: uuid.UUID
    overall: float | None
    change: float | None


class CompanyScoresRead(msgspec.Struct):
    """A property company's published evaluations of a year, estate by estate, with its report record."""

    company_id: uuid.UUID
    company: str
    year: int
    overall: Annotated[float | None, msgspec.Meta(description="over every estate's answers; null when suppressed")]
    estates: list[CompanyEstateScore]
    record: HandlingRecord
