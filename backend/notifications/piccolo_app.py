"""Piccolo app of the notifications domain (last in the dependency order)."""

import os

from piccolo.conf.apps import AppConfig

from backend.notifications.tables import TABLES

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="notifications",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
