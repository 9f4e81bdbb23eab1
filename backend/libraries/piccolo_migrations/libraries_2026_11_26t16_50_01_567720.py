from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T16:50:01:567720"
VERSION = "1.38.0"
DESCRIPTION = "one exception per day"

# Hand-written (Piccolo cannot express partial indexes): one exception per branch and date for the
# branch itself, and one per room and date; COALESCE is avoided so both databases accept it.
INDEXES = {
    "library_exception_branch_day": (
        "CREATE UNIQUE INDEX library_exception_branch_day ON library_hours_exception (branch, day) WHERE room IS NULL"
    ),
    "library_exception_room_day": (
        "CREATE UNIQUE INDEX library_exception_room_day ON library_hours_exception (room, day) WHERE room IS NOT NULL"
    ),
}


class HoursException(Table, tablename="library_hours_exception"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="libraries", description=DESCRIPTION)

    async def create_indexes():
        for statement in INDEXES.values():
            await HoursException.raw(statement)

    async def drop_indexes():
        for name in INDEXES:
            await HoursException.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
