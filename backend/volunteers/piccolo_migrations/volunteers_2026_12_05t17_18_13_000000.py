"""Hours entries written before they kept a title get their shift's (hand-written).

A shift's entry copied the shift's title in Chinese into ``content``; the title per locale is what
the reader's language is picked from. Corrections take the title of the entry they correct.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T17:18:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "hours entries: the shift's title per locale for the entries written before"


class HoursEntry(Table, tablename="volunteer_hours_entry"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="volunteers", description=DESCRIPTION)

    async def copy_titles() -> None:
        await HoursEntry.raw(
            "UPDATE volunteer_hours_entry SET title = "
            "(SELECT s.title FROM volunteer_shift s WHERE s.id = volunteer_hours_entry.shift) "
            "WHERE shift IS NOT NULL"
        )
        await HoursEntry.raw(
            "UPDATE volunteer_hours_entry SET title = "
            "(SELECT e.title FROM volunteer_hours_entry e WHERE e.id = volunteer_hours_entry.corrects) "
            "WHERE corrects IS NOT NULL"
        )

    manager.add_raw(copy_titles)
    return manager
