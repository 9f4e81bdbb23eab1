"""Demo organisations and staff accounts, so a newcomer can try the API at once."""

from __future__ import annotations

import uuid

from backend.accounts import services, staff
from backend.accounts.tables import Organisation, OrganisationKind, Role, User
from backend.core.domain import DemoWorld

DEMO_PASSWORD = "linli-demo-2026"

# (key, kind, parent key, names)
_ORGANISATIONS: list[tuple[str, OrganisationKind, str | None, dict[str, str]]] = [
    (
        "city",
        OrganisationKind.city,
        None,
        {"zh-Hans": "苏州市", "en": "Suzhou", "zh-Hant": "蘇州市", "ja": "蘇州市", "ko": "쑤저우시"},
    ),
    (
        "gusu",
        OrganisationKind.district,
        "city",
        {"zh-Hans": "姑苏区", "en": "Gusu District", "zh-Hant": "姑蘇區", "ja": "姑蘇区", "ko": "구쑤구"},
    ),
    (
        "shuangta",
        OrganisationKind.street,
        "gusu",
        {"zh-Hans": "双塔街道", "en": "Shuangta Street", "zh-Hant": "雙塔街道", "ja": "双塔街道", "ko": "솽타 가도"},
    ),
    (
        "nanyuan",
        OrganisationKind.community,
        "shuangta",
        {
            "zh-Hans": "南园社区",
            "en": "Nanyuan Community",
            "zh-Hant": "南園社區",
            "ja": "南園コミュニティ",
            "ko": "난위안 커뮤니티",
        },
    ),
    (
        "gunxiufang",
        OrganisationKind.community,
        "shuangta",
        {
            "zh-Hans": "滚绣坊社区",
            "en": "Gunxiufang Community",
            "zh-Hant": "滾繡坊社區",
            "ja": "滾繍坊コミュニティ",
            "ko": "권슈팡 커뮤니티",
        },
    ),
    (
        "sip",
        OrganisationKind.district,
        "city",
        {
            "zh-Hans": "苏州工业园区",
            "en": "Suzhou Industrial Park",
            "zh-Hant": "蘇州工業園區",
            "ja": "蘇州工業園区",
            "ko": "쑤저우 공업원구",
        },
    ),
    (
        "xietang",
        OrganisationKind.street,
        "sip",
        {"zh-Hans": "斜塘街道", "en": "Xietang Street", "zh-Hant": "斜塘街道", "ja": "斜塘街道", "ko": "셰탕 가도"},
    ),
    (
        "lianhua",
        OrganisationKind.community,
        "xietang",
        {
            "zh-Hans": "莲花社区",
            "en": "Lianhua Community",
            "zh-Hant": "蓮花社區",
            "ja": "蓮花コミュニティ",
            "ko": "롄화 커뮤니티",
        },
    ),
    (
        "library",
        OrganisationKind.library,
        "shuangta",
        {
            "zh-Hans": "苏州图书馆双塔分馆",
            "en": "Suzhou Library, Shuangta Branch",
            "zh-Hant": "蘇州圖書館雙塔分館",
            "ja": "蘇州図書館 双塔分館",
            "ko": "쑤저우도서관 솽타분관",
        },
    ),
    (
        "property",
        OrganisationKind.property_company,
        "nanyuan",
        {
            "zh-Hans": "南园物业服务中心",
            "en": "Nanyuan Property Services",
            "zh-Hant": "南園物業服務中心",
            "ja": "南園物業管理センター",
            "ko": "난위안 관리사무소",
        },
    ),
    (
        "police",
        OrganisationKind.police_station,
        "shuangta",
        {
            "zh-Hans": "双塔派出所",
            "en": "Shuangta Police Station",
            "zh-Hant": "雙塔派出所",
            "ja": "双塔派出所",
            "ko": "솽타 파출소",
        },
    ),
    (
        "chengguan",
        OrganisationKind.city_management,
        "gusu",
        {
            "zh-Hans": "姑苏区城管大队",
            "en": "Gusu City Management Brigade",
            "zh-Hant": "姑蘇區城管大隊",
            "ja": "姑蘇区城市管理大隊",
            "ko": "구쑤구 도시관리대",
        },
    ),
    (
        "volunteers",
        OrganisationKind.volunteer_association,
        "nanyuan",
        {
            "zh-Hans": "南园邻里守望志愿队",
            "en": "Nanyuan Neighbourhood Watch Volunteers",
            "zh-Hant": "南園鄰里守望志願隊",
            "ja": "南園近隣見守りボランティア",
            "ko": "난위안 이웃지킴 자원봉사단",
        },
    ),
]

# (username, display name, role, organisation key)
_STAFF: list[tuple[str, str, Role, str]] = [
    ("demo-admin", "市管理员", Role.admin, "city"),
    ("demo-organiser", "双塔街道文化站", Role.organiser, "shuangta"),
    ("demo-librarian", "双塔分馆馆员", Role.library_staff, "library"),
    ("demo-coordinator", "南园志愿队协调员", Role.coordinator, "nanyuan"),
    ("demo-property", "南园物业客服", Role.organiser, "property"),
]


async def seed(world: DemoWorld) -> None:
    """Create what is missing, into ``world`` for the domains after this one; running it twice
    changes nothing."""
    result = world
    for key, kind, parent_key, names in _ORGANISATIONS:
        existing = await _find_organisation(kind, names["zh-Hans"])
        if existing is None:
            parent_id = result.organisations[parent_key] if parent_key else None
            existing = (await services.create_organisation(kind=kind, name=names, parent_id=parent_id)).id
        result.organisations[key] = existing
    for username, display_name, role, organisation_key in _STAFF:
        user_id = await User.select(User.id).where(User.username == username).first()
        if user_id is None:
            user = await staff.create_staff(username=username, password=DEMO_PASSWORD, display_name=display_name)
            user_id = {"id": user.id}
        await staff.grant_role(user_id=user_id["id"], organisation_id=result.organisations[organisation_key], role=role)
        result.staff[username] = user_id["id"]
    world.summary += [
        f"demo data ready: {len(world.organisations)} organisations, {len(world.staff)} staff accounts",
        f"staff log in at POST /api/v1/auth/login with password {DEMO_PASSWORD!r}: " + ", ".join(world.staff),
        "residents log in at POST /api/v1/auth/dev-login (development only) or with WeChat",
    ]


async def _find_organisation(kind: OrganisationKind, zh_name: str) -> uuid.UUID | None:
    rows = (
        await Organisation.select(Organisation.id, Organisation.name)
        .where(Organisation.kind == kind.value)
        .output(load_json=True)
    )
    return next((row["id"] for row in rows if row["name"].get("zh-Hans") == zh_name), None)
