"""Piccolo app of core: the first in the dependency order, holding what every domain shares."""

import os

from piccolo.conf.apps import AppConfig

from backend.core.tables import AuditEntry, FailedJob, OutboxSignal

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[OutboxSignal, FailedJob, AuditEntry],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
