"""One volunteer's ledger in a team reads only its page, its sums from the index alone, and the
corrections of the page's entries by their entry (hand-written: Piccolo makes no composite or
partial index; the same SQL on both databases).

``GET /teams/{id}/members/{user}/hours`` (and the console's ledger page, through the same
service) asks for a volunteer's entries in one team, newest first, a page at a time, and their
minutes in the team by status. ``("user", created_at, id)`` walks every team of the volunteer to
fill the page, and the sums read every row from the table. ``("user", team, created_at, id)`` is
the page's own order after the two equalities, walked backwards to the page's end; ``("user",
team, status, minutes)`` holds what the sums add, grouped as they are (an index-only scan on
PostgreSQL, a covering index on SQLite; with one index for both, SQLite without statistics
summed through the team's queue index instead, every member's entries). ``corrects`` (only the
rows that correct something) finds a page's corrections in one look, and serves the balance
check before a correction too.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T05:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hours: one volunteer's ledger in a team, a page and its sums from the index"

FORWARDS = (
    'CREATE INDEX IF NOT EXISTS volunteer_hours_user_team ON volunteer_hours_entry ("user", team, created_at, id)',
    "CREATE INDEX IF NOT EXISTS volunteer_hours_user_team_sums ON volunteer_hours_entry "
    '("user", team, status, minutes)',
    "CREATE INDEX IF NOT EXISTS volunteer_hours_corrects ON volunteer_hours_entry (corrects) "
    "WHERE corrects IS NOT NULL",
)
BACKWARDS = (
    "DROP INDEX IF EXISTS volunteer_hours_corrects",
    "DROP INDEX IF EXISTS volunteer_hours_user_team_sums",
    "DROP INDEX IF EXISTS volunteer_hours_user_team",
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
