"""Piccolo app of incidents: their own app inside the volunteers domain, after its first (the
manifest lists it second), so it can move under a later domain with its tables and migrations."""

import os

from piccolo.conf.apps import AppConfig

from backend.governance.incidents.tables import Incident, IncidentChange, IncidentRouting

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="incidents",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[IncidentRouting, Incident, IncidentChange],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
