from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

ID = "2026-12-06T06:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "sign-up: the person held and their places counted inside the statement (PostgreSQL)"

# Hand-written (a function). On PostgreSQL a sign-up is one statement in a transaction of its own
# (registrations.services._SIGN_UP): its WHERE asks this function for the places the person
# holds. The function first holds the person's row (FOR UPDATE, the row ``hold`` names: the
# accounts' person), then counts; being VOLATILE, its count is read with a snapshot taken after
# the hold, so one person's sign-ups to two events at once see each other, as when the hold was
# sent with BEGIN, and the statement needs no BEGIN or COMMIT of its own (two round trips fewer).
# The status is written in, so the count is read from event_registration_user_confirmed.
# SQLite has no functions of this kind and needs none: its writes take turns.
CREATE = """
CREATE OR REPLACE FUNCTION event_places_held(hold regclass, person uuid, at timestamptz)
RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    EXECUTE format('SELECT 1 FROM %s WHERE id = $1 FOR UPDATE', hold) USING person;
    RETURN (
        SELECT count(*) FROM event_registration r JOIN event_event e ON e.id = r.event
        WHERE r."user" = person AND r.status = 'confirmed' AND e.starts_at > at
    );
END
$$
"""
DROP = "DROP FUNCTION IF EXISTS event_places_held(regclass, uuid, timestamptz)"


class Registration(Table, tablename="event_registration"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def create_function():
        if isinstance(Registration._meta.db, PostgresEngine):
            await Registration.raw(CREATE)

    async def drop_function():
        if isinstance(Registration._meta.db, PostgresEngine):
            await Registration.raw(DROP)

    manager.add_raw(create_function)
    manager.add_raw_backwards(drop_function)
    return manager
