"""Governance surveys: demo data. 南园新村's households evaluated their property company last year
and this year (closed, published, with the company's response and the change), and answer an open
household survey on adding lifts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from backend.accounts.api import login_as_developer, person_by_openid
from backend.core import clock
from backend.core.domain import DemoWorld
from backend.governance.surveys import services
from backend.governance.surveys.schemas import AnswerItem, EvaluationCreate, QuestionIn, ResponseIn, SurveyCreate
from backend.governance.surveys.tables import Survey
from backend.places.api import ResidencePut, estate_ref, set_residence, units_of

# Each household's scores (service, cleanliness, safety, openness of accounts and fees,
# responsiveness to reports): last year's were lower on openness and responsiveness.
LAST_YEAR = [(3, 4, 3, 2, 2), (3, 3, 4, 2, 3), (4, 3, 3, 3, 2), (3, 4, 4, 2, 2), (2, 3, 3, 2, 3), (3, 3, 3, 3, 2)]
THIS_YEAR = [
    (4, 4, 4, 3, 4),
    (4, 5, 4, 3, 4),
    (5, 4, 4, 4, 3),
    (4, 4, 5, 3, 4),
    (3, 4, 4, 3, 4),
    (4, 4, 4, 4, 5),
    (4, 5, 4, 3, 4),
]
RESPONSE = {
    "zh-Hans": "感谢各位业主的评议。账目公开得分仍偏低：自明年一月起，我们每季度在单元门口和小程序公示维修资金和公共收益的收支明细，"
    "并在每月第一个周六上午设开放日，业主可查阅原始凭证。",
    "en": "Thank you for your evaluation. Openness of accounts is still our lowest score: from January we will post the "
    "maintenance fund and shared income every quarter at each entrance and in the mini-program, and open the books "
    "to owners on the first Saturday morning of each month.",
}
LIFT_SURVEY = {
    "title": {
        "zh-Hans": "南园新村老楼加装电梯意愿调查",
        "en": "Nanyuan New Village: adding lifts to the old buildings",
    },
    "description": {
        "zh-Hans": "每户填写一次。结果在截止后公布，用于社区与业委会商议是否申请加装电梯补贴。",
        "en": "One answer per household. The results are published at the close and help the community and the "
        "owners' committee decide whether to apply for the lift subsidy.",
    },
    "questions": [
        QuestionIn(
            kind="single",
            text={"zh-Hans": "您是否同意本楼栋加装电梯？", "en": "Should your building get a lift?"},
            options=[
                {"zh-Hans": "同意", "en": "Yes"},
                {"zh-Hans": "不同意", "en": "No"},
                {"zh-Hans": "看费用分摊再定", "en": "Depends on how the cost is shared"},
            ],
        ),
        QuestionIn(
            kind="multiple",
            text={"zh-Hans": "您最关心哪些方面？", "en": "What matters most to you?"},
            options=[
                {"zh-Hans": "费用分摊", "en": "Sharing the cost"},
                {"zh-Hans": "施工噪音", "en": "Building noise"},
                {"zh-Hans": "低层采光", "en": "Daylight on the lower floors"},
                {"zh-Hans": "老人出行", "en": "Getting older residents out"},
            ],
        ),
    ],
}


async def _households(estate_id: uuid.UUID, count: int) -> list[uuid.UUID]:
    """Demo residents living in the estate's first units, one per unit."""
    people = []
    for index, (building, unit) in enumerate((await units_of(estate_id))[:count]):
        openid = f"dev:demo-household-{index + 1}"
        person = (
            await person_by_openid(openid)
            or (await login_as_developer(openid=f"demo-household-{index + 1}", display_name=f"南园住户{index + 1}"))[
                0
            ].id
        )
        await set_residence(
            user_id=person, data=ResidencePut(estate_id=estate_id, building_id=building, unit_id=unit, consent=True)
        )
        people.append(person)
    return people


async def _evaluation(
    estate_id: uuid.UUID, year: int, closes: datetime, people: list[uuid.UUID], given: Sequence[tuple[int, ...]]
) -> uuid.UUID:
    opens = closes - timedelta(days=30)
    data = EvaluationCreate(
        estate_id=estate_id, subject="property_company", year=year, opens_at=opens, closes_at=closes
    )
    survey_id = await services.create_evaluation(user_id=None, data=data)
    with clock.frozen(opens + timedelta(days=3)):
        for person, scores in zip(people, given, strict=False):
            answers = [AnswerItem(question=i, rating=score) for i, score in enumerate(scores)]
            await services.answer(user_id=person, survey_id=survey_id, answers=answers)
    return survey_id


async def seed(world: DemoWorld) -> None:
    estate_id = world.made.get("places", {}).get("estates", {}).get("nanyuan_xincun")
    if estate_id is None or await Survey.exists().where(Survey.estate == estate_id):
        return
    estate = await estate_ref(estate_id)
    assert estate is not None and estate.property_company_id is not None
    people = await _households(estate_id, len(THIS_YEAR))
    closed = clock.now() - timedelta(days=5)
    await _evaluation(estate_id, closed.year - 1, closed - timedelta(days=365), people, LAST_YEAR)
    this_year = await _evaluation(estate_id, closed.year, closed, people, THIS_YEAR)
    await services.write_response(user_id=None, survey_id=this_year, data=ResponseIn(text=RESPONSE))  # type: ignore[arg-type]
    now = clock.now()
    lifts = SurveyCreate(
        community_id=estate.community_id,
        audience="estate",
        audience_id=estate_id,
        per_household=True,
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=14),
        **LIFT_SURVEY,  # type: ignore[arg-type]
    )
    survey_id = await services.create_survey(user_id=None, data=lifts)
    for person, (choice, concerns) in zip(people, ((0, [0, 3]), (2, [0]), (0, [3])), strict=False):
        answers = [AnswerItem(question=0, choices=[choice]), AnswerItem(question=1, choices=concerns)]
        await services.answer(user_id=person, survey_id=survey_id, answers=answers)
    world.made["surveys"] = {"evaluation": this_year, "lift_survey": survey_id}
    world.summary.append(
        "surveys: 南园新村's evaluations of its property company (last year's and this year's, closed and published "
        f"with the company's response), and an open household survey on lifts (evaluation {this_year}, survey {survey_id})"
    )
