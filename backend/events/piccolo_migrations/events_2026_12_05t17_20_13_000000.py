from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T17:20:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "venues kept by libraries are shared"

# Hand-written, after the column exists (a migration's raw steps run before its columns are
# added): a library's rooms are public places that every organiser may book, as new venues of a
# library are from now on (catalogue.services.create_venue). Other venues stay with their keepers.
SHARE_LIBRARY_VENUES = (
    "UPDATE event_venue SET shared = {} "
    "WHERE organisation IN (SELECT id FROM account_organisation WHERE kind = 'library')"
)


class Venue(Table, tablename="event_venue"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def share_library_venues():
        await Venue.raw(SHARE_LIBRARY_VENUES, True)

    manager.add_raw(share_library_venues)
    return manager
