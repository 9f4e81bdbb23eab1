"""The incidents tables leave this app for the incidents app, rows and all (hand-written).

Incidents are a package of their own (``backend/governance/incidents``) with their own Piccolo app.
This migration records the three tables as dropped from the volunteers app's schema snapshot and
runs no SQL; the incidents app's first migration records them as added there.
"""

from typing import Any

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-05T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "volunteers: the incidents tables go to the incidents app"


class HandOver(MigrationManager):
    """Records its table changes in Piccolo's schema snapshot and runs none of their SQL, forwards
    or backwards: the incidents tables change Piccolo apps here, they are neither created nor
    dropped, so every row stays. Used by this migration and by the incidents app's
    ``2026-12-05T16:00:01:000000``, which records the same tables arriving; each migration keeps its
    own copy, so it stays valid however the code moves."""

    async def _run_query(self, query: Any) -> None:
        return None


async def forwards() -> MigrationManager:
    manager = HandOver(migration_id=ID, app_name="volunteers", description=DESCRIPTION)
    manager.drop_table(class_name="IncidentChange", tablename="volunteer_incident_change", schema=None)
    manager.drop_table(class_name="Incident", tablename="volunteer_incident", schema=None)
    manager.drop_table(class_name="IncidentRouting", tablename="volunteer_incident_routing", schema=None)
    return manager
