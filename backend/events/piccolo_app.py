"""Piccolo app of the events domain (after accounts in the dependency order)."""

import os

from piccolo.conf.apps import AppConfig

from backend.events.tables import CalendarFeed, Event, Registration, Series, ShareLink, Venue

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Venue, Series, Event, Registration, ShareLink, CalendarFeed],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
