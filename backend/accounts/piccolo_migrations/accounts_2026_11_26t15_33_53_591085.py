from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T15:33:53:591085"
VERSION = "1.38.0"
DESCRIPTION = "unique membership index"


class Membership(Table, tablename="account_membership"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def create_index():
        # A composite unique index works on SQLite and PostgreSQL alike; Piccolo's Unique
        # constraint needs ALTER TABLE ADD CONSTRAINT, which SQLite lacks.
        await Membership.raw(
            "CREATE UNIQUE INDEX account_membership_user_organisation_role "
            'ON account_membership ("user", organisation, role)'
        )

    async def drop_index():
        await Membership.raw("DROP INDEX account_membership_user_organisation_role")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
