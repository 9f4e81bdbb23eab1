"""Piccolo app of the places domain (after accounts: estates sit in communities)."""

import os

from piccolo.conf.apps import AppConfig

from backend.places.tables import (
    Acknowledgement,
    Alliance,
    AllianceDocument,
    AllianceMember,
    Building,
    BuildingHead,
    DocumentVersion,
    Estate,
    GridArea,
    Residence,
    Unit,
)

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="places",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[
        Estate,
        Building,
        Unit,
        GridArea,
        BuildingHead,
        Residence,
        Alliance,
        AllianceMember,
        AllianceDocument,
        DocumentVersion,
        Acknowledgement,
    ],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
