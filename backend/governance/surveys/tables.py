"""Tables of governance surveys: surveys, advisory owners' polls and yearly evaluations (民主评议).

Anonymity holds by construction: an answer is never stored as a row. Answering adds one to the
counters of what was chosen (``Tally``: survey, question, choice → count, and floor area for a
poll) and, in the same transaction, writes who took part (``Participation``: survey, person) and,
for a household survey, which household did (``HouseholdVote``: survey, unit). The two kinds of
rows share no key, no time and no order that could join a person to a choice.
"""

from __future__ import annotations

from enum import Enum

from piccolo.columns import JSON, UUID, Boolean, DoublePrecision, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


def _organisation() -> LazyTableReference:
    return LazyTableReference("Organisation", module_path="backend.accounts.tables")


def _user() -> LazyTableReference:
    return LazyTableReference("User", module_path="backend.accounts.tables")


def _estate() -> LazyTableReference:
    return LazyTableReference("Estate", module_path="backend.places.tables")


def _unit() -> LazyTableReference:
    return LazyTableReference("Unit", module_path="backend.places.tables")


class SurveyKind(str, Enum):
    survey = "survey"  # a survey or vote (问卷, 投票)
    poll = "poll"  # an advisory owners' poll (业主表决, advisory) of an estate
    evaluation = "evaluation"  # a yearly evaluation (民主评议) of a body serving an estate


class Audience(str, Enum):
    """Who may answer: residents who say they live in the community, estate, alliance or grid."""

    community = "community"
    estate = "estate"
    alliance = "alliance"
    grid = "grid"


class Survey(Table, tablename="governance_survey"):
    """A survey, poll or evaluation of a community. ``questions`` is a list of
    ``{"kind": "single"|"multiple"|"rating", "text": {locale: text}, "options": [{locale: text}]}``."""

    id = UUID(primary_key=True)
    community = ForeignKey(_organisation(), null=False, index=True)
    kind = Varchar(length=16, choices=SurveyKind, default=SurveyKind.survey.value)
    title = JSON(default={}, help_text="{locale: title}")
    description = JSON(default={}, help_text="{locale: text}")
    audience = Varchar(length=16, choices=Audience)
    audience_id = UUID(help_text="the community, estate, alliance or grid")
    per_household = Boolean(default=False, help_text="one answer per unit (门牌) instead of per resident")
    questions = JSON(default=[])
    opens_at = Timestamptz()
    closes_at = Timestamptz()
    answers = Integer(default=0, help_text="how many took part (staff see it before the close)")
    # A poll: whether the matter is one of article 278's items 6–8 (three quarters to approve).
    major = Boolean(default=False)
    # An evaluation: the estate, the year, and the body evaluated (its property company, or the
    # community itself as the residents' committee).
    estate = ForeignKey(_estate(), null=True, default=None, index=True)
    year = Integer(null=True, default=None)
    subject = ForeignKey(_organisation(), null=True, default=None, index=True)
    created_by = ForeignKey(_user(), null=True, default=None)
    created_at = Timestamptz()
    announced_at = Timestamptz(null=True, default=None, help_text="when its audience was told it opened")


class Tally(Table, tablename="governance_tally"):
    """How many chose a choice of a question (a rating's choice is its score, 1–5), and for a
    poll the floor area of the households that did; (survey, question, choice) is unique."""

    id = UUID(primary_key=True)
    survey = ForeignKey(Survey, null=False, index=True)
    question = Integer()
    choice = Integer()
    chosen = Integer(default=0, help_text="how many chose it")
    area = DoublePrecision(default=0.0)


class Participation(Table, tablename="governance_participation"):
    """That a person took part in a survey (never what they answered); (survey, user) is unique."""

    id = UUID(primary_key=True)
    survey = ForeignKey(Survey, null=False, index=True)
    user = ForeignKey(_user(), null=False, index=True)
    answered_at = Timestamptz()


class HouseholdVote(Table, tablename="governance_household_vote"):
    """That a household (a unit) took part in a household survey; (survey, unit) is unique, so of
    two members answering at once one wins."""

    id = UUID(primary_key=True)
    survey = ForeignKey(Survey, null=False, index=True)
    unit = ForeignKey(_unit(), null=False)


class EvaluationResponse(Table, tablename="governance_evaluation_response"):
    """The evaluated body's written response beside its scores, written by its staff; one per
    evaluation (unique)."""

    id = UUID(primary_key=True)
    survey = ForeignKey(Survey, null=False, unique=True)
    text = JSON(default={}, help_text="{locale: text}")
    written_by = ForeignKey(_user(), null=True, default=None)
    written_at = Timestamptz()
