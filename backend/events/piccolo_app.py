"""Piccolo app of the events domain (after accounts in the dependency order): the tables of all
its sub-packages."""

import os

from piccolo.conf.apps import AppConfig

from backend.events.calendars.tables import CalendarFeed
from backend.events.catalogue.tables import Event, EventEstate, Series, Venue
from backend.events.registrations.tables import Registration
from backend.events.sharing.tables import ShareLink

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Venue, Series, Event, EventEstate, Registration, ShareLink, CalendarFeed],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
