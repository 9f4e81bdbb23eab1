"""The door's request and response bodies (scanning a ticket), kept at this path on purpose.

Volunteers has bodies of the same names (a shift's check-in), so Litestar names both OpenAPI
components after their modules' paths: these are ``events_schemas_CheckInCreate`` and
``events_schemas_CheckInRead`` because they live in ``backend.events.schemas``. Moving them would
rename the components, and the OpenAPI document is the API's contract.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from backend.events.catalogue.schemas import UtcDatetime
from backend.events.registrations.schemas import RegistrationStatusCode


class CheckInCreate(msgspec.Struct, forbid_unknown_fields=True):
    ticket: Annotated[
        str, msgspec.Meta(min_length=1, max_length=200, examples=["L1.m0l8fJ3GSWqPLyTxU3Tl5A.Yq1p3d2lF6a9kQxA"])
    ]


class CheckInRead(msgspec.Struct):
    registration_id: uuid.UUID
    name: Annotated[str, msgspec.Meta(description="masked, e.g. 李*梅")]
    party_size: int
    status: RegistrationStatusCode
    checked_in_at: UtcDatetime | None
    already_checked_in: bool
    message: Annotated[str, msgspec.Meta(description="what the scanner shows, in the organiser's language")]
