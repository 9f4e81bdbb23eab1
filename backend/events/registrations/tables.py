"""Registrations: a resident's place at an event, confirmed or in line."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import UUID, BigInt, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from backend.events.catalogue.tables import Event


class RegistrationStatus(str, Enum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"
    attended = "attended"
    no_show = "no_show"


class Registration(Table, tablename="event_registration"):
    """A resident's place: confirmed, or waiting in line by ``queue_number``."""

    id = UUID(primary_key=True)
    event = ForeignKey(Event, null=False, index=True)
    user = ForeignKey(LazyTableReference("User", module_path="backend.accounts.tables"), null=False, index=True)
    party_size = Integer(default=1)
    # No index of its own: four statuses are no way into the table, and the planner, its
    # statistics behind during a storm, took it to count a person's places (every confirmed row).
    # The queue index (event, status, queue_number) and the partial indexes serve the reads.
    status = Varchar(length=16, choices=RegistrationStatus)
    queue_number = BigInt(help_text="order of arrival on this event; the waitlist is served by it")
    idempotency_key = Varchar(length=128, null=True, default=None)
    created_at = Timestamptz()
    confirmed_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    checked_in_at = Timestamptz(null=True, default=None)
    checked_in_by = ForeignKey(
        LazyTableReference("User", module_path="backend.accounts.tables"),
        null=True,
        default=None,
        help_text="the organiser who scanned the ticket",
    )
    referred_by = ForeignKey(
        LazyTableReference("User", module_path="backend.accounts.tables"),
        null=True,
        default=None,
        help_text="whose share card brought this resident (bring a neighbour)",
    )
    estate = ForeignKey(
        LazyTableReference("Estate", module_path="backend.places.tables"),
        null=True,
        default=None,
        help_text="where the resident lived at sign-up, when the event keeps seats per estate",
    )
    # (event, user) is unique among active registrations: a partial unique index added in the
    # migration, since Piccolo cannot express one.
