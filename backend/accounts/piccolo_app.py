"""Piccolo app of the accounts domain: the first in the dependency order, after core."""

import os

from piccolo.conf.apps import AppConfig

from backend.accounts.tables import Membership, Organisation, Session, StaffInvite, User

CURRENT_DIRECTORY = os.path.dirname(os.path.abspath(__file__))

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(CURRENT_DIRECTORY, "piccolo_migrations"),
    table_classes=[User, Organisation, Membership, Session, StaffInvite],
    migration_dependencies=[],  # set from backend/domains.py (backend.core.wiring)
    commands=[],
)
