"""Piccolo app of the volunteers domain (after events in the dependency order): the tables of
people, teams, shifts and hours. Incidents keep their own app (``incidents/piccolo_app.py``)."""

import os

from piccolo.conf.apps import AppConfig

from backend.volunteers.hours.tables import HoursEntry, ServiceRecord
from backend.volunteers.people.tables import VolunteerProfile
from backend.volunteers.shifts.tables import CheckpointScan, Shift, ShiftSignup
from backend.volunteers.teams.tables import Checkpoint, Route, Team, TeamMember

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
    ],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
