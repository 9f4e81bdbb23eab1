"""Piccolo app of the inclusion domain (after volunteers in the dependency order)."""

import os

from piccolo.conf.apps import AppConfig

from backend.inclusion.tables import Dependant, PointEntry, PointRule, Redemption, ResidentProfile, Reward

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="inclusion",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[ResidentProfile, Dependant, PointRule, PointEntry, Reward, Redemption],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
