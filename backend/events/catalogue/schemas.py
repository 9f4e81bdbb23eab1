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
    poster_urls: dict[str, str]
    series_id: uuid.UUID | None
    max_party_size: Annotated[int, msgspec.Meta(description="the most people one sign-up may bring", examples=[4])]
    distance_m: int | None = None


class EventRead(EventListItem, kw_only=True):
    description: str
    organisation_id: uuid.UUID
    registration_opens_at: UtcDatetime | None
    registration_closes_at: UtcDatetime | None
    waitlist_enabled: bool
    contact_name: str
    contact_phone: str
    occurrence: int


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
            description="rendition (w<width>.webp / w<width>.jpg, never wider than the upload) → URL",
            examples=[
                {
                    "w480.webp": "/media/posters/3f0c9a1b2d4e5f60-w480.webp",
                    "w480.jpg": "/media/posters/3f0c9a1b2d4e5f60-w480.jpg",
                }
            ],
        ),
    ]
