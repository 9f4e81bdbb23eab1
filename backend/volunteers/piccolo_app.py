"""Piccolo app of the volunteers domain (after events in the dependency order)."""

import os

from piccolo.conf.apps import AppConfig

from backend.volunteers.tables import (
    Checkpoint,
    CheckpointScan,
    HoursEntry,
    Incident,
    IncidentChange,
    IncidentRouting,
    Route,
    ServiceRecord,
    Shift,
    ShiftSignup,
    Team,
    TeamMember,
    VolunteerProfile,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="volunteers",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        VolunteerProfile,
        Team,
        TeamMember,
        Route,
        Checkpoint,
        Shift,
        ShiftSignup,
        CheckpointScan,
        HoursEntry,
        ServiceRecord,
        IncidentRouting,
        Incident,
        IncidentChange,
    ],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
