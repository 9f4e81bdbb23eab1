from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T16:38:40:351031"
VERSION = "1.38.0"
DESCRIPTION = "share link uniqueness"

# Hand-written (Piccolo cannot express partial indexes): one link per resident and event, and one
# shared link per event for anonymous and staff callers, so racing card requests cannot make two.
INDEXES = {
    "event_share_link_sharer": (
        "CREATE UNIQUE INDEX event_share_link_sharer ON event_share_link (event, sharer) WHERE sharer IS NOT NULL"
    ),
    "event_share_link_anonymous": (
        "CREATE UNIQUE INDEX event_share_link_anonymous ON event_share_link (event) WHERE sharer IS NULL"
    ),
}


class ShareLink(Table, tablename="event_share_link"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def create_indexes():
        for statement in INDEXES.values():
            await ShareLink.raw(statement)

    async def drop_indexes():
        for name in INDEXES:
            await ShareLink.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
