"""Request and response bodies of sign-up, tickets, the door and the organiser's list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from backend.events.catalogue.schemas import EventBrief

RegistrationStatusCode = Literal["confirmed", "waitlisted", "cancelled", "attended", "no_show"]


class RegistrationCreate(msgspec.Struct, forbid_unknown_fields=True):
    party_size: Annotated[int, msgspec.Meta(ge=1, le=10, examples=[2])] = 1
    share_code: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=40,
                description="the scene of the share card that brought the resident (e=<code> or the code); credits the neighbour who shared it",
                examples=["e=3kQ9xA7b"],
            ),
        ]
        | None
    ) = None


class RegistrationRead(msgspec.Struct):
    id: uuid.UUID
    status: RegistrationStatusCode
    party_size: int
    waitlist_position: int | None
    created_at: datetime
    event: EventBrief


class TicketRead(msgspec.Struct):
    registration_id: uuid.UUID
    ticket: Annotated[
        str,
        msgspec.Meta(
            description="what the QR code holds; scanned at the door",
            examples=["L1.m0l8fJ3GSWqPLyTxU3Tl5A.Yq1p3d2lF6a9kQxA"],
        ),
    ]
    qr_png: Annotated[str, msgspec.Meta(description="the QR code as a data: URL (PNG)")]
    status: RegistrationStatusCode
    event: EventBrief


class AttendeeRead(msgspec.Struct):
    registration_id: uuid.UUID
    name: str
    phone: str | None
    party_size: int
    status: RegistrationStatusCode
    waitlist_position: int | None
    created_at: datetime
    checked_in_at: datetime | None


class AttendeeList(msgspec.Struct):
    counts: dict[str, int]
    people: Annotated[dict[str, int], msgspec.Meta(description="people (party sizes added up) by status")]
    items: list[AttendeeRead]
