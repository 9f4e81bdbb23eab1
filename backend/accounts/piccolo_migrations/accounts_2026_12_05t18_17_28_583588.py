from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from enum import Enum
from piccolo.columns.column_types import Varchar

ID = "2026-12-05T18:17:28:583588"
VERSION = "1.38.0"
DESCRIPTION = "grids: the grid organisation kind and the grid worker role"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="accounts", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Organisation",
        tablename="account_organisation",
        column_name="kind",
        db_column_name="kind",
        params={
            "choices": Enum(
                "OrganisationKind",
                {
                    "city": "city",
                    "district": "district",
                    "street": "street",
                    "community": "community",
                    "library": "library",
                    "cultural_centre": "cultural_centre",
                    "volunteer_association": "volunteer_association",
                    "property_company": "property_company",
                    "owners_committee": "owners_committee",
                    "police_station": "police_station",
                    "city_management": "city_management",
                    "grid": "grid",
                },
            )
        },
        old_params={
            "choices": Enum(
                "OrganisationKind",
                {
                    "city": "city",
                    "district": "district",
                    "street": "street",
                    "community": "community",
                    "library": "library",
                    "cultural_centre": "cultural_centre",
                    "volunteer_association": "volunteer_association",
                    "property_company": "property_company",
                    "owners_committee": "owners_committee",
                    "police_station": "police_station",
                    "city_management": "city_management",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Membership",
        tablename="account_membership",
        column_name="role",
        db_column_name="role",
        params={
            "choices": Enum(
                "Role",
                {
                    "admin": "admin",
                    "organiser": "organiser",
                    "library_staff": "library_staff",
                    "coordinator": "coordinator",
                    "grid_worker": "grid_worker",
                },
            )
        },
        old_params={
            "choices": Enum(
                "Role",
                {
                    "admin": "admin",
                    "organiser": "organiser",
                    "library_staff": "library_staff",
                    "coordinator": "coordinator",
                },
            )
        },
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
