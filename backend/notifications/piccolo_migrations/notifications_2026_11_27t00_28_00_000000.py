from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-27T00:28:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "notifications: one notice per source, one budget per template, one open change digest"

# Hand-written: Piccolo cannot express partial or composite indexes, and both databases accept
# these statements as they are.
INDEXES = {
    # A replayed signal or a re-run job finds its notice already there and writes nothing new.
    "notification_notice_once": "CREATE UNIQUE INDEX notification_notice_once ON notification_notice (recipient, source_key)",
    # The inbox, newest first, and its unread count.
    "notification_notice_inbox": "CREATE INDEX notification_notice_inbox ON notification_notice (recipient, created_at)",
    # One budget row per person and template: acceptances add to it, messages spend it.
    "notification_subscription_once": (
        'CREATE UNIQUE INDEX notification_subscription_once ON notification_subscription ("user", template_id)'
    ),
    # Edits of an event merge into its one open digest.
    "notification_event_change_open": (
        "CREATE UNIQUE INDEX notification_event_change_open ON notification_event_change (event) "
        "WHERE flushed_at IS NULL"
    ),
}


class Notice(Table, tablename="notification_notice"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="notifications", description=DESCRIPTION)

    async def create_indexes():
        for statement in INDEXES.values():
            await Notice.raw(statement)

    async def drop_indexes():
        for name in INDEXES:
            await Notice.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
