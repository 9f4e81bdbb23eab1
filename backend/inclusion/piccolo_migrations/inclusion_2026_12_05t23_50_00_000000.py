"""A resident's points balance, what expires soon and a page of the ledger read only their index
entries (hand-written: Piccolo makes no composite index; the same SQL on both databases).

``GET /me/points`` sums a person's points three ways (the balance; awards past their expiry;
spending, refunds and expiries) and reads a page newest first. With ``("user", created_at)`` every
sum fetched each of the person's rows from the table. ``("user", created_at, id, points, reason,
expires_at)`` replaces it: the same order for the page (ties by id included) and every column the
sums read, so they are index-only on PostgreSQL and covering on SQLite. bench/RESULTS.md, "Issue
21, growth of volunteers and points", has the plans before and after.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T23:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "points: a person's balance and page from the index"

FORWARDS = (
    "CREATE INDEX IF NOT EXISTS inclusion_point_entry_person ON inclusion_point_entry "
    '("user", created_at, id, points, reason, expires_at)',
    "DROP INDEX IF EXISTS inclusion_point_entry_user",
)
BACKWARDS = (
    'CREATE INDEX IF NOT EXISTS inclusion_point_entry_user ON inclusion_point_entry ("user", created_at)',
    "DROP INDEX IF EXISTS inclusion_point_entry_person",
)


class PointEntry(Table, tablename="inclusion_point_entry"):
    pass


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="inclusion", description=DESCRIPTION)

    async def create() -> None:
        for statement in FORWARDS:
            await PointEntry.raw(statement)

    async def drop() -> None:
        for statement in BACKWARDS:
            await PointEntry.raw(statement)

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
