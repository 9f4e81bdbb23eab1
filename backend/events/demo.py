"""Demo venues and a few dozen events over the coming five weeks, made through the services.

Gusu (双塔街道: 南园, 滚绣坊) and SIP (斜塘街道: 莲花), GCJ-02 coordinates as WeChat maps use
them; programmes in the spirit of the city's 群星璀璨 brand (天天有, 周周演, 月月新) and of
proposal 007: heritage, newcomers (新苏州人, 洋苏州人), young people and neighbours who meet.
Dates are relative to today and set in Suzhou time, so the demo always lies ahead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict

import msgspec

from backend.core import clock
from backend.core.cache import VersionedCache
from backend.core.domain import DemoWorld
from backend.core.i18n import CITY_TZ, LocaleCode
from backend.core.stores import build_stores
from backend.events.catalogue import services
from backend.events.catalogue.schemas import EventCreate, VenueCreate
from backend.events.catalogue.tables import Event, Venue
from backend.events.demo_past import seed_past

Text = dict[LocaleCode, str]

ORGANISER = "demo-organiser"  # 双塔街道文化站: 南园 and 滚绣坊 are under 双塔
LIBRARIAN = "demo-librarian"
ADMIN = "demo-admin"  # city admin, who runs the demo's 莲花 (SIP) programme


@dataclass(frozen=True)
class _Place:
    key: str
    keeper: str  # organisation key of who keeps the venue's details
    community: str
    name: Text
    address: Text
    latitude: float
    longitude: float
    accessibility: Text
    shared: bool = False  # a public place any organiser may book (squares, halls, the library)


_VENUES: list[_Place] = [
    _Place(
        "nanyuan_centre",
        "nanyuan",
        "nanyuan",
        {
            "zh-Hans": "南园社区邻里中心",
            "en": "Nanyuan Neighbourhood Centre",
            "zh-Hant": "南園社區鄰里中心",
            "ja": "南園コミュニティセンター",
            "ko": "난위안 주민센터",
        },
        {
            "zh-Hans": "姑苏区南园北路 58 号",
            "en": "58 Nanyuan North Road, Gusu District",
            "zh-Hant": "姑蘇區南園北路 58 號",
        },
        31.2930,
        120.6282,
        {
            "zh-Hans": "一楼多功能厅，入口无台阶，设无障碍卫生间",
            "en": "Ground-floor hall, step-free entrance, accessible toilet",
            "zh-Hant": "一樓多功能廳，入口無台階，設無障礙洗手間",
        },
    ),
    _Place(
        "nanyuan_square",
        "nanyuan",
        "nanyuan",
        {
            "zh-Hans": "南园小广场",
            "en": "Nanyuan Pocket Square",
            "zh-Hant": "南園小廣場",
            "ja": "南園ポケット広場",
            "ko": "난위안 소광장",
        },
        {"zh-Hans": "姑苏区南园北路东侧", "en": "East side of Nanyuan North Road, Gusu District"},
        31.2918,
        120.6301,
        {"zh-Hans": "露天平整场地，雨天顺延", "en": "Open air on level paving; postponed if it rains"},
        shared=True,
    ),
    _Place(
        "shuchang",
        "shuangta",
        "gunxiufang",
        {
            "zh-Hans": "双塔文化站书场",
            "en": "Shuangta Storytelling Hall",
            "zh-Hant": "雙塔文化站書場",
            "ja": "双塔文化ステーション 評弾書場",
            "ko": "솽타 문화센터 평탄 공연장",
        },
        {
            "zh-Hans": "姑苏区定慧寺巷 22 号",
            "en": "22 Dinghuisi Lane, Gusu District",
            "zh-Hant": "姑蘇區定慧寺巷 22 號",
        },
        31.2985,
        120.6335,
        {
            "zh-Hans": "一楼，入口设坡道，场内有助听环路",
            "en": "Ground floor, ramp at the entrance, hearing loop in the hall",
            "ja": "1階、入口にスロープ、ヒアリングループあり",
        },
        shared=True,
    ),
    _Place(
        "library",
        "library",
        "nanyuan",
        {
            "zh-Hans": "苏州图书馆双塔分馆",
            "en": "Suzhou Library, Shuangta Branch",
            "zh-Hant": "蘇州圖書館雙塔分館",
            "ja": "蘇州図書館 双塔分館",
            "ko": "쑤저우도서관 솽타분관",
        },
        {
            "zh-Hans": "姑苏区凤凰街 160 号",
            "en": "160 Fenghuang Street, Gusu District",
            "zh-Hant": "姑蘇區鳳凰街 160 號",
        },
        31.2962,
        120.6268,
        {
            "zh-Hans": "电梯直达二楼阅览区，设无障碍卫生间",
            "en": "Lift to the first-floor reading room; accessible toilet",
        },
        shared=True,
    ),
    _Place(
        "gunxiufang_centre",
        "gunxiufang",
        "gunxiufang",
        {
            "zh-Hans": "滚绣坊社区活动中心",
            "en": "Gunxiufang Community Activity Centre",
            "zh-Hant": "滾繡坊社區活動中心",
            "ja": "滾繍坊コミュニティ活動センター",
            "ko": "권슈팡 커뮤니티 활동센터",
        },
        {"zh-Hans": "姑苏区滚绣坊 36 号", "en": "36 Gunxiufang, Gusu District"},
        31.3003,
        120.6248,
        {
            "zh-Hans": "活动室在二楼，无电梯；需要协助请提前告知",
            "en": "Upstairs with no lift: tell us beforehand if you need help",
        },
    ),
    _Place(
        "embroidery_studio",
        "gunxiufang",
        "gunxiufang",
        {
            "zh-Hans": "滚绣坊苏绣工作室",
            "en": "Gunxiufang Suzhou Embroidery Studio",
            "zh-Hant": "滾繡坊蘇繡工作室",
            "ja": "滾繍坊 蘇州刺繍工房",
            "ko": "권슈팡 쑤저우 자수 공방",
        },
        {"zh-Hans": "姑苏区十全街 245 号", "en": "245 Shiquan Street, Gusu District", "ja": "姑蘇区十全街245号"},
        31.2995,
        120.6290,
        {
            "zh-Hans": "老宅一楼，门口一级台阶，可铺临时坡道",
            "en": "Old house, ground floor: one step at the door, a portable ramp on request",
        },
    ),
    _Place(
        "lianhua_centre",
        "lianhua",
        "lianhua",
        {
            "zh-Hans": "莲花社区邻里中心",
            "en": "Lianhua Neighbourhood Centre",
            "zh-Hant": "蓮花社區鄰里中心",
            "ja": "蓮花コミュニティセンター",
            "ko": "롄화 주민센터",
        },
        {"zh-Hans": "工业园区斜塘莲花新村四区 12 幢", "en": "Building 12, Lianhua Xincun Zone 4, Xietang, SIP"},
        31.2885,
        120.7232,
        {
            "zh-Hans": "全程无障碍，可预约手语翻译",
            "en": "Step-free throughout; sign-language interpreting on request",
            "ko": "전 구역 무장애, 수어 통역 예약 가능",
        },
    ),
    _Place(
        "lianhua_lounge",
        "lianhua",
        "lianhua",
        {
            "zh-Hans": "莲花国际邻里客厅",
            "en": "Lianhua International Neighbours' Lounge",
            "zh-Hant": "蓮花國際鄰里客廳",
            "ja": "蓮花インターナショナル・ラウンジ",
            "ko": "롄화 국제 이웃 라운지",
        },
        {
            "zh-Hans": "工业园区斜塘莲花新村五区商业街 3 号",
            "en": "3 Shopping Street, Lianhua Xincun Zone 5, Xietang, SIP",
            "ja": "工業園区斜塘 蓮花新村五区 商店街3号",
            "ko": "공업원구 셰탕 롄화신촌 5구 상가 3호",
        },
        31.2903,
        120.7288,
        {
            "zh-Hans": "一楼无台阶，备有英日韩文资料",
            "en": "Ground floor, step-free; printed guides in English, Japanese and Korean",
            "ja": "1階・段差なし、英語・日本語・韓国語の資料あり",
            "ko": "1층 무단차, 영어·일본어·한국어 안내 자료 비치",
        },
    ),
    _Place(
        "xietang_stage",
        "xietang",
        "lianhua",
        {
            "zh-Hans": "斜塘老街古戏台",
            "en": "Xietang Old Street Opera Stage",
            "zh-Hant": "斜塘老街古戲臺",
            "ja": "斜塘老街 古戯台",
            "ko": "셰탕 옛거리 전통 무대",
        },
        {"zh-Hans": "工业园区斜塘老街", "en": "Xietang Old Street, SIP"},
        31.2862,
        120.7346,
        {"zh-Hans": "露天看台，前排设轮椅观演区", "en": "Open-air stands with wheelchair spaces in the front row"},
        shared=True,
    ),
]


@dataclass(frozen=True)
class _Plan:
    venue: str
    category: str
    title: Text
    summary: Text
    day: date
    start: time
    minutes: int
    capacity: int
    organiser: str = ORGANISER
    organisation: str = "shuangta"
    description: Text = field(default_factory=dict)
    max_party_size: int = 1
    audiences: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("zh",)
    accessibility: tuple[str, ...] = ()
    recurrence: dict[str, Any] | None = None
    price_note: Text = field(default_factory=dict)
    registration_opens_at: datetime | None = None
    contact_name: str = "双塔街道文化站"
    contact_phone: str = "0512-6520 1880"
    audience: dict[str, Any] | None = None  # aimed at places (places' demo ids)
    fellowship: bool = False


class _Host(TypedDict):
    """Who runs a plan that the street's cultural station does not."""

    organiser: str
    organisation: str
    contact_name: str
    contact_phone: str


def _plans(today: date) -> list[_Plan]:
    def on(weekday: int, week: int = 0) -> date:
        """``weekday`` (Monday = 0) of the ``week``-th coming week, never today."""
        day = today + timedelta(days=1)
        while day.weekday() != weekday:
            day += timedelta(days=1)
        return day + timedelta(weeks=week)

    tomorrow = today + timedelta(days=1)
    lianhua: _Host = {
        "organiser": ADMIN,
        "organisation": "lianhua",
        "contact_name": "莲花社区居委会",
        "contact_phone": "0512-6295 3170",
    }
    library: _Host = {
        "organiser": LIBRARIAN,
        "organisation": "library",
        "contact_name": "双塔分馆服务台",
        "contact_phone": "0512-6522 7410",
    }
    _mon, tue, wed, thu, fri, sat, sun = range(7)
    return [
        # --- recurring programmes -------------------------------------------------------------
        _Plan(
            "nanyuan_square",
            "sports",
            {
                "zh-Hans": "天天有·晨练太极",
                "en": "Every Day: Morning Tai Chi",
                "zh-Hant": "天天有·晨練太極",
                "ja": "毎日開催：朝の太極拳",
                "ko": "매일 열리는 아침 태극권",
            },
            {
                "zh-Hans": "每天清晨在南园小广场，跟着老师练一套二十四式太极拳，新手也能跟上。",
                "en": "Every morning on Nanyuan Square: learn the 24-form tai chi with a teacher. Beginners keep up easily.",
                "zh-Hant": "每天清晨在南園小廣場，跟著老師練一套二十四式太極拳，新手也能跟上。",
                "ja": "毎朝、南園ポケット広場で先生と一緒に二十四式太極拳。初めての方でも大丈夫です。",
                "ko": "매일 아침 난위안 소광장에서 선생님과 함께 24식 태극권을 배웁니다. 처음이어도 괜찮아요.",
            },
            tomorrow,
            time(7, 0),
            60,
            30,
            audiences=("seniors", "new_residents"),
            languages=("zh", "wuu"),
            recurrence={"freq": "daily", "count": 14},
        ),
        _Plan(
            "shuchang",
            "performance",
            {
                "zh-Hans": "周周演·评弹书场",
                "en": "Every Saturday: Pingtan Storytelling",
                "zh-Hant": "周周演·評彈書場",
                "ja": "毎週土曜：蘇州評弾の書場",
                "ko": "매주 토요일: 쑤저우 평탄 공연",
            },
            {
                "zh-Hans": "苏州评弹演员说唱长篇选回，一杯清茶，一段吴侬软语。附中英文节目说明。",
                "en": "Suzhou pingtan storytellers sing and tell chapters of a classic tale, with tea. Programme notes in Chinese and English.",
                "zh-Hant": "蘇州評彈演員說唱長篇選回，一杯清茶，一段吳儂軟語。附中英文節目說明。",
                "ja": "お茶を片手に、蘇州評弾の語りと弾き唄いを。中国語・英語の解説付き。",
                "ko": "차 한 잔과 함께 즐기는 쑤저우 평탄의 이야기와 노래. 중국어·영어 해설 제공.",
            },
            on(sat),
            time(14, 0),
            120,
            60,
            description={
                "zh-Hans": "每周六下午演出，共五场。书场设助听环路，轮椅可由坡道入场。",
                "en": "Five Saturday afternoons. The hall has a hearing loop and a ramp for wheelchairs.",
            },
            max_party_size=4,
            audiences=("seniors", "new_residents", "foreign_friendly"),
            languages=("wuu", "zh"),
            accessibility=("wheelchair", "hearing_loop"),
            recurrence={"freq": "weekly", "weekdays": [sat], "count": 5},
        ),
        _Plan(
            "library",
            "exhibition",
            {
                "zh-Hans": "月月新·苏州老照片展",
                "en": "New Every Month: Old Suzhou in Photographs",
                "zh-Hant": "月月新·蘇州老照片展",
            },
            {
                "zh-Hans": "每月一期，从街巷、河道到评弹书场，用老照片讲述姑苏城的变迁。",
                "en": "A new selection each month: lanes, canals and storytelling halls, the old city's changes in photographs.",
                "zh-Hant": "每月一期，從街巷、河道到評彈書場，用老照片講述姑蘇城的變遷。",
            },
            on(sun, 1),
            time(9, 30),
            450,
            100,
            **library,
            max_party_size=4,
            audiences=("family", "seniors", "youth"),
            languages=("zh",),
            accessibility=("wheelchair",),
            recurrence={"freq": "monthly", "count": 3},
        ),
        _Plan(
            "xietang_stage",
            "sports",
            {
                "zh-Hans": "周四青年夜跑",
                "en": "Thursday Night Run for Young Residents",
                "ja": "木曜ナイトラン",
                "ko": "목요일 청년 야간 러닝",
            },
            {
                "zh-Hans": "下班后从斜塘老街出发，沿河慢跑 5 公里，跑完一起喝杯奶茶认识新邻居。",
                "en": "After work, a relaxed 5 km along the canal from Xietang Old Street, then bubble tea with new neighbours.",
                "ja": "仕事帰りに斜塘老街から運河沿いを5kmジョギング。走った後はタピオカで交流会。",
                "ko": "퇴근 후 셰탕 옛거리에서 운하를 따라 5km 가볍게 달리고, 밀크티 마시며 이웃과 인사해요.",
            },
            on(thu),
            time(19, 30),
            75,
            25,
            **lianhua,
            audiences=("youth", "new_residents"),
            languages=("zh", "en"),
            recurrence={"freq": "weekly", "weekdays": [thu], "count": 4},
        ),
        # --- heritage ---------------------------------------------------------------------------
        _Plan(
            "xietang_stage",
            "performance",
            {
                "zh-Hans": "昆曲《牡丹亭》折子戏专场",
                "en": "Kunqu Opera: Scenes from The Peony Pavilion",
                "zh-Hant": "崑曲《牡丹亭》折子戲專場",
                "ja": "昆劇『牡丹亭』名場面公演",
                "ko": "곤곡 〈모란정〉 명장면 공연",
            },
            {
                "zh-Hans": "“游园”“惊梦”等经典折子，古戏台夜演。报名于明日 10:00 开放，名额有限。",
                "en": "Classic scenes including 'Strolling in the Garden', on the old open-air stage. Sign-up opens tomorrow at 10:00.",
                "zh-Hant": "「遊園」「驚夢」等經典折子，古戲臺夜演。報名於明日 10:00 開放，名額有限。",
                "ja": "「遊園」「驚夢」など名場面を古戯台で夜公演。申込は明日10:00開始、先着順です。",
                "ko": "'유원', '경몽' 등 명장면을 옛 무대에서 야간 공연. 신청은 내일 10:00부터 선착순.",
            },
            on(sat, 1),
            time(19, 0),
            120,
            120,
            **lianhua,
            max_party_size=2,
            audiences=("foreign_friendly", "seniors", "youth"),
            languages=("zh",),
            accessibility=("wheelchair",),
            registration_opens_at=datetime.combine(tomorrow, time(10, 0), tzinfo=CITY_TZ),
        ),
        _Plan(
            "embroidery_studio",
            "intangible_heritage",
            {
                "zh-Hans": "苏绣入门体验课",
                "en": "Suzhou Embroidery for Beginners",
                "zh-Hant": "蘇繡入門體驗課",
                "ja": "はじめての蘇州刺繍",
                "ko": "처음 배우는 쑤저우 자수",
            },
            {
                "zh-Hans": "非遗传承人手把手教平针与套针，绣一片小小的银杏叶带回家。材料免费。",
                "en": "An intangible-heritage embroiderer teaches the basic stitches; stitch a small ginkgo leaf to take home. Materials free.",
                "ja": "無形文化遺産の刺繍職人が基本の針法を手ほどき。小さな銀杏の葉を刺して持ち帰れます。材料無料。",
            },
            on(sat),
            time(9, 30),
            120,
            12,
            audiences=("youth", "new_residents", "foreign_friendly"),
            languages=("zh", "en"),
        ),
        _Plan(
            "embroidery_studio",
            "intangible_heritage",
            {"zh-Hans": "苏绣大师小班课（5 人）", "en": "Embroidery Masterclass (5 places)"},
            {
                "zh-Hans": "工艺美术大师带五位学员细看双面绣，适合有基础的绣友。",
                "en": "A master shows five students double-sided embroidery up close. Some experience needed.",
            },
            on(wed, 1),
            time(14, 0),
            150,
            5,
            audiences=("seniors",),
            languages=("zh", "wuu"),
        ),
        _Plan(
            "embroidery_studio",
            "children",
            {"zh-Hans": "亲子苏绣：绣一只小金鱼", "en": "Parent and Child Embroidery: a Little Goldfish"},
            {
                "zh-Hans": "8–12 岁孩子与家长一起完成一幅小金鱼绣片，每组限 2 人。",
                "en": "Children aged 8–12 and a parent stitch a goldfish together; two per pair.",
            },
            on(sun, 2),
            time(14, 0),
            90,
            8,
            max_party_size=2,
            audiences=("family",),
            languages=("zh",),
        ),
        _Plan(
            "gunxiufang_centre",
            "intangible_heritage",
            {
                "zh-Hans": "桃花坞木版年画拓印",
                "en": "Taohuawu Woodblock Prints: Make Your Own",
                "zh-Hant": "桃花塢木版年畫拓印",
                "ja": "桃花塢木版年画の摺り体験",
                "ko": "타오화우 목판 연화 찍기 체험",
            },
            {
                "zh-Hans": "用传统木版套色拓印一张吉祥年画，了解苏州年画五百年的故事。",
                "en": "Print a lucky New Year picture from traditional woodblocks and hear five centuries of Suzhou printmaking.",
                "zh-Hant": "用傳統木版套色拓印一張吉祥年畫，了解蘇州年畫五百年的故事。",
                "ja": "伝統の版木で縁起物の年画を多色摺り。蘇州年画五百年の物語も。",
                "ko": "전통 목판으로 복을 부르는 연화를 찍어 보고, 쑤저우 연화 500년 이야기를 들어요.",
            },
            on(sun, 3),
            time(9, 30),
            120,
            15,
            max_party_size=2,
            audiences=("family", "youth", "foreign_friendly"),
            languages=("zh", "en"),
        ),
        _Plan(
            "shuchang",
            "intangible_heritage",
            {"zh-Hans": "评弹小课堂：学唱弹词开篇", "en": "Pingtan Class: Sing an Opening Ballad"},
            {
                "zh-Hans": "跟评弹演员学唱一段《蝶恋花》开篇，吴语零基础也欢迎。",
                "en": "Learn a short opening ballad from a pingtan performer; no Suzhou dialect needed.",
            },
            on(tue, 1),
            time(19, 0),
            90,
            12,
            audiences=("new_residents", "youth"),
            languages=("wuu", "zh"),
            accessibility=("hearing_loop",),
        ),
        # --- reading, lectures ------------------------------------------------------------------
        _Plan(
            "library",
            "reading",
            {
                "zh-Hans": "双塔书友会·共读《浮生六记》",
                "en": "Shuangta Book Club: Six Records of a Floating Life",
                "zh-Hant": "雙塔書友會·共讀《浮生六記》",
            },
            {
                "zh-Hans": "读苏州人沈复笔下的沧浪亭与寻常日子，下班后来图书馆聊聊书。",
                "en": "Shen Fu's Suzhou memoir, read together after work. Chinese and English editions both welcome.",
                "zh-Hant": "讀蘇州人沈復筆下的滄浪亭與尋常日子，下班後來圖書館聊聊書。",
            },
            on(wed),
            time(19, 0),
            90,
            20,
            **library,
            audiences=("youth", "new_residents"),
            languages=("zh", "en"),
        ),
        _Plan(
            "library",
            "children",
            {
                "zh-Hans": "英文绘本故事会",
                "en": "English Picture-Book Storytime",
                "ja": "英語の絵本読み聞かせ",
                "ko": "영어 그림책 이야기 시간",
            },
            {
                "zh-Hans": "志愿者用英语和中文讲绘本，3–6 岁孩子由家长陪同。",
                "en": "Volunteers read picture books in English and Chinese for ages 3–6, with a parent.",
                "ja": "ボランティアが英語と中国語で絵本を読みます。3〜6歳、保護者同伴。",
                "ko": "자원봉사자가 영어와 중국어로 그림책을 읽어 줘요. 3~6세, 보호자 동반.",
            },
            on(sat, 2),
            time(10, 0),
            60,
            15,
            **library,
            max_party_size=3,
            audiences=("family", "foreign_friendly"),
            languages=("en", "zh"),
        ),
        _Plan(
            "library",
            "lecture",
            {
                "zh-Hans": "古城的街巷：双塔片区的老故事",
                "en": "Lanes of the Old City: Stories of Shuangta",
                "zh-Hant": "古城的街巷：雙塔片區的老故事",
            },
            {
                "zh-Hans": "地方史学者讲定慧寺巷、十全街一带的变迁。现场手语翻译，设助听环路。",
                "en": "A local historian on how the lanes around Dinghuisi and Shiquan Street changed. Sign-language interpreting and hearing loop.",
            },
            on(sun),
            time(14, 0),
            90,
            60,
            **library,
            max_party_size=2,
            audiences=("seniors", "new_residents"),
            languages=("zh",),
            accessibility=("wheelchair", "sign_language", "hearing_loop"),
        ),
        _Plan(
            "nanyuan_centre",
            "lecture",
            {
                "zh-Hans": "长者数字课堂：手机挂号与扫码出行",
                "en": "Digital Skills for Seniors: Booking a Doctor and Paying for Transport",
            },
            {
                "zh-Hans": "一对一教会用手机预约挂号、乘地铁公交扫码。可带子女一同参加。",
                "en": "One-to-one help to book hospital appointments and pay for buses and the metro by phone.",
            },
            on(tue),
            time(9, 30),
            90,
            15,
            max_party_size=2,
            audiences=("seniors",),
            languages=("zh", "wuu"),
            accessibility=("wheelchair",),
        ),
        _Plan(
            "nanyuan_centre",
            "lecture",
            {
                "zh-Hans": "吴语小课堂：来学苏州话",
                "en": "Speak a Little Suzhou Dialect",
                "ja": "蘇州語ミニ講座",
                "ko": "쑤저우 방언 맛보기 교실",
            },
            {
                "zh-Hans": "从“谢谢侬”到“吃饭哉”，新苏州人学几句地道苏州话，和老邻居聊得更近。",
                "en": "From 'thank you' to 'dinner's ready': everyday Suzhou dialect for newcomers, to chat with long-time neighbours.",
                "ja": "「ありがとう」から「ご飯ですよ」まで、新しい住民のための蘇州語入門。",
                "ko": "'고마워요'부터 '밥 먹자'까지, 새 주민을 위한 쑤저우 말 입문.",
            },
            on(thu, 1),
            time(19, 0),
            60,
            25,
            audiences=("new_residents", "migrant_friendly", "foreign_friendly"),
            languages=("wuu", "zh", "en"),
        ),
        # --- newcomers and foreign residents ------------------------------------------------------
        _Plan(
            "lianhua_centre",
            "lecture",
            {
                "zh-Hans": "新苏州人融入夜：在苏州生活指南",
                "en": "Newcomers' Evening: Living in Suzhou",
                "zh-Hant": "新蘇州人融入夜：在蘇州生活指南",
                "ja": "新しい住民の夕べ：蘇州生活ガイド",
                "ko": "새 주민의 밤: 쑤저우 생활 가이드",
            },
            {
                "zh-Hans": "居住证、医保、孩子入学、垃圾分类，社区工作者用中英文答疑，会后认识同楼邻居。",
                "en": "Residence permits, health insurance, school places and waste sorting, answered in Chinese and English, then meet your neighbours.",
                "zh-Hant": "居住證、醫保、孩子入學、垃圾分類，社區工作者用中英文答疑，會後認識同樓鄰居。",
                "ja": "居住証・医療保険・入学・ごみ分別について中国語と英語で説明。終了後はご近所との交流会。",
                "ko": "거주증, 의료보험, 자녀 입학, 분리수거를 중국어와 영어로 안내하고, 이웃과 인사 나눠요.",
            },
            on(wed),
            time(19, 0),
            90,
            40,
            **lianhua,
            max_party_size=3,
            audiences=("new_residents", "migrant_friendly", "foreign_friendly"),
            languages=("zh", "en"),
            accessibility=("wheelchair", "sign_language"),
        ),
        _Plan(
            "lianhua_lounge",
            "workshop",
            {
                "zh-Hans": "苏式茶会：碧螺春品鉴",
                "en": "A Suzhou Tea Gathering: Biluochun Tasting",
                "zh-Hant": "蘇式茶會：碧螺春品鑑",
                "ja": "蘇州の茶会：碧螺春を味わう",
                "ko": "쑤저우 다회: 벽라춘 시음",
            },
            {
                "zh-Hans": "茶艺师用英语、日语、韩语讲解洞庭碧螺春的冲泡，配苏式茶点。",
                "en": "A tea master explains how to brew Dongting Biluochun in English, Japanese and Korean, with Suzhou pastries.",
                "zh-Hant": "茶藝師用英語、日語、韓語講解洞庭碧螺春的沖泡，配蘇式茶點。",
                "ja": "茶芸師が洞庭碧螺春の淹れ方を英語・日本語・韓国語で解説。蘇州菓子付き。",
                "ko": "다예사가 둥팅 벽라춘 우리는 법을 영어·일본어·한국어로 설명해요. 쑤저우 다과 포함.",
            },
            on(sat, 1),
            time(15, 0),
            90,
            16,
            **lianhua,
            max_party_size=2,
            audiences=("foreign_friendly", "new_residents"),
            languages=("en", "ja", "ko", "zh"),
            price_note={
                "zh-Hans": "茶点费 20 元，现场支付",
                "en": "¥20 for tea and pastries, paid on the day",
                "ja": "茶菓代20元（当日払い）",
                "ko": "다과비 20위안, 현장 결제",
            },
        ),
        _Plan(
            "lianhua_centre",
            "performance",
            {
                "zh-Hans": "新苏州人·洋苏州人才艺展演",
                "en": "Suzhou's Newcomers on Stage: a Talent Show",
                "zh-Hant": "新蘇州人·洋蘇州人才藝展演",
                "ja": "新・蘇州人タレントショー",
                "ko": "새 쑤저우 시민 장기자랑",
            },
            {
                "zh-Hans": "来自各地、各国的邻居登台唱歌、跳舞、演奏家乡乐器，欢迎报名观演。",
                "en": "Neighbours from across China and abroad sing, dance and play music from home. Come and cheer them on.",
                "zh-Hant": "來自各地、各國的鄰居登臺唱歌、跳舞、演奏家鄉樂器，歡迎報名觀演。",
                "ja": "国内外から来たご近所さんが歌や踊り、故郷の楽器を披露します。",
                "ko": "각지와 각국에서 온 이웃들이 노래하고 춤추고 고향 악기를 연주해요.",
            },
            on(sat, 3),
            time(19, 0),
            120,
            100,
            **lianhua,
            max_party_size=4,
            audiences=("new_residents", "migrant_friendly", "foreign_friendly", "family"),
            languages=("zh", "en"),
            accessibility=("wheelchair",),
        ),
        _Plan(
            "lianhua_centre",
            "workshop",
            {"zh-Hans": "苏式船点制作", "en": "Make Suzhou 'Boat Snacks'", "ja": "蘇州の船点づくり"},
            {
                "zh-Hans": "用米粉捏出小兔、小鱼、枇杷，学做苏州传统船点。",
                "en": "Shape rice dough into rabbits, fish and loquats, Suzhou's traditional boat snacks.",
                "ja": "米粉でウサギや魚、ビワをかたどる蘇州伝統の点心づくり。",
            },
            on(sun, 1),
            time(14, 30),
            120,
            10,
            **lianhua,
            max_party_size=2,
            audiences=("family", "foreign_friendly"),
            languages=("zh", "en"),
            price_note={"zh-Hans": "材料费 15 元", "en": "¥15 for ingredients"},
        ),
        # --- young people ----------------------------------------------------------------------
        _Plan(
            "lianhua_centre",
            "other",
            {"zh-Hans": "青年议事会：社区微更新共创", "en": "Youth Council: Redesign a Corner of Lianhua"},
            {
                "zh-Hans": "把楼下闲置空地变成什么？青年居民一起画方案，优秀方案提交居委会实施。",
                "en": "What should the empty plot downstairs become? Young residents sketch ideas; the best go to the residents' committee.",
            },
            on(sat, 2),
            time(14, 0),
            120,
            20,
            **lianhua,
            audiences=("youth", "new_residents"),
            languages=("zh", "en"),
        ),
        _Plan(
            "lianhua_lounge",
            "other",
            {
                "zh-Hans": "周五桌游夜",
                "en": "Friday Board Game Night",
                "ja": "金曜ボードゲームナイト",
                "ko": "금요 보드게임 나이트",
            },
            {
                "zh-Hans": "下班来玩桌游，认识住在同一个小区的同龄人。",
                "en": "Board games after work: meet people your age from your own estate.",
                "ja": "仕事帰りにボードゲーム。同じ団地の同世代と知り合おう。",
                "ko": "퇴근 후 보드게임으로 같은 단지 또래 이웃을 만나요.",
            },
            on(fri),
            time(19, 30),
            150,
            24,
            **lianhua,
            max_party_size=2,
            audiences=("youth",),
            languages=("zh", "en"),
        ),
        # --- film, sports, neighbours ----------------------------------------------------------
        _Plan(
            "nanyuan_centre",
            "film",
            {
                "zh-Hans": "社区电影夜：银幕上的苏州",
                "en": "Film Night: Suzhou on Screen",
                "zh-Hant": "社區電影夜：銀幕上的蘇州",
                "ja": "映画の夕べ：スクリーンの中の蘇州",
                "ko": "영화의 밤: 스크린 속 쑤저우",
            },
            {
                "zh-Hans": "放映一部以苏州为背景的老电影，中英双语字幕，映后聊聊片中的老街。",
                "en": "A classic film set in Suzhou with Chinese and English subtitles, then a chat about the streets it shows.",
                "zh-Hant": "放映一部以蘇州為背景的老電影，中英雙語字幕，映後聊聊片中的老街。",
                "ja": "蘇州が舞台の名作映画を中英字幕で上映。上映後は街並みについて語り合います。",
                "ko": "쑤저우를 배경으로 한 고전 영화를 중·영 자막으로 상영하고, 영화 속 옛 거리 이야기를 나눠요.",
            },
            on(fri, 1),
            time(19, 0),
            120,
            50,
            max_party_size=4,
            audiences=("family", "youth", "foreign_friendly"),
            languages=("zh", "en"),
            accessibility=("wheelchair",),
        ),
        _Plan(
            "nanyuan_square",
            "sports",
            {"zh-Hans": "广场舞邻里联谊", "en": "Square Dancing with the Neighbours"},
            {
                "zh-Hans": "南园、滚绣坊两个社区的舞队一起跳，新手站后排跟着学。",
                "en": "Dance teams from Nanyuan and Gunxiufang dance together; newcomers learn from the back row.",
            },
            on(sun, 1),
            time(18, 30),
            90,
            40,
            max_party_size=2,
            audiences=("seniors", "new_residents"),
            languages=("zh",),
        ),
        _Plan(
            "nanyuan_centre",
            "other",
            {"zh-Hans": "邻里守望志愿者招募说明会", "en": "Neighbourhood Watch: Volunteer Information Session"},
            {
                "zh-Hans": "了解巡逻、红袖标与邻里守望怎么参加，服务时长可兑换积分。",
                "en": "How patrols, red-armband duty and neighbourhood watch work; volunteer hours earn points.",
            },
            on(thu, 2),
            time(19, 0),
            60,
            30,
            audiences=("new_residents", "youth"),
            languages=("zh",),
        ),
        _Plan(
            "gunxiufang_centre",
            "exhibition",
            {"zh-Hans": "少儿书画作品展", "en": "Children's Calligraphy and Painting Show"},
            {
                "zh-Hans": "滚绣坊社区少儿书画班一学期的作品，欢迎带孩子来看。",
                "en": "A term's work by the Gunxiufang children's calligraphy and painting class.",
            },
            on(sat, 4),
            time(10, 0),
            360,
            80,
            max_party_size=4,
            audiences=("family",),
            languages=("zh",),
        ),
        # --- festivals ------------------------------------------------------------------------
        _Plan(
            "nanyuan_square",
            "festival",
            {
                "zh-Hans": "邻里节·百家宴",
                "en": "Neighbours' Day Potluck",
                "zh-Hant": "鄰里節·百家宴",
                "ja": "ご近所まつり・持ち寄り食事会",
                "ko": "이웃의 날 함께 나누는 밥상",
            },
            {
                "zh-Hans": "每家带一道拿手菜，从苏帮菜到家乡味，一张长桌拼出一个社区。",
                "en": "Every household brings one dish, from Suzhou classics to tastes of home: one long table, one community.",
                "zh-Hant": "每家帶一道拿手菜，從蘇幫菜到家鄉味，一張長桌拼出一個社區。",
                "ja": "各家庭が自慢の一品を持ち寄り。蘇州料理から故郷の味まで、長いテーブルでひとつに。",
                "ko": "집집마다 자신 있는 요리 한 가지씩, 쑤저우 요리부터 고향의 맛까지 긴 식탁에 모여요.",
            },
            on(sun, 2),
            time(11, 0),
            180,
            80,
            max_party_size=4,
            audiences=("family", "new_residents", "migrant_friendly", "foreign_friendly", "seniors"),
            languages=("zh", "wuu", "en"),
            accessibility=("wheelchair",),
        ),
        _Plan(
            "gunxiufang_centre",
            "festival",
            {
                "zh-Hans": "我们的节日：扎灯笼 猜灯谜",
                "en": "Our Festivals: Lantern Making and Riddles",
                "zh-Hant": "我們的節日：紮燈籠 猜燈謎",
            },
            {
                "zh-Hans": "跟老师傅扎一盏兔子灯，再到廊下猜灯谜领小奖品。",
                "en": "Make a rabbit lantern with an old craftsman, then solve lantern riddles for small prizes.",
                "zh-Hant": "跟老師傅紮一盞兔子燈，再到廊下猜燈謎領小獎品。",
            },
            on(sat, 3),
            time(18, 30),
            120,
            40,
            max_party_size=3,
            audiences=("family", "youth"),
            languages=("zh",),
        ),
    ]


async def seed(world: DemoWorld) -> None:
    """Venues found or made by name; the programme made only where none exists yet; and, on every
    run, events today and this weekend where they are missing (``_top_up``), so a demo database
    seeded days ago still has something on now."""
    created = await _seed(world)
    venues = await _venues(world)
    topped_up = await _top_up(world, venues)
    aimed = await _seed_aimed(world, venues)
    past = await seed_past(world, venues["nanyuan_centre"])  # the last three months' evenings in 南园
    parts = [f"{created} created" if created else "programme already there"]
    if aimed:
        parts.append(f"{aimed} for 南园's estates (a fellowship event with seats per estate, one for a grid)")
    parts.append(f"{topped_up} added for today and this weekend" if topped_up else "today and this weekend in place")
    if past:
        parts.append(f"{past} attendances in 南园's last three months")
    world.summary.append("demo events: " + ", ".join(parts))


async def _venues(accounts: DemoWorld) -> dict[str, uuid.UUID]:
    return {place.key: await _venue(place, accounts) for place in _VENUES}


async def _seed(accounts: DemoWorld) -> int:
    venues = await _venues(accounts)
    if await Event.exists().where(Event.venue.is_in(list(venues.values()))):
        return 0  # seeded before: running seed-demo again adds nothing
    # A throwaway cache: nothing is cached yet for a fresh demo database.
    cache = VersionedCache(build_stores(None))
    created = 0
    for plan in _plans(clock.city_today()):
        created += await _create(plan, accounts, venues, cache)
    return created


async def _create(plan: _Plan, accounts: DemoWorld, venues: dict[str, uuid.UUID], cache: VersionedCache) -> int:
    """Make and publish a plan's event (or every occurrence of its series); how many."""
    user_id = accounts.staff[plan.organiser]
    data = msgspec.convert(_event_body(plan, accounts, venues), EventCreate)
    _, events = await services.create_events(user_id=user_id, data=data, cache=cache)
    await services.publish_event(user_id=user_id, event_id=events[0].id, scope="following", cache=cache)
    return len(events)


async def _venue(place: _Place, accounts: DemoWorld) -> uuid.UUID:
    rows = await Venue.select(Venue.id, Venue.name, Venue.shared).output(load_json=True)
    existing = next((row for row in rows if row["name"].get("zh-Hans") == place.name["zh-Hans"]), None)
    if existing is not None:
        if place.shared and not existing["shared"]:  # a demo database from before venues were shared
            await Venue.update({Venue.shared: True}).where(Venue.id == existing["id"])
        venue_id: uuid.UUID = existing["id"]
        return venue_id
    keeper = ADMIN if place.keeper in ("lianhua", "xietang") else ORGANISER
    venue = await services.create_venue(
        user_id=accounts.staff[keeper],
        data=VenueCreate(
            organisation_id=accounts.organisations[place.keeper],
            community_id=accounts.organisations[place.community],
            name=place.name,
            address=place.address,
            latitude=place.latitude,
            longitude=place.longitude,
            accessibility_notes=place.accessibility,
            shared=place.shared,
        ),
    )
    return venue.id


def _event_body(plan: _Plan, accounts: DemoWorld, venues: dict[str, uuid.UUID]) -> dict[str, Any]:
    starts_at = datetime.combine(plan.day, plan.start, tzinfo=CITY_TZ)  # Suzhou wall-clock time
    return {
        "organisation_id": accounts.organisations[plan.organisation],
        "venue_id": venues[plan.venue],
        "category": plan.category,
        "title": plan.title,
        "summary": plan.summary,
        "description": plan.description,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=plan.minutes),
        "capacity": plan.capacity,
        "max_party_size": plan.max_party_size,
        "audiences": list(plan.audiences),
        "languages": list(plan.languages),
        "accessibility": list(plan.accessibility),
        "is_free": not plan.price_note,
        "price_note": plan.price_note,
        "registration_opens_at": plan.registration_opens_at,
        "contact_name": plan.contact_name,
        "contact_phone": plan.contact_phone,
        "recurrence": plan.recurrence,
        "audience": plan.audience,
        "fellowship": plan.fellowship,
    }


# --- today and this weekend, whenever the demo starts ----------------------------------------------

_DROP_IN: Text = {
    "zh-Hans": "邻里茶话会·随到随聊",
    "en": "Neighbours' Tea: Drop In Any Time",
    "zh-Hant": "鄰里茶話會·隨到隨聊",
    "ja": "ご近所お茶会（出入り自由）",
    "ko": "이웃 찻자리: 언제든 들르세요",
}
_FILM_NIGHT: Text = {
    "zh-Hans": "今晚·邻里电影夜",
    "en": "Tonight: Neighbours' Film Night",
    "zh-Hant": "今晚·鄰里電影夜",
    "ja": "今夜：ご近所映画ナイト",
    "ko": "오늘 밤: 이웃 영화의 밤",
}
_PICTURE_BOOKS: Text = {
    "zh-Hans": "周末亲子绘本时光",
    "en": "Weekend Picture Books for Families",
    "zh-Hant": "週末親子繪本時光",
    "ja": "週末親子えほんタイム",
    "ko": "주말 가족 그림책 시간",
}
_TEA_AND_PINGTAN: Text = {
    "zh-Hans": "周末茶座·评弹小书场",
    "en": "Weekend Tea and Pingtan Ballads",
    "zh-Hant": "週末茶座·評彈小書場",
    "ja": "週末の茶座：評弾の小書場",
    "ko": "주말 찻집: 평탄 소공연",
}


def _today_plans(now: datetime) -> list[_Plan]:
    """Something on now and tonight, and on both days of this weekend (those still ahead)."""
    local = now.astimezone(CITY_TZ)
    # Starts in 15 to 30 minutes, on a quarter hour: its door is already open (it opens an hour
    # before), so check-in can be tried whatever the hour the demo starts.
    soon = (local + timedelta(minutes=15)).replace(second=0, microsecond=0)
    soon += timedelta(minutes=(15 - soon.minute % 15) % 15)
    plans = [
        _Plan(
            "nanyuan_centre",
            "other",
            _DROP_IN,
            {
                "zh-Hans": "泡一壶碧螺春，认识楼上楼下的邻居；新搬来的朋友尤其欢迎。",
                "en": "A pot of Biluochun tea and the neighbours from upstairs and down; newcomers especially welcome.",
                "zh-Hant": "泡一壺碧螺春，認識樓上樓下的鄰居；新搬來的朋友尤其歡迎。",
                "ja": "碧螺春を淹れて、上の階・下の階のご近所さんと知り合いに。引っ越してきた方は特に歓迎。",
                "ko": "벽라춘 한 주전자와 함께 위아래층 이웃을 만나요. 새로 이사 온 분 특히 환영해요.",
            },
            soon.date(),
            soon.time(),
            120,
            40,
            max_party_size=4,
            audiences=("new_residents", "seniors", "foreign_friendly"),
            languages=("zh", "en"),
            accessibility=("wheelchair",),
        )
    ]
    if local.time() < time(18, 30):
        plans.append(
            _Plan(
                "lianhua_lounge",
                "film",
                _FILM_NIGHT,
                {
                    "zh-Hans": "放映经典苏州题材电影，中英文字幕，映后一起聊聊。",
                    "en": "A classic film set in Suzhou, with Chinese and English subtitles, and a chat afterwards.",
                },
                local.date(),
                time(19, 30),
                120,
                50,
                organiser=ADMIN,
                organisation="lianhua",
                max_party_size=4,
                audiences=("youth", "foreign_friendly"),
                languages=("zh", "en"),
                contact_name="莲花社区居委会",
                contact_phone="0512-6295 3170",
            )
        )
    weekend = [local.date() + timedelta(days=day - local.weekday()) for day in (5, 6) if day >= local.weekday()]
    for day in weekend:
        plans += [
            _Plan(
                "library",
                "reading",
                _PICTURE_BOOKS,
                {
                    "zh-Hans": "馆员带小朋友读绘本、做手工，三到八岁的孩子和家长一起来。",
                    "en": "Librarians read picture books and make crafts with children aged 3 to 8 and their parents.",
                    "zh-Hant": "館員帶小朋友讀繪本、做手工，三到八歲的孩子和家長一起來。",
                },
                day,
                time(10, 0),
                90,
                30,
                organiser=LIBRARIAN,
                organisation="library",
                max_party_size=4,
                audiences=("family",),
                languages=("zh",),
                accessibility=("wheelchair",),
                contact_name="双塔分馆服务台",
                contact_phone="0512-6522 7410",
            ),
            _Plan(
                "shuchang",
                "performance",
                _TEA_AND_PINGTAN,
                {
                    "zh-Hans": "一杯清茶，两段开篇，听评弹演员说说苏州的老故事。",
                    "en": "A cup of tea, two opening ballads, and old Suzhou stories from a pingtan storyteller.",
                    "ja": "お茶を片手に、評弾の短い弾き語りと蘇州の昔話を。",
                },
                day,
                time(15, 0),
                90,
                60,
                max_party_size=2,
                audiences=("seniors", "new_residents"),
                languages=("wuu", "zh"),
                accessibility=("wheelchair", "hearing_loop"),
            ),
        ]
    # Only what is still ahead (with a margin: an event must start in the future when it is made).
    return [
        plan for plan in plans if datetime.combine(plan.day, plan.start, tzinfo=CITY_TZ) > now + timedelta(minutes=5)
    ]


async def _top_up(accounts: DemoWorld, venues: dict[str, uuid.UUID]) -> int:
    """Today's and this weekend's events that are missing: the drop-in if none is ahead,
    the others if none of that title is on that day. Adds nothing twice."""
    now = clock.now()
    cache = VersionedCache(build_stores(None))
    created = 0
    for plan in _today_plans(now):
        if not await _already_there(plan, venues[plan.venue], now):
            created += await _create(plan, accounts, venues, cache)
    return created


async def _already_there(plan: _Plan, venue_id: uuid.UUID, now: datetime) -> bool:
    day_start = datetime.combine(plan.day, time(), tzinfo=CITY_TZ)
    rows = (
        await Event.select(Event.title, Event.starts_at, Event.ends_at)
        .where((Event.venue == venue_id) & (Event.starts_at >= day_start - timedelta(days=1)))
        .where(Event.starts_at < day_start + timedelta(days=1))
        .output(load_json=True)
    )
    same = [row for row in rows if row["title"].get("zh-Hans") == plan.title["zh-Hans"]]
    if plan.title is _DROP_IN:
        # Only one not yet begun counts: every start of the demo has a drop-in to sign up for
        # (sign-ups close when an event begins) whose door is already open (the README's walk).
        return any(row["starts_at"] > now for row in same)
    return any(row["starts_at"] >= day_start for row in same)


# --- aimed at places: the alliance's fellowship event and a grid's meeting ---------------------------

_FELLOWSHIP: Text = {
    "zh-Hans": "南园小区联盟邻里联谊会",
    "en": "Nanyuan Estate Alliance Neighbours' Get-together",
    "zh-Hant": "南園小區聯盟鄰里聯誼會",
    "ja": "南園団地連盟 ご近所交流会",
    "ko": "난위안 단지연합 이웃 친목회",
}
_GRID_MEETING: Text = {
    "zh-Hans": "第一网格楼道议事会",
    "en": "Grid 1 Stairwell Meeting",
    "zh-Hant": "第一網格樓道議事會",
    "ja": "第一グリッド 階段ごとの話し合い",
    "ko": "제1그리드 동 주민 회의",
}


def _aimed_plans(today: date, places: dict[str, Any]) -> list[_Plan]:
    """PROPOSAL-007's alliance in practice: a fellowship evening whose seats are shared out per
    estate, so that the resettlement estate's residents are not crowded out by the large
    commercial estate's; and a meeting for the residents of one grid."""
    estates = places["estates"]
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    seats = {"nanyuan_xincun": 30, "yangzhitang": 20, "nanhuan": 15, "nanyuan_anzhi": 15}
    plans = [
        _Plan(
            "nanyuan_centre",
            "festival",
            _FELLOWSHIP,
            {
                "zh-Hans": "四个小区的邻居一起包馄饨、唱评弹、认识楼上楼下；每个小区都留有名额。",
                "en": "Neighbours from the four estates make wontons, sing pingtan and meet; each estate has its own seats.",
                "zh-Hant": "四個小區的鄰居一起包餛飩、唱評彈、認識樓上樓下；每個小區都留有名額。",
                "ja": "4つの団地の住民がワンタン作りや評弾で交流します。団地ごとに席を用意しています。",
                "ko": "네 단지 이웃이 함께 완탕을 빚고 평탄을 부르며 친해집니다. 단지별 좌석이 있습니다.",
            },
            saturday + timedelta(days=7),
            time(14, 0),
            150,
            80,
            max_party_size=2,
            audiences=("family", "new_residents"),
            audience={
                "kind": "alliance",
                "alliance_id": str(places["alliance"]),
                "seats_by_estate": {str(estates[key]): n for key, n in seats.items()},
            },
            fellowship=True,
        )
    ]
    if places.get("grids"):
        plans.append(
            _Plan(
                "nanyuan_centre",
                "lecture",
                _GRID_MEETING,
                {
                    "zh-Hans": "网格员和楼道长一起听大家说说楼道堆物、电动车充电和加装电梯的事。",
                    "en": "The grid worker and building heads hear residents on stairwell clutter, e-bike charging "
                    "and lifts.",
                    "zh-Hant": "網格員和樓道長一起聽大家說說樓道堆物、電動車充電和加裝電梯的事。",
                    "ja": "グリッド担当者と階段長が、階段の私物・電動自転車の充電・エレベーター設置について聞きます。",
                    "ko": "그리드 담당자와 동장이 계단 적치물, 전기자전거 충전, 엘리베이터 설치 의견을 듣습니다.",
                },
                saturday + timedelta(days=1),
                time(19, 0),
                90,
                40,
                audience={"kind": "grid", "grid_id": str(places["grids"][0])},
            )
        )
    return plans


async def _seed_aimed(accounts: DemoWorld, venues: dict[str, uuid.UUID]) -> int:
    """The aimed events, each made once (found by its title), when the places demo ran."""
    places = accounts.made.get("places")
    if not places:
        return 0
    rows = await Event.select(Event.title).where(Event.aim != "everyone").output(load_json=True)
    made = {row["title"].get("zh-Hans") for row in rows}
    cache = VersionedCache(build_stores(None))
    created = 0
    for plan in _aimed_plans(clock.city_today(), places):
        if plan.title["zh-Hans"] not in made:
            created += await _create(plan, accounts, venues, cache)
    return created
