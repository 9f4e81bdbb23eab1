"""Piccolo app of governance surveys: its own app inside the governance domain."""

import os

from piccolo.conf.apps import AppConfig

from backend.governance.surveys.tables import EvaluationResponse, HouseholdVote, Participation, Survey, Tally

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="surveys",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Survey, Tally, Participation, HouseholdVote, EvaluationResponse],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
