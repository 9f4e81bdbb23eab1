from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T15:51:16:971883"
VERSION = "1.38.0"
DESCRIPTION = "registration and browsing indexes"

# Hand-written: Piccolo cannot express partial or composite indexes, and both databases accept
# these statements as they are.
INDEXES = {
    # One active registration per resident per event; a cancelled one does not block a new one.
    "event_registration_one_active": (
        'CREATE UNIQUE INDEX event_registration_one_active ON event_registration (event, "user") '
        "WHERE status IN ('confirmed', 'waitlisted')"
    ),
    # A retried sign-up finds the first answer by its Idempotency-Key.
    "event_registration_idempotency": (
        'CREATE UNIQUE INDEX event_registration_idempotency ON event_registration ("user", idempotency_key) '
        "WHERE idempotency_key IS NOT NULL"
    ),
    # The waitlist is read in arrival order.
    "event_registration_queue": (
        "CREATE INDEX event_registration_queue ON event_registration (event, status, queue_number)"
    ),
    # Browsing: published events in time order, and the "near me" bounding box.
    "event_event_browse": "CREATE INDEX event_event_browse ON event_event (status, starts_at, id)",
    "event_event_location": "CREATE INDEX event_event_location ON event_event (latitude, longitude)",
}


class Registration(Table, tablename="event_registration"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def create_indexes():
        for statement in INDEXES.values():
            await Registration.raw(statement)

    async def drop_indexes():
        for name in INDEXES:
            await Registration.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
