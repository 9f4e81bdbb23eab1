from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T23:32:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "inclusion: unique pairs and ledger indexes"

# Hand-written: Piccolo cannot express partial or composite indexes, and both databases accept
# these statements as they are.
INDEXES = {
    # One rule of each kind per community, and one city-wide default of each kind.
    "inclusion_point_rule_community": (
        "CREATE UNIQUE INDEX inclusion_point_rule_community ON inclusion_point_rule (community, kind) "
        "WHERE community IS NOT NULL"
    ),
    "inclusion_point_rule_default": (
        "CREATE UNIQUE INDEX inclusion_point_rule_default ON inclusion_point_rule (kind) WHERE community IS NULL"
    ),
    # A balance, a history page, and the daily and per-activity caps read one person's rows.
    "inclusion_point_entry_user": 'CREATE INDEX inclusion_point_entry_user ON inclusion_point_entry ("user", created_at)',
    "inclusion_point_entry_caps": 'CREATE INDEX inclusion_point_entry_caps ON inclusion_point_entry ("user", reason, earned_on)',
    # Leaderboards: a community's month.
    "inclusion_point_entry_board": "CREATE INDEX inclusion_point_entry_board ON inclusion_point_entry (community, created_at)",
    # The per-resident limit of a reward; a retried redemption finds the first answer.
    "inclusion_redemption_reward_user": 'CREATE INDEX inclusion_redemption_reward_user ON inclusion_redemption (reward, "user", status)',
    "inclusion_redemption_idempotency": (
        'CREATE UNIQUE INDEX inclusion_redemption_idempotency ON inclusion_redemption ("user", idempotency_key) '
        "WHERE idempotency_key IS NOT NULL"
    ),
}


class PointEntry(Table, tablename="inclusion_point_entry"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="inclusion", description=DESCRIPTION)

    async def create_indexes():
        for statement in INDEXES.values():
            await PointEntry.raw(statement)

    async def drop_indexes():
        for name in INDEXES:
            await PointEntry.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
