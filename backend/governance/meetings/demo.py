"""Governance meetings: demo data. A 民情恳谈会 on group renting (群租) in 南园, held two weeks ago
in the neighbourhood centre, with opinions from residents of 南园新村 (commercial) and 南园安置小区
(resettlement), its minutes, one decision and two actions: the property company's done, the police
station's overdue. Made through the services where they allow a past meeting (the clock is set
back while it is convened); the residents' opinions are written as they would have been then."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import msgspec

from backend.accounts.api import login_as_developer, person_by_openid
from backend.core import clock
from backend.core.cache import VersionedCache
from backend.core.domain import DemoWorld
from backend.core.stores import build_stores
from backend.events.api import venues
from backend.governance.meetings import services
from backend.governance.meetings.schemas import MeetingCreate, MinutesCreate
from backend.governance.meetings.tables import Action, AgendaItem, Meeting, Submission, SubmissionStatus
from backend.places.api import EstateRef, estates_of_community

CONVENOR = "demo-admin"
TITLE = {
    "zh-Hans": "群租整治民情恳谈会",
    "en": "Group renting in Nanyuan: a residents' consultation",
    "zh-Hant": "群租整治民情懇談會",
    "ja": "又貸し・過密賃貸についての住民懇談会",
    "ko": "불법 쪼개기 임대 주민 간담회",
}
QUESTION = {
    "zh-Hans": "南园新村和安置小区出现多处群租房，噪音、消防和治安隐患突出。怎样整治，谁来负责？",
    "en": "Several flats in Nanyuan New Village and the resettlement estate are rented to crowds: noise, fire "
    "and safety risks. What should be done, and who is responsible?",
}
AGENDA = [
    {"title": {"zh-Hans": "群租现状与隐患", "en": "Group renting today and its risks"}},
    {"title": {"zh-Hans": "整治措施与分工", "en": "Measures and who does what"}},
]
# (openid, display name, estate's zh-Hans name, item, text, named)
OPINIONS = [
    ("demo-gov-1", "王阿姨", "南园新村", 0, "3幢有一套房住了十几个人，晚上很吵。", False),
    ("demo-gov-2", "陈先生", "南园新村", 0, "楼道里堆满电动车，消防通道被堵。", True),
    ("demo-gov-3", "小林", "南园新村", 1, "建议物业加强门禁卡登记，一户一卡。", True),
    ("demo-gov-4", "赵老师", "南园新村", 1, "希望派出所定期上门排查出租房。", False),
    ("demo-gov-5", "周师傅", "南园新村", 1, "房东也要负责，签合同时写明居住人数。", False),
    ("demo-gov-6", "刘奶奶", "南园安置小区", 0, "安置小区也有群租，老人晚上睡不好。", False),
    ("demo-gov-7", "小吴", "南园安置小区", 1, "可以在小区公告栏公示整治进展。", True),
]


async def seed(world: DemoWorld) -> None:
    community_id = world.organisations["nanyuan"]
    if await Meeting.exists().where(Meeting.community == community_id):
        world.summary.append("demo meetings: already there, none added")
        return
    convenor = world.staff[CONVENOR]
    estates = {e.name.get("zh-Hans", ""): e for e in await estates_of_community(community_id)}
    centre = next(v for v in await venues() if v.name.get("zh-Hans") == "南园社区邻里中心")
    held = clock.now().replace(microsecond=0) - timedelta(days=14)
    data = msgspec.convert(
        {
            "community_id": community_id,
            "kind": "consultation",
            "title": TITLE,
            "question": QUESTION,
            "venue_id": centre.id,
            "starts_at": held,
            "ends_at": held + timedelta(hours=2),
            "capacity": 60,
            "agenda": AGENDA,
            "parties": [
                world.organisations["property"],
                world.organisations["police"],
                world.organisations["shuangta"],
            ],
            "audience": {"kind": "estates", "ids": [estates["南园新村"].id, estates["南园安置小区"].id]},
        },
        MeetingCreate,
        strict=False,
    )
    cache = VersionedCache(build_stores(None))
    with clock.frozen(held - timedelta(days=10)):
        meeting_id = await services.convene_meeting(user_id=convenor, data=data, cache=cache)
        await services.announce_meeting(user_id=convenor, meeting_id=meeting_id, cache=cache)
    items = await _opinions(meeting_id, estates, written=held - timedelta(days=5), convenor=convenor)
    await services.publish_minutes(user_id=convenor, meeting_id=meeting_id, data=_minutes(world, items[1]))
    done, overdue = await _actions(meeting_id)
    await services.update_action(
        user_id=world.staff["demo-property"],
        action_id=done,
        status="done",
        note={
            "zh-Hans": "已完成全部住户门禁卡登记，一户一卡。",
            "en": "Every household's gate card registered: one per flat.",
        },
    )
    await services.update_action(
        user_id=convenor,
        action_id=overdue,
        status="in_progress",
        note={"zh-Hans": "已排查南园新村3幢、5幢。", "en": "Buildings 3 and 5 of Nanyuan New Village checked."},
    )
    world.summary.append("demo meetings: a 民情恳谈会 on group renting in 南园, with opinions, minutes and two actions")


async def _opinions(
    meeting_id: uuid.UUID, estates: dict[str, EstateRef], *, written: datetime, convenor: uuid.UUID
) -> list[uuid.UUID]:
    items = [
        row["id"]
        for row in await AgendaItem.select(AgendaItem.id)
        .where(AgendaItem.meeting == meeting_id)
        .order_by(AgendaItem.position)
    ]
    for openid, name, estate_name, item, text, named in OPINIONS:
        user_id = (
            await person_by_openid(f"dev:{openid}")
            or (await login_as_developer(openid=openid, display_name=name))[0].id
        )
        estate = estates[estate_name]
        await Submission.insert(
            Submission(
                meeting=meeting_id,
                item=items[item],
                user=user_id,
                text=text,
                named=named,
                estate=estate.id,
                estate_kind=estate.kind,
                status=SubmissionStatus.accepted.value,
                decided_by=convenor,
                decided_at=written,
                created_at=written,
            )
        )
    return items


def _minutes(world: DemoWorld, item_id: uuid.UUID) -> MinutesCreate:
    today = clock.city_today()
    return msgspec.convert(
        {
            "minutes": {
                "zh-Hans": "社区居委会召集，双塔街道、派出所、南园物业及两个小区居民代表参加。与会各方确认群租"
                "隐患，议定物业一户一卡门禁登记，派出所联合社区上门排查，整治进展在居务公开栏公示。",
                "en": "Convened by the residents' committee with Shuangta street, the police station, the property "
                "company and residents of both estates. Agreed: one gate card per household, door-to-door checks "
                "by police and community, and progress shown on the public board.",
            },
            "decisions": [
                {
                    "item_id": item_id,
                    "text": {
                        "zh-Hans": "物业与派出所联合整治群租",
                        "en": "Property company and police tackle group renting together",
                    },
                    "actions": [
                        {
                            "owner_id": world.organisations["property"],
                            "title": {"zh-Hans": "门禁卡一户一卡登记", "en": "One gate card per household"},
                            "due_on": today - timedelta(days=3),
                        },
                        {
                            "owner_id": world.organisations["police"],
                            "title": {"zh-Hans": "上门排查群租房", "en": "Door-to-door checks of crowded flats"},
                            "due_on": today - timedelta(days=2),
                        },
                    ],
                }
            ],
        },
        MinutesCreate,
        strict=False,
    )


async def _actions(meeting_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    rows = await Action.select(Action.id).where(Action.meeting == meeting_id).order_by(Action.due_on)
    return uuid.UUID(str(rows[0]["id"])), uuid.UUID(str(rows[1]["id"]))
