"""Request and response bodies of sign-up, tickets, the door and the organiser's list."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec

from backend.events.catalogue.schemas import EventBrief, UtcDatetime

RegistrationStatusCode = Literal["confirmed", "waitlisted", "cancelled", "attended", "no_show"]
WaitlistReason = Literal["event_full", "party_too_large", "estate_seats_taken"]


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
    waitlist_position: Annotated[
        int | None, msgspec.Meta(description="1 for the first in line; null unless waitlisted")
    ]
    waitlist_reason: Annotated[
        WaitlistReason | None,
        msgspec.Meta(
            description="why the party waits: event_full (no seat left), party_too_large (seats are left, "
            "fewer than the party: a smaller party may still get them) or estate_seats_taken (the seats kept for "
            "the party's estate are taken, though other estates' are not); null unless waitlisted",
            examples=["party_too_large"],
        ),
    ]
    seats_left: Annotated[int, msgspec.Meta(description="seats free at the event now", examples=[1])]
    message: Annotated[
        str,
        msgspec.Meta(
            description="the place's state in words, in the caller's language",
            examples=["1 seat left; your party of 2 is number 1 in line."],
        ),
    ]
    created_at: UtcDatetime
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
    name: Annotated[str, msgspec.Meta(description="masked, e.g. 李*梅")]
    phone: Annotated[str | None, msgspec.Meta(description="masked, e.g. 138****5678")]
    party_size: int
    status: RegistrationStatusCode
    waitlist_position: int | None
    created_at: UtcDatetime
    checked_in_at: UtcDatetime | None


class AttendeeList(msgspec.Struct):
    counts: dict[str, int]
    people: Annotated[dict[str, int], msgspec.Meta(description="people (party sizes added up) by status")]
    items: list[AttendeeRead]
