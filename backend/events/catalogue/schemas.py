"""Request and response bodies of the catalogue: venues, events, the vocabulary, posters."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from backend.core.i18n import LocaleCode

CategoryCode = Literal[
    "festival",
    "performance",
    "exhibition",
    "lecture",
    "reading",
    "workshop",
    "film",
    "sports",
    "intangible_heritage",
    "children",
    "other",
]
AudienceCode = Literal["youth", "family", "seniors", "new_residents", "migrant_friendly", "foreign_friendly"]
SpokenLanguage = Literal["zh", "wuu", "yue", "en", "ja", "ko", "fr", "de", "ru", "es"]
AccessibilityCode = Literal["wheelchair", "sign_language", "hearing_loop"]
EventStatusCode = Literal["draft", "published", "cancelled", "completed"]
EditScope = Literal["this", "following"]

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True, examples=["2026-12-05T14:00:00+08:00"])]
# Every time in an answer is UTC, written with Z; what people read is in the formatted texts (``when``).
UtcDatetime = Annotated[
    datetime, msgspec.Meta(tz=True, description="UTC, ending in Z", examples=["2026-12-05T06:00:00Z"])
]


# User content: text per locale, each locale's text at most so long (written out for the type
# checker, which cannot follow aliases built by a function).
_PER_LOCALE = "text per locale; readers get their locale, else zh-Hans, else en"
Title = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=120)]],
    msgspec.Meta(description=_PER_LOCALE, examples=[{"zh-Hans": "评弹欣赏会", "en": "Pingtan Storytelling Evening"}]),
]
Summary = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=300)]],
    msgspec.Meta(
        description=_PER_LOCALE,
        examples=[
            {
                "zh-Hans": "苏州评弹名家现场演出，附中英文讲解。",
                "en": "Suzhou pingtan masters live, explained in Chinese and English.",
            }
        ],
    ),
]
Description = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=5000)]],
    msgspec.Meta(description=_PER_LOCALE, examples=[{"zh-Hans": "节目单：……", "en": "Programme: …"}]),
]
ShortText = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=200)]],
    msgspec.Meta(
        description=_PER_LOCALE, examples=[{"zh-Hans": "设无障碍坡道", "en": "Step-free ramp at the east gate"}]
    ),
]


class Recurrence(msgspec.Struct, forbid_unknown_fields=True):
    """Daily (天天有), weekly on given weekdays (周周演) or monthly on a day (月月新)."""

    freq: Literal["daily", "weekly", "monthly"]
    interval: Annotated[int, msgspec.Meta(ge=1, le=12)] = 1
    weekdays: Annotated[
        list[Annotated[int, msgspec.Meta(ge=0, le=6)]], msgspec.Meta(max_length=7, description="Monday = 0")
    ] = []
    monthday: Annotated[int, msgspec.Meta(ge=1, le=31)] | None = None
    until: date | None = None
    count: Annotated[int, msgspec.Meta(ge=1, le=366)] | None = None


AimKindCode = Literal["everyone", "estates", "alliance", "grid"]


class AudienceIn(msgspec.Struct, forbid_unknown_fields=True):
    """Who may sign up, by where they live (said in their profile, with consent): everyone, the
    residents of given estates, of an alliance's estates, or of what a grid covers. Not to be
    mixed up with ``audiences``, the tags saying whom an event suits (seniors, families, …)."""

    kind: Annotated[AimKindCode, msgspec.Meta(examples=["alliance"])] = "everyone"
    estate_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=50, description="with kind estates")] = []
    alliance_id: Annotated[uuid.UUID | None, msgspec.Meta(description="with kind alliance")] = None
    grid_id: Annotated[uuid.UUID | None, msgspec.Meta(description="with kind grid")] = None
    seats_by_estate: Annotated[
        dict[uuid.UUID, Annotated[int, msgspec.Meta(ge=0, le=100_000)]],
        msgspec.Meta(
            max_length=50,
            description="estate id → seats kept for its residents (estates of the audience; at most the capacity "
            "in all). A resident of an estate whose seats are taken waits in line even while others have seats; "
            "the audience's estates without a share have the seats the shares leave.",
            examples=[{"6f1c0a52-3b1e-4c1a-9a57-0d5c1f1e2a01": 30, "0b9e7c41-5d2a-4f8e-8c3b-7a1d2e3f4a05": 20}],
        ),
    ] = {}


class PlaceRef(msgspec.Struct):
    id: uuid.UUID
    name: str


class AudienceRead(msgspec.Struct):
    """Whom the event is for, by where they live; never anyone's residence."""

    kind: AimKindCode
    label: Annotated[
        str,
        msgspec.Meta(
            description="for people, in the reader's language",
            examples=["For residents of 南园·锦绣苑 and 南园·安置小区"],
        ),
    ]
    estates: list[PlaceRef]
    alliance: PlaceRef | None
    grid: PlaceRef | None


class EstateSeatsRead(msgspec.Struct):
    estate_id: uuid.UUID
    name: str
    seats: Annotated[int, msgspec.Meta(description="kept for this estate's residents")]
    seats_left: int


class EligibilityRead(msgspec.Struct):
    """Whether the caller may sign up, by where they live (the rest is checked at sign-up)."""

    for_you: bool
    reason: Annotated[
        str | None,
        msgspec.Meta(description="why not, in the reader's language", examples=["This event is for residents of …"]),
    ]
    code: Annotated[str | None, msgspec.Meta(examples=["not_for_your_estate"])]


class VenueCreate(msgspec.Struct, forbid_unknown_fields=True):
    organisation_id: uuid.UUID
    name: Title
    latitude: Annotated[float, msgspec.Meta(ge=-90, le=90, examples=[31.2946])]
    longitude: Annotated[float, msgspec.Meta(ge=-180, le=180, examples=[120.6285])]
    address: ShortText = {}
    community_id: uuid.UUID | None = None
    accessibility_notes: ShortText = {}
    shared: Annotated[
        bool,
        msgspec.Meta(
            description="any organiser may hold events here (a library, a public hall); otherwise only organisers "
            "of the keeping organisation, of one above it, or with a role over it",
            examples=[False],
        ),
    ] = False


class VenueRead(msgspec.Struct):
    id: uuid.UUID
    name: str
    address: str
    latitude: float
    longitude: float
    community_id: uuid.UUID | None
    accessibility_notes: str
    organisation_id: uuid.UUID
    shared: bool


class CategoryRead(msgspec.Struct):
    code: CategoryCode
    name: str


class TagRead(msgspec.Struct):
    code: str
    name: str


class VocabularyRead(msgspec.Struct):
    """Every tag an event can carry, named in the caller's language (for filters and badges)."""

    categories: list[CategoryRead]
    audiences: list[TagRead]
    languages: list[TagRead]
    accessibility: list[TagRead]


class EventCreate(msgspec.Struct, forbid_unknown_fields=True):
    organisation_id: uuid.UUID
    venue_id: uuid.UUID
    category: CategoryCode
    title: Title
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: Annotated[int, msgspec.Meta(ge=1, le=100_000, examples=[30])]
    summary: Summary = {}
    description: Description = {}
    registration_opens_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None
    max_party_size: Annotated[int, msgspec.Meta(ge=1, le=10)] = 1
    waitlist_enabled: bool = True
    audiences: Annotated[list[AudienceCode], msgspec.Meta(max_length=6)] = []
    languages: Annotated[list[SpokenLanguage], msgspec.Meta(max_length=10, examples=[["zh", "en"]])] = []
    accessibility: Annotated[list[AccessibilityCode], msgspec.Meta(max_length=3)] = []
    is_free: bool = True
    price_note: ShortText = {}
    contact_name: Annotated[str, msgspec.Meta(max_length=64)] = ""
    contact_phone: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[0-9+\- ]*$")] = ""
    recurrence: Recurrence | None = None
    audience: AudienceIn | None = None
    fellowship: Annotated[
        bool, msgspec.Meta(description="an alliance's fellowship event (联谊活动); only with an alliance audience")
    ] = False


class EventUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Send only what changes. With ``?scope=following`` a new start or end moves every later
    occurrence of the series by the same amount."""

    venue_id: uuid.UUID | msgspec.UnsetType = msgspec.UNSET
    category: CategoryCode | msgspec.UnsetType = msgspec.UNSET
    title: Title | msgspec.UnsetType = msgspec.UNSET
    summary: Summary | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    starts_at: AwareDatetime | msgspec.UnsetType = msgspec.UNSET
    ends_at: AwareDatetime | msgspec.UnsetType = msgspec.UNSET
    capacity: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | msgspec.UnsetType = msgspec.UNSET
    registration_opens_at: AwareDatetime | msgspec.UnsetType | None = msgspec.UNSET
    registration_closes_at: AwareDatetime | msgspec.UnsetType | None = msgspec.UNSET
    max_party_size: Annotated[int, msgspec.Meta(ge=1, le=10)] | msgspec.UnsetType = msgspec.UNSET
    waitlist_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    audiences: Annotated[list[AudienceCode], msgspec.Meta(max_length=6)] | msgspec.UnsetType = msgspec.UNSET
    languages: Annotated[list[SpokenLanguage], msgspec.Meta(max_length=10)] | msgspec.UnsetType = msgspec.UNSET
    accessibility: Annotated[list[AccessibilityCode], msgspec.Meta(max_length=3)] | msgspec.UnsetType = msgspec.UNSET
    is_free: bool | msgspec.UnsetType = msgspec.UNSET
    price_note: ShortText | msgspec.UnsetType = msgspec.UNSET
    contact_name: Annotated[str, msgspec.Meta(max_length=64)] | msgspec.UnsetType = msgspec.UNSET
    contact_phone: Annotated[str, msgspec.Meta(max_length=32, pattern=r"^[0-9+\- ]*$")] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    audience: AudienceIn | msgspec.UnsetType = msgspec.UNSET
    fellowship: bool | msgspec.UnsetType = msgspec.UNSET


class VenueBrief(msgspec.Struct):
    id: uuid.UUID
    name: str
    latitude: float
    longitude: float


class EventListItem(msgspec.Struct):
    id: uuid.UUID
    title: str
    summary: str
    locale: Annotated[LocaleCode | None, msgspec.Meta(description="the language the title and summary are served in")]
    converted: Annotated[
        bool,
        msgspec.Meta(
            description="true when that text was converted by machine (Traditional characters made from the "
            "Simplified original), so a client can say so"
        ),
    ]
    category: CategoryCode
    category_name: str
    status: EventStatusCode
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    when: Annotated[str, msgspec.Meta(description="the time, for people, in Suzhou time and the reader's language")]
    venue: VenueBrief
    capacity: int
    seats_left: int
    waitlist_length: int
    is_free: bool
    price_note: str
    audiences: list[AudienceCode]
    languages: list[SpokenLanguage]
    accessibility: list[AccessibilityCode]
    poster_urls: Annotated[
        dict[str, str],
        msgspec.Meta(
            description=(
                "the poster's renditions (w<width>.webp / w<width>.jpg) → URL, each one ready to load; right after "
                "an upload the widths over 960 px join within moments"
            ),
            examples=[{"w480.webp": "/media/posters/3f0c9a1b2d4e5f60-w480.webp"}],
        ),
    ]
    series_id: uuid.UUID | None
    max_party_size: Annotated[int, msgspec.Meta(description="the most people one sign-up may bring", examples=[4])]
    audience: AudienceRead
    fellowship: Annotated[bool, msgspec.Meta(description="an alliance's fellowship event (联谊活动)")]
    distance_m: int | None = None
    for_you: Annotated[
        bool | None,
        msgspec.Meta(description="true in a for_my_estate list (only events open to the caller); null elsewhere"),
    ] = None


class EventRead(EventListItem, kw_only=True):
    description: str
    organisation_id: uuid.UUID
    registration_opens_at: UtcDatetime | None
    registration_closes_at: UtcDatetime | None
    waitlist_enabled: bool
    contact_name: str
    contact_phone: str
    occurrence: int
    seats_by_estate: Annotated[
        list[EstateSeatsRead], msgspec.Meta(description="seats kept per estate, when the event keeps any")
    ] = []


class EventPage(msgspec.Struct):
    items: list[EventListItem]
    next_cursor: str | None


class EventsCreated(msgspec.Struct):
    """What POST /events made: one event, or every occurrence of a new series."""

    series_id: uuid.UUID | None
    events: list[EventRead]


class EventBrief(msgspec.Struct):
    id: uuid.UUID
    title: str
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    when: str
    venue_name: str
    status: EventStatusCode


class PosterRead(msgspec.Struct):
    poster_urls: Annotated[
        dict[str, str],
        msgspec.Meta(
            description=(
                "rendition (w<width>.webp / w<width>.jpg, never wider than the upload) → URL; only renditions "
                "that are ready: every width up to 960 px is made before the answer"
            ),
            examples=[
                {
                    "w480.webp": "/media/posters/3f0c9a1b2d4e5f60-w480.webp",
                    "w480.jpg": "/media/posters/3f0c9a1b2d4e5f60-w480.jpg",
                    "w960.webp": "/media/posters/3f0c9a1b2d4e5f60-w960.webp",
                    "w960.jpg": "/media/posters/3f0c9a1b2d4e5f60-w960.jpg",
                }
            ],
        ),
    ]
    coming: Annotated[
        list[str],
        msgspec.Meta(
            description=(
                "wider renditions still being made (in the background, usually within seconds); each joins the "
                "event's poster_urls when its file is there. Until then use the widest one ready"
            ),
            examples=[["w1440.webp", "w1440.jpg"]],
        ),
    ] = []
