"""A team's whole queue, newest first, reads only its page (hand-written: Piccolo makes no
composite index; the same SQL on both databases).

``GET /teams/{id}/hours`` with neither ``status`` nor ``month`` asks for every entry of the team,
newest first. ``(team, status, created_at, id)`` orders each status apart and ``(team,
service_date)`` by the day served, so both databases read every entry the team ever had and
sorted them all to show a page. ``(team, created_at, id)`` is the query's own order: walked
backwards, it gives the page's rows and nothing else.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-06T05:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "hours: a team's entries of every status, newest first, from the index"

FORWARDS = ("CREATE INDEX IF NOT EXISTS volunteer_hours_team_recent ON volunteer_hours_entry (team, created_at, id)",)
BACKWARDS = ("DROP INDEX IF EXISTS volunteer_hours_team_recent",)


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
