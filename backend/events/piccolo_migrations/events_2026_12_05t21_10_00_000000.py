from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T21:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "near me: venues by place, events by venue and time"

# Hand-written (composite indexes). "Near me" finds the venues within the radius by their
# coordinates, then reads the events of the nearest ones in time order (catalogue.queries
# _list_near). The same SQL on both databases.
INDEXES = (
    "CREATE INDEX IF NOT EXISTS event_venue_location ON event_venue (latitude, longitude)",
    "CREATE INDEX IF NOT EXISTS event_event_venue_time ON event_event (venue, starts_at, id)",
)


class Event(Table, tablename="event_event"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def near_me_indexes():
        for statement in INDEXES:
            await Event.raw(statement)

    manager.add_raw(near_me_indexes)
    return manager
