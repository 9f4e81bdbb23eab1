"""Venues, events and their series."""

from __future__ import annotations

from enum import Enum

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class Category(str, Enum):
    festival = "festival"
    performance = "performance"
    exhibition = "exhibition"
    lecture = "lecture"
    reading = "reading"
    workshop = "workshop"
    film = "film"
    sports = "sports"
    intangible_heritage = "intangible_heritage"
    children = "children"
    other = "other"


class EventStatus(str, Enum):
    draft = "draft"
    published = "published"
    cancelled = "cancelled"
    completed = "completed"


class AimKind(str, Enum):
    everyone = "everyone"
    estates = "estates"
    alliance = "alliance"
    grid = "grid"


class Venue(Table, tablename="event_venue"):
    """A place where events happen; GCJ-02 coordinates, as WeChat maps use them."""

    id = UUID(primary_key=True)
    organisation = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"),
        null=False,
        help_text="who keeps this venue's details",
    )
    community = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"),
        null=True,
        default=None,
        help_text="the community it lies in",
    )
    name = JSON(default={}, help_text="{locale: name}")
    address = JSON(default={}, help_text="{locale: address}")
    latitude = DoublePrecision()
    longitude = DoublePrecision()
    accessibility_notes = JSON(default={}, help_text="{locale: notes}")
    shared = Boolean(
        default=False,
        help_text="any organiser may hold events here; otherwise only organisers in the keeper's scope",
    )
    created_at = Timestamptz()


class Series(Table, tablename="event_series"):
    """A recurring programme (天天有, 周周演, 月月新): each occurrence is its own event."""

    id = UUID(primary_key=True)
    organisation = ForeignKey(LazyTableReference("Organisation", module_path="backend.accounts.tables"), null=False)
    rule = JSON(default={}, help_text="{freq, interval, weekdays, monthday, until, count}")
    created_at = Timestamptz()


class Event(Table, tablename="event_event"):
    id = UUID(primary_key=True)
    organisation = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"),
        null=False,
        help_text="the organiser's organisation",
    )
    venue = ForeignKey(Venue, null=False)
    series = ForeignKey(Series, null=True, default=None)
    occurrence = Integer(default=0, help_text="position in its series, from 0")
    status = Varchar(length=16, choices=EventStatus, default=EventStatus.draft.value, index=True)
    category = Varchar(length=32, choices=Category, index=True)
    title = JSON(default={}, help_text="{locale: text}")
    summary = JSON(default={})
    description = JSON(default={})
    search_text = Text(default="", help_text="lower-cased titles and summaries of every locale")
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz()
    evening_or_weekend = Boolean(default=False, index=True, help_text="starts 18:30+ or on Sat/Sun, Suzhou time")
    capacity = Integer()
    seats_taken = Integer(default=0, help_text="confirmed seats; changed only by conditional updates")
    waitlist_count = Integer(default=0, help_text="parties waiting")
    queue_counter = BigInt(default=0, help_text="last number handed out, for first-come-first-served")
    last_seated = BigInt(
        default=0,
        help_text="queue number of the latest party seated on arrival: how a sign-up's one UPDATE tells a seat from the line",
    )
    registration_opens_at = Timestamptz(null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    max_party_size = Integer(default=1)
    waitlist_enabled = Boolean(default=True)
    audience_mask = Integer(default=0, help_text="bits of AUDIENCES")
    language_mask = Integer(default=0, help_text="bits of SPOKEN_LANGUAGES")
    accessibility_mask = Integer(default=0, help_text="bits of ACCESSIBILITY")
    is_free = Boolean(default=True)
    price_note = JSON(default={})
    contact_name = Varchar(length=64, default="")
    contact_phone = Varchar(length=32, default="")
    # Copied from the venue at write time, so browsing filters on one table.
    community = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"), null=True, default=None
    )
    latitude = DoublePrecision()
    longitude = DoublePrecision()
    poster = JSON(default={}, help_text="{rendition name: media path}, e.g. {'w480.webp': 'posters/ab12….webp'}")
    # Aimed at places (issue 19): everyone, given estates (rows of EventEstate), an alliance's
    # estates or what a grid covers; a fellowship event (联谊活动) is an alliance's own.
    aim = Varchar(length=16, choices=AimKind, default=AimKind.everyone.value)
    aim_alliance = ForeignKey(
        LazyTableReference("Alliance", module_path="backend.places.tables"), null=True, default=None, index=True
    )
    aim_grid = ForeignKey(
        LazyTableReference("Organisation", module_path="backend.accounts.tables"), null=True, default=None
    )
    fellowship = Boolean(default=False, help_text="an alliance's fellowship event (联谊活动)")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    cancelled_at = Timestamptz(null=True, default=None)


class EventEstate(Table, tablename="event_estate"):
    """An estate an event names: with ``aim = estates`` one of those it is for; with ``seats``
    its residents' own share of the seats (an alliance event's member estate, say, so that a
    resettlement estate is not crowded out by a large commercial one). (event, estate) is unique
    (a raw index)."""

    id = UUID(primary_key=True)
    event = ForeignKey(Event, null=False, index=True)
    estate = ForeignKey(LazyTableReference("Estate", module_path="backend.places.tables"), null=False, index=True)
    seats = Integer(null=True, default=None, help_text="seats kept for this estate's residents")
