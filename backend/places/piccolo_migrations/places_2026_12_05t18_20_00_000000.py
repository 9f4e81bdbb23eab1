from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-12-05T18:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "places: composite unique indexes"

# Composite unique indexes work on SQLite and PostgreSQL alike; Piccolo's Unique constraint
# needs ALTER TABLE ADD CONSTRAINT, which SQLite lacks (docs/ARCHITECTURE.md).
INDEXES = (
    ("places_building_estate_label", "places_building", "estate, label"),
    ("places_unit_building_label", "places_unit", "building, label"),
    # A building is in at most one grid; a whole estate (no building) likewise.
    ("places_grid_area_building", "places_grid_area", "building"),
    ("places_building_head_building_user", "places_building_head", 'building, "user"'),
    ("places_document_version_number", "places_document_version", "document, number"),
    ("places_acknowledgement_version_user", "places_acknowledgement", 'version, "user"'),
)


class Building(Table, tablename="places_building"):
    pass


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="places", description=DESCRIPTION)

    async def create_indexes():
        for name, table, columns in INDEXES:
            await Building.raw(f"CREATE UNIQUE INDEX {name} ON {table} ({columns})")
        await Building.raw(
            "CREATE UNIQUE INDEX places_grid_area_whole_estate ON places_grid_area (estate) WHERE building IS NULL"
        )

    async def drop_indexes():
        for name, _, _ in INDEXES:
            await Building.raw(f"DROP INDEX {name}")
        await Building.raw("DROP INDEX places_grid_area_whole_estate")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
