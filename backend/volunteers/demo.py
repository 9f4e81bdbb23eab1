"""Demo volunteers for 南园社区: a red-armband patrol with its night route (巡更点), evening shifts,
a volunteer with verified hours (enough for a service record), and incidents on their way.

The demo stays alive: every ``linli seed-demo`` (``scripts/demo`` runs it at each start) tops up
what time has made stale, adding nothing twice: a patrol in progress now (started an hour ago,
ending in three, the demo volunteer signed up and not yet checked in, no location asked), so
check-in and checkpoint scans can be tried at any hour, and an evening patrol on each of the next
seven days.

Log in as the demo volunteer with POST /api/v1/auth/dev-login {"openid": "demo-volunteer"}.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from backend.accounts.api import login_as_developer, person_by_openid
from backend.core import clock
from backend.core.crypto import DataKeys, seal
from backend.core.domain import DemoWorld
from backend.core.i18n import CITY_TZ
from backend.core.values import mask_name
from backend.volunteers.hours.tables import HoursEntry, HoursKind, HoursStatus
from backend.volunteers.people.services import ID_NUMBER, REAL_NAME, mask_id_number
from backend.volunteers.people.tables import VolunteerProfile
from backend.volunteers.shifts.tables import Shift, ShiftSignup, ShiftStatus, SignupStatus
from backend.volunteers.teams.tables import Checkpoint, MemberRole, Route, Team, TeamKind, TeamMember

PATROL_NAME = {
    "zh-Hans": "南园红袖标巡逻队",
    "en": "Nanyuan Red Armband Patrol",
    "zh-Hant": "南園紅袖標巡邏隊",
    "ja": "南園赤腕章パトロール隊",
    "ko": "난위안 붉은완장 순찰대",
}
WATCH_NAME = {
    "zh-Hans": "南园邻里守望队",
    "en": "Nanyuan Neighbourhood Watch",
    "zh-Hant": "南園鄰里守望隊",
    "ja": "南園ご近所見守り隊",
    "ko": "난위안 이웃지킴이",
}
LIBRARY_NAME = {
    "zh-Hans": "双塔分馆阅读志愿者",
    "en": "Shuangta Branch Library Helpers",
    "zh-Hant": "雙塔分館閱讀志願者",
    "ja": "双塔分館 図書館ボランティア",
    "ko": "솽타분관 도서관 도우미",
}
EVENING_TITLE = {
    "zh-Hans": "南园夜间巡逻",
    "en": "Nanyuan evening patrol",
    "ja": "南園の夜間パトロール",
    "zh-Hant": "南園夜間巡邏",
    "ko": "난위안 야간 순찰",
}
NOW_TITLE = {
    "zh-Hans": "南园日常巡逻",
    "en": "Nanyuan patrol",
    "ja": "南園の見回り",
    "zh-Hant": "南園日常巡邏",
    "ko": "난위안 순찰",
}
LIVE_FOR = timedelta(hours=1)  # a patrol in progress counts while at least this much of it is left
STOPS = [
    ("南门岗亭", "South gate booth", 31.2940, 120.6279),
    ("3幢楼道口", "Building 3 stairwell", 31.2946, 120.6285),
    ("社区活动中心", "Community centre", 31.2951, 120.6290),
    ("北门停车场", "North gate car park", 31.2957, 120.6283),
]
VOLUNTEERS = [
    ("demo-volunteer", "李华明", "11010519491231002X"),
    ("demo-volunteer-2", "王芳", None),
    ("demo-volunteer-3", "陈建国", None),
]


def _this_second() -> datetime:
    """The clock to the second: demo rows read tidily."""
    return clock.now().replace(microsecond=0)


def _evening(days_ahead: int) -> datetime:
    day = clock.city_today() + timedelta(days=days_ahead)
    return datetime.combine(day, time(19, 0), tzinfo=CITY_TZ).astimezone(UTC)


async def seed(world: DemoWorld) -> None:
    """Create the demo teams when they are missing, and top up the shifts time has used up."""
    teams = await _seed(world, keys=world.keys)
    world.summary.append(
        f"demo volunteer teams: {teams} created (volunteer: dev-login with openid demo-volunteer)"
        if teams
        else "demo volunteer teams: already there, none added"
    )
    added = await _keep_alive(world)
    world.summary.append(
        f"demo patrol shifts: {added} added (one in progress now, evenings for a week)"
        if added
        else "demo patrol shifts: a patrol in progress and this week's evenings are there"
    )


async def _keep_alive(accounts: DemoWorld) -> int:
    """A patrol in progress now and an evening patrol on each of the next seven days, where
    missing; returns how many shifts were added."""
    patrol = next(
        (
            row["id"]
            for row in await Team.select(Team.id, Team.name).output(load_json=True)
            if row["name"].get("zh-Hans") == PATROL_NAME["zh-Hans"]
        ),
        None,
    )
    route = await Route.select(Route.id).where(Route.team == patrol).first() if patrol else None
    if patrol is None or route is None:
        return 0
    coordinator = accounts.staff["demo-coordinator"]
    added = 0
    moment = clock.now()
    in_progress = await Shift.exists().where(
        (Shift.team == patrol)
        & (Shift.status == ShiftStatus.scheduled.value)
        & (Shift.starts_at <= moment)
        & (Shift.ends_at >= moment + LIVE_FOR)
    )
    if not in_progress:
        await _patrol_now(patrol, route["id"], coordinator)
        added += 1
    for days in range(7):
        start = _evening(days)
        that_evening = (Shift.starts_at >= start - timedelta(minutes=1)) & (
            Shift.starts_at <= start + timedelta(minutes=1)
        )
        if start > moment and not await Shift.exists().where((Shift.team == patrol) & that_evening):
            await _shift(patrol, route["id"], start, coordinator)
            added += 1
    return added


async def _patrol_now(team: uuid.UUID, route: uuid.UUID, coordinator: uuid.UUID) -> None:
    """Started an hour ago, ending in three; the demo volunteer holds a place, not checked in."""
    start = _this_second() - timedelta(hours=1)
    volunteer = await person_by_openid("dev:demo-volunteer")
    shift = await _shift(
        team, route, start, coordinator, hours=4, title=NOW_TITLE, radius=None, taken=1 if volunteer else 0
    )
    if volunteer is not None:
        await ShiftSignup(
            shift=shift, user=volunteer, status=SignupStatus.signed_up.value, created_at=_this_second()
        ).save()


async def _seed(accounts: DemoWorld, *, keys: DataKeys) -> int:
    existing = {row["name"].get("zh-Hans") for row in await Team.select(Team.name).output(load_json=True)}
    if PATROL_NAME["zh-Hans"] in existing:
        return 0
    nanyuan = accounts.organisations["nanyuan"]
    coordinator = accounts.staff["demo-coordinator"]
    people = [await _volunteer(openid, name, id_number, keys) for openid, name, id_number in VOLUNTEERS]
    patrol = await _team(nanyuan, TeamKind.red_armband, PATROL_NAME, coordinator, people)
    await _team(nanyuan, TeamKind.neighbourhood_watch, WATCH_NAME, coordinator, people[1:], join_mode="approval")
    await _team(nanyuan, TeamKind.library_helper, LIBRARY_NAME, coordinator, people[:1])
    route = await _route(patrol)
    await _past_service(patrol, route, people[0], coordinator)
    # What the patrol reports is governance's to seed (incidents live there): it finds these here.
    accounts.made["volunteers.patrol"] = patrol
    accounts.made["volunteers.reporter"] = people[1]
    return 3


async def _volunteer(openid: str, real_name: str, id_number: str | None, keys: DataKeys) -> uuid.UUID:
    user, _ = await login_as_developer(openid=openid, display_name=real_name[0] + "师傅")
    await VolunteerProfile(
        user=user.id,
        real_name_sealed=seal(real_name, keys=keys, purpose=REAL_NAME),
        real_name_masked=mask_name(real_name),
        id_document="resident_id" if id_number else None,
        id_number_sealed=seal(id_number, keys=keys, purpose=ID_NUMBER) if id_number else None,
        id_number_masked=mask_id_number(id_number) if id_number else None,
        skills=["急救", "苏州话"],
        languages=["zh", "wuu"],
        consented_at=_this_second(),
        created_at=_this_second(),
        updated_at=_this_second(),
    ).save()
    return user.id


async def _team(
    community: uuid.UUID,
    kind: TeamKind,
    name: dict[str, str],
    coordinator: uuid.UUID,
    members: list[uuid.UUID],
    *,
    join_mode: str = "open",
) -> uuid.UUID:
    team = Team(
        community=community,
        kind=kind.value,
        name=name,
        description={},
        join_mode=join_mode,
        created_by=coordinator,
        created_at=_this_second(),
    )
    await team.save()
    await TeamMember(
        team=team.id, user=coordinator, role=MemberRole.coordinator.value, created_at=_this_second()
    ).save()
    for member in members:
        await TeamMember(team=team.id, user=member, created_at=_this_second()).save()
    return team.id


async def _route(team: uuid.UUID) -> uuid.UUID:
    route = Route(
        team=team,
        name={"zh-Hans": "南园夜巡线", "en": "Nanyuan night round"},
        description={},
        created_at=_this_second(),
    )
    await route.save()
    for position, (zh, en, lat, lng) in enumerate(STOPS, start=1):
        code = (
            f"NY{team.hex[:4].upper()}{position:02d}".replace("0", "8")
            .replace("1", "7")
            .replace("O", "Q")
            .replace("I", "J")
            .replace("L", "M")
        )
        await Checkpoint(
            route=route.id, position=position, name={"zh-Hans": zh, "en": en}, latitude=lat, longitude=lng, code=code
        ).save()
    return route.id


async def _shift(
    team: uuid.UUID,
    route: uuid.UUID,
    start: datetime,
    coordinator: uuid.UUID,
    *,
    taken: int = 0,
    hours: int = 2,
    title: dict[str, str] = EVENING_TITLE,
    radius: int | None = 500,
) -> uuid.UUID:
    shift = Shift(
        team=team,
        route=route,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        capacity=6,
        seats_taken=taken,
        latitude=STOPS[0][2],
        longitude=STOPS[0][3],
        check_in_radius_m=radius,
        created_by=coordinator,
        created_at=_this_second(),
    )
    await shift.save()
    return shift.id


async def _past_service(team: uuid.UUID, route: uuid.UUID, volunteer: uuid.UUID, coordinator: uuid.UUID) -> None:
    """Three patrols last month, verified by the coordinator: hours to see and a record to download."""
    for days in (30, 23, 16):
        start = _evening(-days)
        shift = await _shift(team, route, start, coordinator, taken=1)
        signup = ShiftSignup(
            shift=shift,
            user=volunteer,
            status=SignupStatus.attended.value,
            created_at=start - timedelta(days=2),
            checked_in_at=start,
            checked_out_at=start + timedelta(hours=2),
        )
        await signup.save()
        await HoursEntry(
            user=volunteer,
            team=team,
            kind=HoursKind.shift.value,
            minutes=120,
            service_date=start.astimezone(CITY_TZ).date(),
            content=EVENING_TITLE["zh-Hans"],
            title=EVENING_TITLE,
            shift=shift,
            signup=signup.id,
            source_key=f"shift:{signup.id}",
            status=HoursStatus.verified.value,
            created_by=volunteer,
            created_at=start + timedelta(hours=2),
            decided_by=coordinator,
            decided_at=start + timedelta(days=1),
        ).save()
