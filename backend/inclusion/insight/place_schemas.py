"""Response bodies of participation by estate and estate kind (``by_place``)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from backend.inclusion.insight.schemas import MonthText, Share

EstateKindCode = Annotated[
    Literal["commercial", "affordable", "improved", "resettlement"],
    msgspec.Meta(
        description="商品房, 保障型, 改善型, 拆迁安置 (the 'transitional' estates)", examples=["resettlement"]
    ),
]
Count = Annotated[
    Annotated[int, msgspec.Meta(ge=0)] | None, msgspec.Meta(description="null when suppressed (under 5 people)")
]


class PlaceFigures(msgspec.Struct):
    """One month's figures; a null value is a suppressed cell, named in ``suppressed``."""

    month: MonthText
    residents: Annotated[Count, msgspec.Meta(description="residents who say they live there now")]
    participants: Annotated[Count, msgspec.Meta(description="of them, those who attended an event that month")]
    attendances: Annotated[Count, msgspec.Meta(description="their check-ins that month")]
    participation_rate: Annotated[Share, msgspec.Meta(description="participants / residents")]
    suppressed: list[str]


class EstateParticipationRow(PlaceFigures, kw_only=True):
    estate_id: uuid.UUID
    estate_name: str
    kind: EstateKindCode
    kind_name: str


class KindParticipationRow(PlaceFigures, kw_only=True):
    kind: EstateKindCode
    kind_name: str
    estates: Annotated[int, msgspec.Meta(description="estates of this kind in the community")]


class PlaceParticipationRead(msgspec.Struct):
    community_id: uuid.UUID
    community_name: str
    months: list[MonthText]
    min_cell_size: Annotated[
        int, msgspec.Meta(description="cells describing fewer people are suppressed", examples=[5])
    ]
    estates: Annotated[
        list[EstateParticipationRow],
        msgspec.Meta(description="every estate of the community (a property company's staff: their own estates)"),
    ]
    kinds: Annotated[
        list[KindParticipationRow], msgspec.Meta(description="per estate kind; community staff only, else empty")
    ]
