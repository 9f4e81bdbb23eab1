from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T23:26:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "volunteers: unique pairs and ledger indexes"

# Hand-written: Piccolo cannot express partial or composite indexes, and both databases accept
# these statements as they are.
INDEXES = {
    # One place per person in a team.
    "volunteer_team_member_once": 'CREATE UNIQUE INDEX volunteer_team_member_once ON volunteer_team_member (team, "user")',
    # Stops are numbered once per route.
    "volunteer_checkpoint_position": "CREATE UNIQUE INDEX volunteer_checkpoint_position ON volunteer_checkpoint (route, position)",
    # One live place per volunteer per shift; a cancelled one does not block a new sign-up.
    "volunteer_signup_one_active": (
        'CREATE UNIQUE INDEX volunteer_signup_one_active ON volunteer_signup (shift, "user") '
        "WHERE status <> 'cancelled'"
    ),
    # A retried sign-up finds the first answer by its Idempotency-Key.
    "volunteer_signup_idempotency": (
        'CREATE UNIQUE INDEX volunteer_signup_idempotency ON volunteer_signup ("user", idempotency_key) '
        "WHERE idempotency_key IS NOT NULL"
    ),
    # The overlap check reads a volunteer's own shifts.
    "volunteer_signup_user": 'CREATE INDEX volunteer_signup_user ON volunteer_signup ("user", status)',
    # A plate scanned twice on one shift is one scan.
    "volunteer_checkpoint_scan_once": "CREATE UNIQUE INDEX volunteer_checkpoint_scan_once ON volunteer_checkpoint_scan (signup, checkpoint)",
    # Totals per person; the coordinator's queue and monthly sheet per team.
    "volunteer_hours_user": 'CREATE INDEX volunteer_hours_user ON volunteer_hours_entry ("user", status)',
    "volunteer_hours_team": "CREATE INDEX volunteer_hours_team ON volunteer_hours_entry (team, service_date)",
    # One routing per incident kind per community.
    "volunteer_incident_routing_once": "CREATE UNIQUE INDEX volunteer_incident_routing_once ON volunteer_incident_routing (community, kind)",
    "volunteer_incident_community": "CREATE INDEX volunteer_incident_community ON volunteer_incident (community, created_at)",
    "volunteer_incident_change_incident": "CREATE INDEX volunteer_incident_change_incident ON volunteer_incident_change (incident, created_at)",
}


class TeamMember(Table, tablename="volunteer_team_member"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="volunteers", description=DESCRIPTION)

    async def create_indexes():
        for statement in INDEXES.values():
            await TeamMember.raw(statement)

    async def drop_indexes():
        for name in INDEXES:
            await TeamMember.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
