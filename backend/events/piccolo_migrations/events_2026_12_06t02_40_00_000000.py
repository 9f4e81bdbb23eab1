from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T02:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sign-up: a person's confirmed places from the index"

# Hand-written (a partial index). Every sign-up counts the places the person holds
# (registrations.services._PLACE): this index holds exactly the confirmed places, by person, and
# is the smallest way to them, where the planner otherwise walked every confirmed registration
# through the status index when its statistics were behind, as they are during a storm of
# inserts (bench/RESULTS.md). The same SQL on both databases.
CREATE = (
    'CREATE INDEX IF NOT EXISTS event_registration_user_confirmed ON event_registration ("user") '
    "WHERE status = 'confirmed'"
)
DROP = "DROP INDEX IF EXISTS event_registration_user_confirmed"


class Registration(Table, tablename="event_registration"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def create_index():
        await Registration.raw(CREATE)

    async def drop_index():
        await Registration.raw(DROP)

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
