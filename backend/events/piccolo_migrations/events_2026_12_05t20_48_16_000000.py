from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T20:48:16:000000"
VERSION = "1.38.0"
DESCRIPTION = "an event names an estate once"

# Hand-written: Piccolo's Unique() needs ALTER TABLE … ADD CONSTRAINT, which SQLite lacks.
ONE_ROW_PER_ESTATE = "CREATE UNIQUE INDEX event_estate_once ON event_estate (event, estate)"


class EventEstate(Table, tablename="event_estate"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def add_index():
        await EventEstate.raw(ONE_ROW_PER_ESTATE)

    manager.add_raw(add_index)
    return manager
