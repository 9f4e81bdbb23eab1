"""A volunteer's ledger page and totals read only that volunteer's index entries (hand-written:
Piccolo makes no composite index; the same SQL on both databases).

``GET /me/hours`` (and the coordinators' view of one volunteer) shows the newest entries and the
sums by status. With only ``("user", status)`` both read every row of the volunteer from the
table, and the page sorts them all: a volunteer with 2,000 entries paid for 2,000 rows on every
look. Now the page walks ``("user", created_at, id)`` backwards and stops at the page, and the
sums read ``("user", status, minutes)`` alone (an index-only scan on PostgreSQL, a covering index
on SQLite), which replaces ``volunteer_hours_user``. bench/RESULTS.md, "Issue 21, growth of
volunteers and points", has the plans before and after.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T23:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hours: a volunteer's newest entries and sums from the index"

FORWARDS = (
    'CREATE INDEX IF NOT EXISTS volunteer_hours_user_recent ON volunteer_hours_entry ("user", created_at, id)',
    'CREATE INDEX IF NOT EXISTS volunteer_hours_user_sums ON volunteer_hours_entry ("user", status, minutes)',
    "DROP INDEX IF EXISTS volunteer_hours_user",
)
BACKWARDS = (
    'CREATE INDEX IF NOT EXISTS volunteer_hours_user ON volunteer_hours_entry ("user", status)',
    "DROP INDEX IF EXISTS volunteer_hours_user_sums",
    "DROP INDEX IF EXISTS volunteer_hours_user_recent",
)


class HoursEntry(Table, tablename="volunteer_hours_entry"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="volunteers", description=DESCRIPTION)

    async def create() -> None:
        for statement in FORWARDS:
            await HoursEntry.raw(statement)

    async def drop() -> None:
        for statement in BACKWARDS:
            await HoursEntry.raw(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
