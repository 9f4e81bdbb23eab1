"""Events: venues, events and recurring programmes, browsing, sign-up and the waitlist, tickets and
the door, posters, share cards and calendars."""

from backend.core.domain import Chore, Domain, PrivacyPart
from backend.events import demo, privacy
from backend.events.calendars.controllers import CalendarController
from backend.events.catalogue.controllers import CatalogueController, EventController, PosterController
from backend.events.registrations import listeners
from backend.events.registrations.controllers import DoorController, RegistrationController
from backend.events.registrations.door import mark_no_shows
from backend.events.sharing.controllers import ShareCardController

DOMAIN = Domain(
    name="events",
    builds_on=("core", "accounts", "places"),
    piccolo_apps=("backend.events.piccolo_app",),
    routes=lambda settings: (
        CatalogueController,
        EventController,
        RegistrationController,
        ShareCardController,
        DoorController,
        CalendarController,
        PosterController,
    ),
    listeners=listeners.LISTENERS,
    chores=(Chore("event_no_shows", mark_no_shows, cron="*/5 * * * *"),),
    privacy=PrivacyPart(export=privacy.export_events, erase=privacy.erase_events),
    seed_demo=demo.seed,
    tags=(
        ("events", "Venues, events, recurring programmes, browsing"),
        ("registrations", "Sign-up, waitlist, tickets, check-in"),
        ("calendars", "Calendar files of an event and a resident's calendar feed"),
    ),
)
