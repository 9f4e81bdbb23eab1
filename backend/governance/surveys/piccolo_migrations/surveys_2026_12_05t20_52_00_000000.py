from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T20:52:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "surveys: composite unique indexes"

# Composite unique indexes work on SQLite and PostgreSQL alike (as places' do). The ones on
# participation and household votes decide between two answers at once: one wins.
INDEXES = (
    ("governance_tally_choice", "governance_tally", "survey, question, choice"),
    ("governance_participation_survey_user", "governance_participation", 'survey, "user"'),
    ("governance_household_vote_survey_unit", "governance_household_vote", "survey, unit"),
)


class Survey(Table, tablename="governance_survey"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="surveys", description=DESCRIPTION)

    async def create_indexes():
        for name, table, columns in INDEXES:
            await Survey.raw(f"CREATE UNIQUE INDEX {name} ON {table} ({columns})")

    async def drop_indexes():
        for name, _, _ in INDEXES:
            await Survey.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
