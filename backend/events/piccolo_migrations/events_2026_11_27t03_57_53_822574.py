from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import DoublePrecision

ID = "2026-11-27T03:57:53:822574"
VERSION = "1.38.0"
DESCRIPTION = "Index events by latitude, for near-me searches"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="events", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Event",
        tablename="event_event",
        column_name="latitude",
        db_column_name="latitude",
        params={"index": True},
        old_params={"index": False},
        column_class=DoublePrecision,
        old_column_class=DoublePrecision,
        schema=None,
    )

    return manager
