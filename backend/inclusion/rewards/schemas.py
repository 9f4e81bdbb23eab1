"""Request and response bodies of the points supermarket (积分超市)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.core.i18n import LocaleCode

RedemptionStatusCode = Literal["reserved", "fulfilled", "cancelled"]

AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True, examples=["2026-12-01T00:00:00+08:00"])]
RewardName = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(min_length=1, max_length=60)]],
    msgspec.Meta(
        min_length=1,
        description=(
            "name per locale; readers get theirs, else the next in their fallback chain (a Traditional "
            "reader gets Simplified converted, marked `converted`)"
        ),
        examples=[{"zh-Hans": "环保购物袋", "en": "Reusable shopping bag"}],
    ),
]
RewardDescription = Annotated[
    dict[LocaleCode, Annotated[str, msgspec.Meta(max_length=500)]],
    msgspec.Meta(
        description="text per locale",
        examples=[
            {
                "zh-Hans": "凭取货码到社区服务中心领取。",
                "en": "Collect at the community service centre with your pickup code.",
            }
        ],
    ),
]
PointsCost = Annotated[int, msgspec.Meta(ge=1, le=100_000, examples=[120])]
Stock = Annotated[int, msgspec.Meta(ge=0, le=100_000, examples=[50])]
StockDelta = Annotated[int, msgspec.Meta(ge=-100_000, le=100_000, examples=[10])]
PerResidentLimit = Annotated[int, msgspec.Meta(ge=1, le=100, examples=[1])]
ImageUrls = Annotated[
    dict[str, str],
    msgspec.Meta(
        description="rendition (w<width>.webp / w<width>.jpg) → URL",
        examples=[{"w480.webp": "/media/rewards/3f0c9a1b2d4e5f60-w480.webp"}],
    ),
]


class RewardCreate(msgspec.Struct, forbid_unknown_fields=True):
    community_id: Annotated[uuid.UUID, msgspec.Meta(description="an organisation of kind community")]
    name: RewardName
    points_cost: PointsCost
    stock: Stock
    description: RewardDescription = {}
    per_resident_limit: PerResidentLimit = 1
    active_from: AwareDatetime | None = None
    active_until: AwareDatetime | None = None


class RewardUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Send only what changes. ``stock`` sets the count; ``stock_change`` adds to (or takes from)
    what is left at that moment, so redemptions happening meanwhile are not overwritten."""

    name: RewardName | msgspec.UnsetType = msgspec.UNSET
    description: RewardDescription | msgspec.UnsetType = msgspec.UNSET
    points_cost: PointsCost | msgspec.UnsetType = msgspec.UNSET
    stock: Stock | msgspec.UnsetType = msgspec.UNSET
    stock_change: StockDelta | msgspec.UnsetType = msgspec.UNSET
    per_resident_limit: PerResidentLimit | msgspec.UnsetType = msgspec.UNSET
    active_from: AwareDatetime | msgspec.UnsetType | None = msgspec.UNSET
    active_until: AwareDatetime | msgspec.UnsetType | None = msgspec.UNSET
    withdrawn: Annotated[bool, msgspec.Meta(examples=[False])] | msgspec.UnsetType = msgspec.UNSET


class RewardRead(msgspec.Struct):
    id: uuid.UUID
    community_id: uuid.UUID
    name: str
    description: str
    locale: Annotated[LocaleCode | None, msgspec.Meta(description="the locale the name and description are in")]
    converted: Annotated[
        bool,
        msgspec.Meta(
            description="the text was converted into `locale` from the Simplified original (OpenCC), not written so",
            examples=[False],
        ),
    ]
    image_urls: ImageUrls
    points_cost: int
    stock: int
    in_stock: bool
    per_resident_limit: int
    active_from: datetime | None
    active_until: datetime | None
    withdrawn: bool
    available: Annotated[bool, msgspec.Meta(description="not withdrawn and within its dates")]
    my_redemptions_left: Annotated[int | None, msgspec.Meta(description="for a logged-in caller; else null")] = None


class RewardImageRead(msgspec.Struct):
    image_urls: ImageUrls


class RewardBrief(msgspec.Struct):
    id: uuid.UUID
    name: str
    locale: LocaleCode | None
    converted: Annotated[
        bool, msgspec.Meta(description="the name was converted into `locale` (OpenCC)", examples=[False])
    ]
    image_urls: ImageUrls


class RedemptionRead(msgspec.Struct):
    id: uuid.UUID
    reward: RewardBrief
    points: Annotated[int, msgspec.Meta(description="points spent")]
    pickup_code: Annotated[
        str, msgspec.Meta(description="shown at pickup; staff type or scan it", examples=["K7M2Q9XD"])
    ]
    status: RedemptionStatusCode
    created_at: datetime
    fulfilled_at: datetime | None
    cancelled_at: datetime | None
    pickup_qr: Annotated[
        str | None, msgspec.Meta(description="the pickup code as a QR (data: URL, PNG) while reserved")
    ]
    redeemer: Annotated[
        str | None,
        msgspec.Meta(
            description="staff at the counter: the redeemer's display name, masked; null in the resident's own answers",
            examples=["李*梅"],
        ),
    ] = None
