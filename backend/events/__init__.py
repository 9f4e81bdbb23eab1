"""Events: venues, events and recurring programmes, browsing, sign-up and the waitlist, tickets and
the door, posters, share cards and calendars."""

from backend.core.domain import Chore, Domain, PrivacyPart
from backend.core.jobs import JobSpec
from backend.events import demo, privacy
from backend.events.calendars.controllers import CalendarController
from backend.events.catalogue import posters
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
    # The wider renditions of a poster after its upload; the chore queues again any lost job.
    jobs=(
        JobSpec(posters.RENDITIONS_JOB, posters.make_renditions, retries=5, backoff_seconds=5.0, timeout_seconds=120.0),
    ),
    chores=(
        Chore("event_no_shows", mark_no_shows, cron="*/5 * * * *"),
        Chore("poster_renditions", posters.sweep_sources, cron=posters.SWEEP_CRON),
    ),
    privacy=PrivacyPart(export=privacy.export_events, erase=privacy.erase_events),
    seed_demo=demo.seed,
    tags=(
        ("events", "Venues, events, recurring programmes, browsing"),
        ("registrations", "Sign-up, waitlist, tickets, check-in"),
        ("calendars", "Calendar files of an event and a resident's calendar feed"),
    ),
)
