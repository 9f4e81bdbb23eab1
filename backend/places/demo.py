"""The 南园 community's places: four estates of different kinds (one resettlement estate) with
buildings and units, two grids with their grid workers and building heads, the estates' alliance
with a joint owners' convention (共同业主公约), and residents who said where they live (``RESIDENTS``
per estate, demo logins ``demo-resident-<estate>-<n>``), whose taking part the events demo records
for the counts by place. Running it twice changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from backend.accounts.api import (
    OrganisationKind,
    create_organisation,
    create_staff,
    login_as_developer,
    organisation,
    organisations_under,
    person_by_openid,
)
from backend.core.domain import DemoWorld
from backend.places import alliances, estates, grids, residences
from backend.places.schemas import EstateCreate, GridAreaIn, MemberIn, ResidencePut
from backend.places.tables import Building, Estate

ADMIN = "demo-admin"
GRID_WORKER_PASSWORD = "linli-demo-2026"


@dataclass(frozen=True)
class _Estate:
    key: str
    names: dict[str, str]
    kind: str
    year_built: int
    households: int
    role: str  # in the alliance
    buildings: tuple[str, ...]
    point: tuple[float, float]  # the estate's gate, GCJ-02: reports resolve to the nearest within 350 m


ESTATES = (
    _Estate(
        "nanyuan_xincun",
        {
            "zh-Hans": "南园新村",
            "en": "Nanyuan New Village",
            "zh-Hant": "南園新村",
            "ja": "南園新村",
            "ko": "난위안 신촌",
        },
        "commercial",
        2003,
        820,
        "flagship",
        ("1幢", "2幢", "3幢"),
        (31.2950, 120.6288),
    ),
    _Estate(
        "yangzhitang",
        {
            "zh-Hans": "杨枝塘小区",
            "en": "Yangzhitang Estate",
            "zh-Hant": "楊枝塘小區",
            "ja": "楊枝塘団地",
            "ko": "양즈탕 단지",
        },
        "improved",
        1996,
        460,
        "partner",
        ("5号楼", "6号楼"),
        (31.2992, 120.6262),
    ),
    _Estate(
        "nanhuan",
        {
            "zh-Hans": "南环公寓",
            "en": "Nanhuan Apartments",
            "zh-Hant": "南環公寓",
            "ja": "南環アパート",
            "ko": "난환 아파트",
        },
        "affordable",
        2011,
        380,
        "allied",
        ("A座", "B座"),
        (31.2914, 120.6329),
    ),
    _Estate(
        "nanyuan_anzhi",
        {
            "zh-Hans": "南园安置小区",
            "en": "Nanyuan Resettlement Estate",
            "zh-Hant": "南園安置小區",
            "ja": "南園移転住宅団地",
            "ko": "난위안 이주 단지",
        },
        "resettlement",
        2015,
        610,
        "allied",
        ("11幢", "12幢"),
        (31.2978, 120.6347),
    ),
)
COMMITTEE = {
    "zh-Hans": "南园新村业主委员会",
    "en": "Nanyuan New Village Owners' Committee",
    "zh-Hant": "南園新村業主委員會",
    "ja": "南園新村管理組合",
    "ko": "난위안 신촌 입주자대표회의",
}
GRIDS = (
    (
        {
            "zh-Hans": "南园第一网格",
            "en": "Nanyuan Grid 1",
            "zh-Hant": "南園第一網格",
            "ja": "南園第1グリッド",
            "ko": "난위안 제1구역",
        },
        ("nanyuan_xincun", "nanhuan"),
        ("demo-grid-1", "网格员王芳"),
        ("demo-head-1", "陈建国"),
    ),
    (
        {
            "zh-Hans": "南园第二网格",
            "en": "Nanyuan Grid 2",
            "zh-Hant": "南園第二網格",
            "ja": "南園第2グリッド",
            "ko": "난위안 제2구역",
        },
        ("yangzhitang", "nanyuan_anzhi"),
        ("demo-grid-2", "网格员李强"),
        ("demo-head-2", "周秀英"),
    ),
)
ALLIANCE = {
    "zh-Hans": "南园小区联盟",
    "en": "Nanyuan Estate Alliance",
    "zh-Hant": "南園小區聯盟",
    "ja": "南園団地連盟",
    "ko": "난위안 단지 연맹",
}
CONVENTION_TITLE = {
    "zh-Hans": "南园小区联盟共同业主公约",
    "en": "Joint Owners' Convention of the Nanyuan Estate Alliance",
    "zh-Hant": "南園小區聯盟共同業主公約",
    "ja": "南園団地連盟 共同管理規約",
    "ko": "난위안 단지 연맹 공동 입주자 규약",
}
CONVENTION = {
    "zh-Hans": "第一条 联盟各小区业主共同爱护公共绿地和通道，不违章搭建，不群租。\n"
    "第二条 各小区业委会每季度召开一次联席会议，互通物业服务情况。\n"
    "第三条 联盟每年组织不少于两次小区居民联谊活动。",
    "en": "Article 1. The owners of every estate of the alliance look after the shared green spaces and paths, "
    "build nothing without permission and do not sublet to groups.\n"
    "Article 2. The owners' committees meet jointly every quarter and share how property services are going.\n"
    "Article 3. The alliance holds at least two fellowship events for residents each year.",
}


# Residents per estate who said where they live: enough for every estate's count to be shown.
RESIDENTS = {"nanyuan_xincun": 14, "yangzhitang": 9, "nanhuan": 8, "nanyuan_anzhi": 12}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭"


async def _residents(made: dict[str, uuid.UUID]) -> dict[str, list[uuid.UUID]]:
    """Demo residents of each estate, with their residence given and consented."""
    found: dict[str, list[uuid.UUID]] = {}
    for key, count in RESIDENTS.items():
        found[key] = []
        for n in range(count):
            name = f"{SURNAMES[(n + len(key)) % len(SURNAMES)]}{'秀建文明海兰'[n % 6]}{'英华平芳'[n % 4]}"
            user, _created = await login_as_developer(openid=f"demo-resident-{key}-{n + 1}", display_name=name)
            await residences.set_residence(user_id=user.id, data=ResidencePut(estate_id=made[key], consent=True))
            found[key].append(user.id)
    return found


def _csv(buildings: tuple[str, ...]) -> bytes:
    lines = ["building,unit,floor_area"]
    for building in buildings:
        for floor in range(1, 4):
            for door in (1, 2):
                lines.append(f"{building},{floor}0{door},{78 + 11 * door}.5")
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


async def _estate_id(community_id: uuid.UUID, name: str) -> uuid.UUID | None:
    rows = await Estate.select(Estate.id, Estate.name).where(Estate.community == community_id).output(load_json=True)
    return next((row["id"] for row in rows if row["name"].get("zh-Hans") == name), None)


async def seed(world: DemoWorld) -> None:
    admin = world.staff[ADMIN]
    community_id = world.organisations["nanyuan"]
    if await _estate_id(community_id, ESTATES[0].names["zh-Hans"]) is not None:
        return
    community = await organisation(community_id)
    assert community is not None
    committee = (
        next(
            (
                o.id
                for o in await organisations_under(community.path, kind=OrganisationKind.owners_committee)
                if o.name.get("zh-Hans") == COMMITTEE["zh-Hans"]
            ),
            None,
        )
        or (
            await create_organisation(kind=OrganisationKind.owners_committee, name=COMMITTEE, parent_id=community_id)
        ).id
    )
    made: dict[str, uuid.UUID] = {}
    for spec in ESTATES:
        flagship = spec.role == "flagship"
        data = EstateCreate(
            community_id=community_id,
            name=spec.names,  # type: ignore[arg-type]
            kind=spec.kind,  # type: ignore[arg-type]
            year_built=spec.year_built,
            households=spec.households,
            latitude=spec.point[0],
            longitude=spec.point[1],
            property_company_id=world.organisations["property"],
            owners_committee_id=committee if flagship else None,
        )
        made[spec.key] = await estates.create_estate(user_id=admin, data=data)
        await estates.import_units(user_id=admin, estate_id=made[spec.key], data=_csv(spec.buildings))
    grid_ids: list[uuid.UUID] = []
    for name, covered, (username, worker_name), (openid, head_name) in GRIDS:
        areas = [GridAreaIn(estate_id=made[key]) for key in covered]
        grid_id = await grids.create_grid(user_id=admin, community_id=community_id, name=name, areas=areas)
        grid_ids.append(grid_id)
        # The estates are new (see the top), so their grid workers are too.
        worker = await create_staff(username=username, password=GRID_WORKER_PASSWORD, display_name=worker_name)
        worker_id = worker.id
        await grids.appoint_worker(user_id=admin, grid_id=grid_id, worker_id=worker_id)
        world.staff[username] = worker_id
        head_id = (
            await person_by_openid(f"dev:{openid}")
            or (await login_as_developer(openid=openid, display_name=head_name))[0].id
        )
        for first in await Building.select(Building.id).where(Building.estate == made[covered[0]]).limit(1):
            await grids.appoint_building_head(user_id=admin, building_id=first["id"], head_id=head_id)
    members = [MemberIn(estate_id=made[spec.key], role=spec.role) for spec in ESTATES]  # type: ignore[arg-type]
    alliance_id = await alliances.create_alliance(
        user_id=admin, community_id=community_id, name=ALLIANCE, members=members
    )
    await alliances.create_document(user_id=admin, alliance_id=alliance_id, title=CONVENTION_TITLE, body=CONVENTION)
    world.made["places"] = {
        "estates": made,
        "alliance": alliance_id,
        "grids": grid_ids,
        "residents": await _residents(made),
    }
    world.summary.append(
        "places: 南园 has 4 estates (one resettlement estate), 2 grids (grid workers demo-grid-1, demo-grid-2), "
        f"the 南园小区联盟 with its joint owners' convention, and {sum(RESIDENTS.values())} residents who said "
        "where they live"
    )
