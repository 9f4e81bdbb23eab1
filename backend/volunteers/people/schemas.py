"""Request and response bodies of volunteer profiles."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from backend.volunteers.people.tables import IdDocument

Skill = Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
LanguageTag = Annotated[str, msgspec.Meta(min_length=2, max_length=8, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,4})?$")]


class VolunteerProfileWrite(msgspec.Struct, forbid_unknown_fields=True):
    """Opt in (or change the profile). Identity is optional: only a formal service record needs it.

    Fields left out keep their current value; ``id_document`` and ``id_number`` go together."""

    consent: Annotated[
        bool, msgspec.Meta(description="agreement to the volunteer terms and the use of this data", examples=[True])
    ]
    real_name: Annotated[str, msgspec.Meta(max_length=64, examples=["张晓明"])] | msgspec.UnsetType = msgspec.UNSET
    id_document: IdDocument | msgspec.UnsetType = msgspec.UNSET
    id_number: Annotated[str, msgspec.Meta(max_length=32, examples=["11010519491231002X"])] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    skills: Annotated[list[Skill], msgspec.Meta(max_length=20, examples=[["急救", "手语"]])] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    languages: (
        Annotated[list[LanguageTag], msgspec.Meta(max_length=10, examples=[["zh", "wuu", "en"]])] | msgspec.UnsetType
    ) = msgspec.UNSET


class VolunteerProfileRead(msgspec.Struct):
    """The caller's profile: identity only ever masked."""

    user_id: uuid.UUID
    real_name_masked: Annotated[str | None, msgspec.Meta(examples=["张*明"])]
    id_document: IdDocument | None
    id_document_name: str | None
    id_number_masked: Annotated[str | None, msgspec.Meta(examples=["1101**********002X"])]
    skills: list[str]
    languages: list[str]
    consented_at: datetime
    created_at: datetime
    updated_at: datetime
