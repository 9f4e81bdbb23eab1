"""Piccolo app of the inclusion domain (after volunteers in the dependency order): one app for the
tables of its four sub-domains."""

import os

from piccolo.conf.apps import AppConfig

from backend.inclusion.points.tables import PointEntry, PointRule
from backend.inclusion.profiles.tables import Dependant, ResidentProfile
from backend.inclusion.rewards.tables import Redemption, Reward

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="inclusion",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[ResidentProfile, Dependant, PointRule, PointEntry, Reward, Redemption],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
