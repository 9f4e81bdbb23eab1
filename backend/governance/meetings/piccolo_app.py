"""Piccolo app of governance meetings: its own app inside the governance domain."""

import os

from piccolo.conf.apps import AppConfig

from backend.governance.meetings.tables import (
    Action,
    ActionUpdate,
    AgendaItem,
    Attendance,
    Decision,
    Meeting,
    ReportLink,
    Submission,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="meetings",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[Meeting, AgendaItem, Submission, Attendance, Decision, Action, ActionUpdate, ReportLink],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
