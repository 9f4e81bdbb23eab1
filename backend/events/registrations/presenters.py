"""Shaping registrations, tickets, check-ins and the organiser's list for the API, in the
caller's language."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import cast

from backend.core.clock import utc
from backend.core.i18n import CITY_TZ, N_, _, format_datetime, format_interval, ngettext, pick
from backend.core.sheets import excel_csv
from backend.events.catalogue.schemas import EventBrief, EventStatusCode
from backend.events.registrations.door import CheckIn
from backend.events.registrations.queries import Attendee, Placed, RegisteredEvent
from backend.events.registrations.schemas import (
    AttendeeList,
    AttendeeRead,
    RegistrationRead,
    RegistrationStatusCode,
    WaitlistReason,
)
from backend.events.registrations.tables import Registration
from backend.events.schemas import CheckInRead

REGISTRATION_STATUS_NAMES: Mapping[str, str] = {
    "confirmed": N_("Confirmed"),
    "waitlisted": N_("Waitlisted"),
    "cancelled": N_("Cancelled"),
    "attended": N_("Attended"),
    "no_show": N_("No-show"),
}


def registration_read(
    registration: Registration | Placed, event: RegisteredEvent, venue_name: dict[str, str], position: int | None
) -> RegistrationRead:
    reason = waitlist_reason(registration, event) if position is not None else None
    return RegistrationRead(
        id=registration.id,
        status=cast(RegistrationStatusCode, registration.status),
        party_size=registration.party_size,
        waitlist_position=position,
        waitlist_reason=reason,
        seats_left=event.seats_left,
        message=_place_message(registration, event, position, reason),
        created_at=utc(registration.created_at),
        event=EventBrief(
            id=event.id,
            title=pick(event.title)[0],
            starts_at=utc(event.starts_at),
            ends_at=utc(event.ends_at),
            when=format_interval(event.starts_at, event.ends_at),
            venue_name=pick(venue_name)[0],
            status=cast(EventStatusCode, event.status),
        ),
    )


def waitlist_reason(registration: Registration | Placed, event: RegisteredEvent) -> WaitlistReason:
    """Why a party waits. Free seats always go to the earliest waiting party that fits, so while
    one waits, the seats left (if any) are fewer than its size, or (where seats are kept per
    estate) those of its estate's share are."""
    size = registration.party_size
    if event.share_seats_left is not None and event.share_seats_left < size <= event.seats_left:
        return "estate_seats_taken"
    return "party_too_large" if 0 < event.seats_left < registration.party_size else "event_full"


def _place_message(
    registration: Registration | Placed, event: RegisteredEvent, position: int | None, reason: WaitlistReason | None
) -> str:
    size = registration.party_size
    if position is not None and reason == "estate_seats_taken":
        return _("The seats kept for your estate are taken; you are number {position} in line.").format(
            position=position
        )
    if position is not None and reason == "party_too_large":
        return ngettext(
            "{seats} seat left; your party of {party} is number {position} in line.",
            "{seats} seats left; your party of {party} is number {position} in line.",
            event.seats_left,
        ).format(seats=event.seats_left, party=size, position=position)
    if position is not None:
        return _("The event is full; you are number {position} in line.").format(position=position)
    if registration.status == "confirmed":
        return ngettext("Your place is confirmed.", "Places for your party of {count} are confirmed.", size).format(
            count=size
        )
    return _(REGISTRATION_STATUS_NAMES[registration.status])


def attendee_list(attendees: list[Attendee], counts: dict[str, int]) -> AttendeeList:
    people = {status: 0 for status in counts}
    for attendee in attendees:
        people[attendee.status] += attendee.party_size
    return AttendeeList(
        counts=counts,
        people=people,
        items=[
            AttendeeRead(
                **{**dataclasses.asdict(a), "created_at": utc(a.created_at), "checked_in_at": utc(a.checked_in_at)}
            )
            for a in attendees
        ],
    )


def attendees_csv(attendees: list[Attendee]) -> bytes:
    """For Excel: names are residents' own input, so no cell may run as a formula."""
    header = [_("Name"), _("Phone"), _("People"), _("Status"), _("Place in line"), _("Signed up"), _("Checked in")]
    rows = [
        [
            a.name,
            a.phone or "",
            a.party_size,
            _(REGISTRATION_STATUS_NAMES[a.status]),
            a.waitlist_position or "",
            format_datetime(a.created_at),
            format_datetime(a.checked_in_at) if a.checked_in_at else "",
        ]
        for a in attendees
    ]
    return excel_csv(header, rows)


def check_in_read(result: CheckIn) -> CheckInRead:
    registration = result.registration
    if result.already:
        local = registration.checked_in_at.astimezone(CITY_TZ) if registration.checked_in_at else None
        message = _("Already checked in at {time}.").format(time=local.strftime("%H:%M") if local else "")
    else:
        message = ngettext(
            "Welcome! {count} person checked in.", "Welcome! {count} people checked in.", registration.party_size
        ).format(count=registration.party_size)
    return CheckInRead(
        registration_id=registration.id,
        name=result.display_name,
        party_size=registration.party_size,
        status=cast(RegistrationStatusCode, registration.status),
        checked_in_at=utc(registration.checked_in_at),
        already_checked_in=result.already,
        message=message,
    )
