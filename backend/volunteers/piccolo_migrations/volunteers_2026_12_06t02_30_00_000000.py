"""The coordinators' queue reads only the team's pending entries, newest first, and stops at its
page (hand-written: Piccolo makes no composite index; the same SQL on both databases).

``GET /teams/{id}/hours?status=pending`` (and the console's hours queue, through the same
service) asks for a team's entries of one status, newest first. With only ``(team,
service_date)`` it read every entry the team ever had (a team of 200 over three years: about
20,000) and sorted them all to show 200. ``(team, status, created_at, id)`` is the query's own
order: walked backwards, it gives the page's rows and nothing else. bench/RESULTS.md, "Issue 21,
growth at 10 million hours entries", has the plans.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T02:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hours: a team's queue by status, newest first, from the index"

FORWARDS = (
    "CREATE INDEX IF NOT EXISTS volunteer_hours_team_queue ON volunteer_hours_entry (team, status, created_at, id)",
)
BACKWARDS = ("DROP INDEX IF EXISTS volunteer_hours_team_queue",)


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
