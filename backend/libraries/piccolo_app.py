"""Piccolo app of the libraries domain (after events: a branch is tied to a venue)."""

import os

from piccolo.conf.apps import AppConfig

from backend.libraries.tables import HoursException, LibraryBranch, ReadingRoom

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="libraries",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[LibraryBranch, ReadingRoom, HoursException],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
